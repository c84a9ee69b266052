package sigma

import (
	"slices"
	"strconv"
	"strings"
)

// windowsServices maps Windows event log channels (lower case) to Sigma
// service names, following SigmaHQ's Windows logsource definitions.
var windowsServices = map[string]string{
	"security":                             "security",
	"system":                               "system",
	"application":                          "application",
	"microsoft-windows-sysmon/operational": "sysmon",
	"microsoft-windows-powershell/operational":       "powershell",
	"windows powershell":                             "powershell-classic",
	"microsoft-windows-taskscheduler/operational":    "taskscheduler",
	"microsoft-windows-wmi-activity/operational":     "wmi",
	"microsoft-windows-windows defender/operational": "windefend",
	"dns server": "dns-server",
	"microsoft-windows-driverframeworks-usermode/operational":                  "driver-framework",
	"microsoft-windows-ntlm/operational":                                       "ntlm",
	"microsoft-windows-bits-client/operational":                                "bits-client",
	"microsoft-windows-codeintegrity/operational":                              "codeintegrity-operational",
	"microsoft-windows-windows firewall with advanced security/firewall":       "firewall-as",
	"microsoft-windows-applocker/msi and script":                               "applocker",
	"microsoft-windows-applocker/exe and dll":                                  "applocker",
	"microsoft-windows-applocker/packaged app-deployment":                      "applocker",
	"microsoft-windows-applocker/packaged app-execution":                       "applocker",
	"msexchange management":                                                    "msexchange-management",
	"microsoft-windows-appxdeploymentserver/operational":                       "appxdeployment-server",
	"microsoft-windows-appxpackaging/operational":                              "appxpackaging-om",
	"microsoft-windows-appmodel-runtime/admin":                                 "appmodel-runtime",
	"microsoft-windows-dns client events/operational":                          "dns-client",
	"microsoft-windows-security-mitigations/kernel mode":                       "security-mitigations",
	"microsoft-windows-security-mitigations/user mode":                         "security-mitigations",
	"openssh/operational":                                                      "openssh",
	"microsoft-windows-lsa/operational":                                        "lsa-server",
	"microsoft-windows-ldap-client/debug":                                      "ldap",
	"microsoft-windows-capi2/operational":                                      "capi2",
	"microsoft-windows-shell-core/operational":                                 "shell-core",
	"microsoft-windows-smbclient/security":                                     "smbclient-security",
	"microsoft-windows-smbserver/connectivity":                                 "smbserver-connectivity",
	"microsoft-windows-terminalservices-localsessionmanager/operational":       "terminalservices-localsessionmanager",
	"microsoft-iis-configuration/operational":                                  "iis-configuration",
	"microsoft-windows-diagnosis-scripted/operational":                         "diagnosis-scripted",
	"microsoft-windows-certificateservicesclient-lifecycle-system/operational": "certificateservicesclient-lifecycle-system",
	"microsoft-servicebus-client":                                              "microsoft-servicebus-client",
	"microsoft-windows-vhdmp/operational":                                      "vhdmp",
}

// sysmonCategories maps Sysmon event ids to Sigma categories.
var sysmonCategories = map[int]string{
	1: "process_creation", 2: "file_change", 3: "network_connection",
	4: "sysmon_status", 5: "process_termination", 6: "driver_load",
	7: "image_load", 8: "create_remote_thread", 9: "raw_access_thread",
	10: "process_access", 11: "file_event", 13: "registry_set",
	14: "registry_rename", 15: "create_stream_hash", 16: "sysmon_status",
	17: "pipe_created", 18: "pipe_created", 19: "wmi_event", 20: "wmi_event",
	21: "wmi_event", 22: "dns_query", 23: "file_delete", 24: "clipboard_capture",
	25: "process_tampering", 26: "file_delete_detected",
	27: "file_block_executable", 28: "file_block_shredding",
	29: "file_executable_detected", 255: "sysmon_error",
}

// serviceCategories maps, per service, event ids to Sigma categories:
// Sysmon's (above), Security 4688 (a new process: Sigma's Windows audit
// pipelines read it as process_creation and map the field names), and the
// PowerShell channels' script, module and engine events.
var serviceCategories = map[string]map[int]string{
	"sysmon":             sysmonCategories,
	"security":           {4688: "process_creation"},
	"powershell":         {4103: "ps_module", 4104: "ps_script"},
	"powershell-classic": {400: "ps_classic_start", 600: "ps_classic_provider_start", 800: "ps_classic_script"},
}

