package decode

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMapField(t *testing.T) {
	tests := []struct {
		product, category, service, field, want string
	}{
		{"windows", "process_creation", "", "CommandLine", "CommandLine"},
		{"windows", "", "security", "EventID", "EventID"},
		{"", "webserver", "", "cs-uri-query", "url.original"},
		{"", "webserver", "", "cs-uri-stem", "url.path"},
		{"", "webserver", "", "cs-method", "http.request.method"},
		{"", "webserver", "", "sc-status", "http.response.status_code"},
		{"", "webserver", "", "cs-user-agent", "user_agent.original"},
		{"", "proxy", "", "c-uri", "url.original"},
		{"", "proxy", "", "c-useragent", "user_agent.original"},
		{"", "proxy", "", "cs-host", "url.domain"},
		{"", "proxy", "", "c-ip", "source.ip"},
		{"", "proxy", "", "c-uri-extension", "url.extension"},
		{"", "firewall", "", "dst_port", "destination.port"},
		{"", "firewall", "", "src_ip", "source.ip"},
		{"", "dns", "", "query", "dns.question.name"},
		{"zeek", "", "dns", "query", "query"},
		{"zeek", "", "http", "c-uri", "url.original"},
		{"zeek", "", "http", "uri", "uri"},
		{"linux", "process_creation", "", "Image", "Image"},
	}
	for _, tt := range tests {
		if got := MapField(tt.product, tt.category, tt.service, tt.field); got != tt.want {
			t.Errorf("MapField(%q, %q, %q, %q) = %q, want %q", tt.product, tt.category, tt.service, tt.field, got, tt.want)
		}
	}
	want := map[string]string{"query": "dns.question.name", "answer": "dns.answers.data", "record_type": "dns.question.type"}
	if diff := cmp.Diff(want, FieldMapping("", "dns", "")); diff != "" {
		t.Errorf("FieldMapping(dns) (-want +got):\n%s", diff)
	}
	if m := FieldMapping("windows", "process_creation", ""); len(m) != 0 {
		t.Errorf("FieldMapping(windows) = %v, want identity", m)
	}
}

func TestLogsourceWindows(t *testing.T) {
	tests := []struct {
		channel, id, eventType string
		want                   Logsource
	}{
		{ChannelSysmon, "1", "", Logsource{"windows", []string{"process_creation"}, []string{"sysmon"}}},
		{ChannelSysmon, "3", "", Logsource{"windows", []string{"network_connection"}, []string{"sysmon"}}},
		{ChannelSysmon, "7", "", Logsource{"windows", []string{"image_load"}, []string{"sysmon"}}},
		{ChannelSysmon, "10", "", Logsource{"windows", []string{"process_access"}, []string{"sysmon"}}},
		{ChannelSysmon, "11", "", Logsource{"windows", []string{"file_event"}, []string{"sysmon"}}},
		{ChannelSysmon, "12", "CreateKey", Logsource{"windows", []string{"registry_add", "registry_event"}, []string{"sysmon"}}},
		{ChannelSysmon, "12", "DeleteKey", Logsource{"windows", []string{"registry_delete", "registry_event"}, []string{"sysmon"}}},
		{ChannelSysmon, "13", "SetValue", Logsource{"windows", []string{"registry_set", "registry_event"}, []string{"sysmon"}}},
		{ChannelSysmon, "14", "", Logsource{"windows", []string{"registry_rename", "registry_event"}, []string{"sysmon"}}},
		{ChannelSysmon, "22", "", Logsource{"windows", []string{"dns_query"}, []string{"sysmon"}}},
		{"Security", "4624", "", Logsource{"windows", nil, []string{"security"}}},
		{"Security", "4688", "", Logsource{"windows", []string{"process_creation"}, []string{"security"}}},
		{ChannelPowerShell, "4104", "", Logsource{"windows", []string{"ps_script"}, []string{"powershell"}}},
		{ChannelPowerShell, "4103", "", Logsource{"windows", []string{"ps_module"}, []string{"powershell"}}},
		{ChannelPowerShellClass, "800", "", Logsource{"windows", []string{"ps_classic_script"}, []string{"powershell-classic"}}},
		{"System", "7045", "", Logsource{"windows", nil, []string{"system"}}},
		{"Microsoft-Windows-AppLocker/EXE and DLL", "8004", "", Logsource{"windows", nil, []string{"applocker"}}},
	}
	for _, tt := range tests {
		ev := Event{fields: []Field{{"Channel", String(tt.channel)}, {"EventID", Number(tt.id)}, {"EventType", String(tt.eventType)}}}
		if diff := cmp.Diff(tt.want, LogsourceOf(&ev)); diff != "" {
			t.Errorf("LogsourceOf(%s %s) (-want +got):\n%s", tt.channel, tt.id, diff)
		}
	}
	ls := Logsource{"windows", []string{"registry_set", "registry_event"}, []string{"sysmon"}}
	for _, m := range []struct {
		p, c, s string
		want    bool
	}{
		{"windows", "registry_event", "", true},
		{"windows", "", "sysmon", true},
		{"", "registry_set", "", true},
		{"windows", "registry_add", "", false},
		{"linux", "", "", false},
		{"windows", "", "security", false},
	} {
		if got := ls.Matches(m.p, m.c, m.s); got != m.want {
			t.Errorf("Matches(%q, %q, %q) = %v, want %v", m.p, m.c, m.s, got, m.want)
		}
	}
}

func TestIndicatorFields(t *testing.T) {
	for _, it := range IndicatorTypes() {
		if len(IndicatorFields(it)) == 0 {
			t.Errorf("IndicatorFields(%s) is empty", it)
		}
	}
	if IndicatorFields("phone") != nil {
		t.Errorf("IndicatorFields(phone) != nil")
	}
	// The lists are fresh copies.
	IndicatorFields(IndicatorIP)[0] = "x"
	if IndicatorFields(IndicatorIP)[0] != FieldSourceIP {
		t.Errorf("IndicatorFields shares its slice")
	}
}