// WindowsLogsource derives the Sigma logsource of a Windows event from its
// channel, event id and (for Sysmon registry events) EventType. Sysmon
// events get a category (EventID 1 process_creation, 3 network_connection,
// 7 image_load, 10 process_access, 11 file_event, 12 registry_add or
// registry_delete, 13 registry_set, 14 registry_rename, 22 dns_query, ...)
// and the service sysmon; PowerShell events get ps_module (4103),
// ps_script (4104), ps_classic_start (400), ps_classic_provider_start
// (600) or ps_classic_script (800); Security 4688 gets process_creation;
// every known channel gets its service (Security: security). Unknown
// channels keep only the product.
func WindowsLogsource(channel string, eventID int, eventType string) Logsource {
	ls := Logsource{Product: "windows"}
	ch := strings.ToLower(strings.TrimSpace(channel))
	ls.Service = windowsServices[ch]
	ls.Category = serviceCategories[ls.Service][eventID]
	if ls.Service == "sysmon" && eventID == 12 {
		ls.Category = "registry_add"
		if registryDeleteType(eventType) {
			ls.Category = "registry_delete"
		}
	}
	return ls
}

// registryDeleteType reports whether a Sysmon event 12's EventType is a
// deletion (DeleteKey, DeleteValue) rather than a creation (CreateKey).
func registryDeleteType(t string) bool {
	return slices.ContainsFunc(registryDeleteTypes, func(d string) bool { return strings.EqualFold(t, d) })
}

// registryDeleteTypes are the EventType values of Sysmon's deletions.
var registryDeleteTypes = []string{"DeleteKey", "DeleteValue"}

// WindowsSelector selects Windows events: any of Channels (lower case),
// and, when not empty, any of EventIDs and any of EventTypes.
type WindowsSelector struct {
	Channels   []string
	EventIDs   []int
	EventTypes []string
}

// WindowsLogsourceSelectors is [WindowsLogsource] read backwards: for each
// service and each category it derives (as a logsource with the product
// windows and only that service or category), the events it derives it
// for, as alternatives (registry_add selects the EventType CreateKey, the
// creation Sysmon writes as event 12). The umbrella category registry_event selects the
// events of every registry category. It serves engines that take a
// logsource as a condition on an event's fields, such as sigma-go's
// configuration in bulwark bench.
func WindowsLogsourceSelectors() map[Logsource][]WindowsSelector {
	channels := map[string][]string{}
	for ch, svc := range windowsServices {
		channels[svc] = append(channels[svc], ch)
	}
	out := map[Logsource][]WindowsSelector{}
	add := func(ls Logsource, sel WindowsSelector) {
		slices.Sort(sel.Channels)
		slices.Sort(sel.EventIDs)
		out[ls] = append(out[ls], sel)
		if registryCategories[ls.Category] {
			umbrella := Logsource{Product: ls.Product, Category: "registry_event"}
			out[umbrella] = append(out[umbrella], sel)
		}
	}
	for svc, chs := range channels {
		add(Logsource{Product: "windows", Service: svc}, WindowsSelector{Channels: chs})
		ids := map[string][]int{}
		for id, cat := range serviceCategories[svc] {
			ids[cat] = append(ids[cat], id)
		}
		for cat, l := range ids {
			add(Logsource{Product: "windows", Category: cat}, WindowsSelector{Channels: chs, EventIDs: l})
		}
		if svc == "sysmon" {
			add(Logsource{Product: "windows", Category: "registry_add"}, WindowsSelector{Channels: chs, EventIDs: []int{12}, EventTypes: []string{"CreateKey"}})
			add(Logsource{Product: "windows", Category: "registry_delete"}, WindowsSelector{Channels: chs, EventIDs: []int{12}, EventTypes: registryDeleteTypes})
		}
	}
	return out
}

// WindowsEventLogsource derives the logsource of a flat Windows event from
// its Channel, EventID and EventType fields (see [WindowsLogsource]). It
// reports false when the event has no Channel.
func WindowsEventLogsource(ev Event) (Logsource, bool) {
	ch, ok := ev.Field("Channel")
	if !ok || ch.Kind != KindString {
		return Logsource{}, false
	}
	id := -1
	if v, ok := ev.Field("EventID"); ok {
		switch v.Kind {
		case KindNumber:
			id = int(v.Num)
		case KindString:
			if n, err := strconv.Atoi(strings.TrimSpace(v.Str)); err == nil {
				id = n
			}
		}
	}
	var typ string
	if v, ok := ev.Field("EventType"); ok && v.Kind == KindString {
		typ = v.Str
	}
	return WindowsLogsource(ch.Str, id, typ), true
}
