package decode

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pick returns the String() of the named fields that are present.
func pick(ev *Event, names map[string]string) map[string]string {
	got := make(map[string]string, len(names))
	for n := range names {
		if v, ok := ev.Get(n); ok {
			got[n] = v.String()
		}
	}
	return got
}

var fixedNow = func() time.Time { return time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC) }

func TestDecoders(t *testing.T) {
	tests := []struct {
		name   string
		kind   SourceKind
		line   string
		format Format
		want   map[string]string // field -> String(); fields absent from the event show as missing
		absent []string
		ls     Logsource
	}{
		{
			name: "suricata alert", kind: KindSuricata, line: sampleEVEAlert, format: FormatSuricata,
			want: map[string]string{
				"source.ip": "203.0.113.7", "source.port": "51234", "destination.ip": "10.10.1.20", "destination.port": "80",
				"network.transport": "tcp", "network.protocol": "http", "event.dataset": "alert", "event.category": "intrusion_detection",
				"rule.name": "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT", "rule.id": "2024897", "event.action": "allowed",
				"url.domain": "portal.example.gov.vn", "url.original": "/news.php?id=1%20UNION%20SELECT%201,2",
				"url.full": "http://portal.example.gov.vn/news.php?id=1%20UNION%20SELECT%201,2", "url.path": "/news.php",
				"url.query": "id=1%20UNION%20SELECT%201,2", "url.extension": "php", "http.request.method": "GET",
				"http.response.status_code": "200", "user_agent.original": "sqlmap/1.7.2#stable (https://sqlmap.org)",
				"host.name": "ids-01", "@timestamp": "2024-05-02T08:15:31.123456+0700", "alert.severity": "1",
			},
			ls: Logsource{Product: "suricata", Services: []string{"alert"}},
		},
		{
			name: "suricata dns answer", kind: KindSuricata, line: sampleEVEDNS, format: FormatSuricata,
			want: map[string]string{
				"dns.question.name": "evil-c2.example.net", "dns.question.type": "A",
				"dns.answers.data": "[cdn.example.net, 198.51.100.23]", "dns.resolved_ip": "[198.51.100.23]",
				"dns.answers.rrname": "[evil-c2.example.net, cdn.example.net]", "network.transport": "udp",
			},
			ls: Logsource{Product: "suricata", Services: []string{"dns"}, Categories: []string{"dns"}},
		},
		{
			name: "suricata dns v3 query", kind: KindAuto, line: sampleEVEDNSv3, format: FormatSuricata,
			want:   map[string]string{"dns.question.name": "evil-c2.example.net", "dns.question.type": "[A]"},
			absent: []string{"dns.resolved_ip"},
			ls:     Logsource{Product: "suricata", Services: []string{"dns"}, Categories: []string{"dns"}},
		},
		{
			name: "wazuh sshd", kind: KindWazuh, line: sampleWazuhSSH, format: FormatWazuh,
			want: map[string]string{
				"source.ip": "203.0.113.7", "source.port": "4242", "user.name": "admin", "rule.name": "sshd: brute force trying to get access to the system. Non existent user.",
				"log.level": "10", "host.name": "web01", "host.ip": "10.0.0.5", "process.name": "sshd",
				"message":     "May  2 08:15:31 web01 sshd[1234]: Invalid user admin from 203.0.113.7 port 4242",
				"rule.groups": "[syslog, sshd, authentication_failures]", "rule.mitre.id": "[T1110]",
			},
			ls: Logsource{Product: "linux", Services: []string{"sshd"}},
		},
		{
			name: "wazuh windows", kind: KindWazuh, line: sampleWazuhWin, format: FormatWazuh,
			want: map[string]string{
				"Image": `C:\Windows\System32\rundll32.exe`, "CommandLine": `rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\temp\l.dmp full`,
				"ParentImage": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "EventID": "1", "Channel": ChannelSysmon,
				"Provider_Name": "Microsoft-Windows-Sysmon", "Computer": "PC-KETOAN-01.so-tc.local",
				"process.executable": `C:\Windows\System32\rundll32.exe`, "user.name": "nguyenvana", "user.domain": "SO-TC",
				"file.hash.md5": "BBB2", "file.hash.sha256": "CCC3", "host.name": "PC-KETOAN-01",
			},
			ls: Logsource{Product: "windows", Services: []string{"sysmon"}, Categories: []string{"process_creation"}},
		},
		{
			name: "evtx_dump security 4688", kind: KindWindows, line: sampleEVTX4688, format: FormatEVTX,
			want: map[string]string{
				"Channel": "Security", "EventID": "4688", "Provider_Name": "Microsoft-Windows-Security-Auditing", "Computer": "DC01.so-tc.local",
				"NewProcessName": `C:\Windows\System32\cmd.exe`, "CommandLine": "cmd.exe /c whoami /all",
				"process.executable": `C:\Windows\System32\cmd.exe`, "process.command_line": "cmd.exe /c whoami /all",
				"process.parent.executable": `C:\Windows\System32\services.exe`, "process.pid": "6700", "process.name": "cmd.exe",
				"user.name": "DC01$", "user.domain": "SO-TC", "@timestamp": "2024-05-02T02:00:00.123456Z", "event.code": "4688",
				"EventRecordID": "112233", "Task": "13312", "host.name": "DC01.so-tc.local",
			},
			ls: Logsource{Product: "windows", Services: []string{"security"}, Categories: []string{"process_creation"}},
		},
		{
			name: "python-evtx sysmon 3", kind: KindWindows, line: sampleXMLToDict, format: FormatEVTX,
			want: map[string]string{
				"Channel": ChannelSysmon, "EventID": "3", "Provider_Name": "Microsoft-Windows-Sysmon", "Image": `C:\Users\a\AppData\Local\Temp\svch0st.exe`,
				"DestinationHostname": "", "DestinationIp": "198.51.100.23", "Event.EventData.DestinationPort": "443",
				"source.ip": "10.20.0.15", "source.port": "49811", "destination.ip": "198.51.100.23", "destination.port": "443",
				"network.transport": "tcp", "user.name": "a", "@timestamp": "2024-05-02 02:01:02.345678",
			},
			absent: []string{"destination.domain", "Event.EventData.Data.@Name"},
			ls:     Logsource{Product: "windows", Services: []string{"sysmon"}, Categories: []string{"network_connection"}},
		},
		{
			name: "evtx_dump defender 1119, data names with spaces", kind: KindWindows, format: FormatEVTX,
			line: `{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Windows Defender"}},"EventID":1119,"Channel":"Microsoft-Windows-Windows Defender/Operational"},"EventData":{"Threat Name":"Virus:DOS/EICAR_Test_File","Source Name":"Real-Time Protection","Path":"file:_C:\\t\\x.exe"}}}`,
			want: map[string]string{
				"Threat Name": "Virus:DOS/EICAR_Test_File", "ThreatName": "Virus:DOS/EICAR_Test_File",
				"SourceName": "Real-Time Protection", "Path": `file:_C:\t\x.exe`, "EventID": "1119",
			},
			ls: Logsource{Product: "windows", Services: []string{"windefend"}},
		},
		{
			name: "winlogbeat sysmon 22", kind: KindWindows, line: sampleWinlogbeat, format: FormatWinlogbeat,
			want: map[string]string{
				"Channel": ChannelSysmon, "EventID": "22", "Provider_Name": "Microsoft-Windows-Sysmon", "Computer": "PC-02.so-tc.local",
				"QueryName": "update-check.bad-domain.example", "dns.question.name": "update-check.bad-domain.example",
				"Image": `C:\Program Files\App\app.exe`, "process.pid": "5512", "event.action": "Dns query (rule: DnsQuery)",
				"host.name": "pc-02", "event.code": "22",
			},
			ls: Logsource{Product: "windows", Services: []string{"sysmon"}, Categories: []string{"dns_query"}},
		},
		{
			name: "otrf flat sysmon 1", kind: KindAuto, line: sampleOTRF, format: FormatWindowsFlat,
			want: map[string]string{
				"Provider_Name": "Microsoft-Windows-Sysmon", "Computer": "WORKSTATION5", "EventID": "1",
				"process.command_line": `"C:\Windows\System32\rundll32.exe" C:\windows\System32\comsvcs.dll MiniDump 756 C:\Users\wardog\AppData\Local\Temp\lsass-comsvcs.dmp full`,
				"file.hash.sha1":       "7662A8D2F23C3474DEC6EF8E2B0365B0B86714EE", "file.hash.md5": "F68AF942FD7CCC0E7BAB1A2335D2AD26",
				"user.name": "wardog", "@timestamp": "2020-10-18 07:50:05.917",
			},
			absent: []string{"rule.name"},
			ls:     Logsource{Product: "windows", Services: []string{"sysmon"}, Categories: []string{"process_creation"}},
		},
		{
			name: "zeek http", kind: KindZeek, line: sampleZeekHTTP, format: FormatZeek,
			want: map[string]string{
				"url.full": "http://dl.bad.example:8080/payload/stage2.ps1?x=1", "url.domain": "dl.bad.example", "url.path": "/payload/stage2.ps1",
				"url.extension": "ps1", "http.request.method": "GET", "http.response.status_code": "200", "event.dataset": "zeek.http",
				"user_agent.original": "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1", "tags": "[]",
				"resp_mime_types": "[text/plain]",
			},
			ls: Logsource{Product: "zeek", Services: []string{"http"}, Categories: []string{"proxy"}},
		},
		{
			name: "combined log", kind: KindAccessLog, line: sampleCombined, format: FormatAccessLog,
			want: map[string]string{
				"source.ip": "203.0.113.7", "@timestamp": "02/May/2024:08:15:31 +0700", "http.request.method": "GET",
				"url.original": "/wp-login.php?redirect_to=%2Fwp-admin", "url.path": "/wp-login.php", "url.query": "redirect_to=%2Fwp-admin",
				"http.version": "1.1", "http.response.status_code": "404", "http.response.body.bytes": "512",
				"user_agent.original": "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
			},
			absent: []string{"http.request.referrer", "user.name"},
			ls:     Logsource{Categories: []string{"webserver"}},
		},
		{
			name: "common log", kind: KindAccessLog, line: `10.0.0.9 - admin [10/Oct/2000:13:55:36 -0700] "POST /cgi-bin/test.cgi HTTP/1.0" 200 -`, format: FormatAccessLog,
			want:   map[string]string{"source.ip": "10.0.0.9", "user.name": "admin", "http.request.method": "POST", "url.path": "/cgi-bin/test.cgi", "http.response.status_code": "200"},
			absent: []string{"http.response.body.bytes", "user_agent.original"},
			ls:     Logsource{Categories: []string{"webserver"}},
		},
		{
			name: "combined log with escaped quote", kind: KindAccessLog,
			line:   `198.51.100.9 - - [02/May/2024:08:16:00 +0700] "GET /search?q=\"><script>alert(1)</script> HTTP/1.1" 200 1234 "http://ref.example/" "curl/8.5.0"`,
			format: FormatAccessLog,
			want: map[string]string{
				"url.original": `/search?q=\"><script>alert(1)</script>`, "http.request.referrer": "http://ref.example/", "user_agent.original": "curl/8.5.0",
			},
			ls: Logsource{Categories: []string{"webserver"}},
		},
		{
			name: "rfc5424 with structured data and key=value", kind: KindSyslog, line: sampleRFC5424, format: FormatRFC5424,
			want: map[string]string{
				"log.syslog.priority": "165", "log.syslog.facility.code": "20", "log.syslog.severity.code": "5", "log.level": "notice",
				"host.name": "fw-01.so-tc.local", "process.name": "sensor", "process.pid": "2121", "log.syslog.msgid": "ID47",
				"@timestamp": "2024-05-02T08:15:31.003+07:00", FieldSourceToken: "s3cr3t-token",
				"log.syslog.structured_data.bulwark@32473.agency": "so-tc", "log.syslog.structured_data.exampleSDID@32473.iut": "3",
				"src": "203.0.113.7", "source.ip": "203.0.113.7", "destination.ip": "10.10.1.20", "destination.port": "443",
				"network.transport": "tcp", "event.action": "deny", "msg": `blocked by "policy" 7`,
			},
			ls: Logsource{Services: []string{"syslog"}},
		},
		{
			name: "rfc3164 sshd", kind: KindSyslog, line: sampleRFC3164, format: FormatRFC3164,
			want: map[string]string{
				"log.syslog.facility.code": "4", "log.level": "informational", "host.name": "web01", "process.name": "sshd", "process.pid": "4242",
				"@timestamp": "2024-05-02T08:15:31Z", "message": "Failed password for invalid user admin from 203.0.113.7 port 52211 ssh2",
			},
			ls: Logsource{Product: "linux", Services: []string{"sshd", "auth", "syslog"}},
		},
		{
			name: "rfc3164 iptables", kind: KindSyslog, format: FormatRFC3164,
			line: `<4>May  2 08:15:32 gw kernel: [12345.678] IN=eth0 OUT= SRC=203.0.113.7 DST=10.10.1.20 LEN=60 PROTO=TCP SPT=40000 DPT=22`,
			want: map[string]string{"source.ip": "203.0.113.7", "destination.ip": "10.10.1.20", "source.port": "40000", "destination.port": "22", "network.transport": "tcp", "OUT": ""},
			ls:   Logsource{Services: []string{"syslog"}},
		},
		{
			name: "rfc3164 new year", kind: KindSyslog, format: FormatRFC3164,
			line: `<13>Dec 31 23:59:59 host app: bye`,
			want: map[string]string{"@timestamp": "2023-12-31T23:59:59Z", "message": "bye"},
			ls:   Logsource{Services: []string{"syslog"}},
		},
		{
			name: "syslog carrying suricata JSON", kind: KindSyslog, format: FormatSuricata,
			line: `<14>May  2 08:15:33 ids-01 suricata[1200]: @cee: {"timestamp":"2024-05-02T08:15:33+0700","event_type":"alert","src_ip":"203.0.113.7","src_port":1,"dest_ip":"10.0.0.1","dest_port":445,"proto":"TCP","alert":{"signature":"ET EXPLOIT SMB","signature_id":1,"category":"x","severity":1,"action":"allowed"}}`,
			want: map[string]string{"rule.name": "ET EXPLOIT SMB", "source.ip": "203.0.113.7", "destination.port": "445", "host.name": "ids-01", "process.name": "suricata", "message": "ET EXPLOIT SMB"},
			ls:   Logsource{Product: "suricata", Services: []string{"alert"}},
		},
		{
			name: "not syslog at all", kind: KindSyslog, format: FormatRFC3164,
			line: `hello world user=bob`,
			want: map[string]string{"message": "hello world user=bob", "user": "bob", "user.name": "bob"},
			ls:   Logsource{Services: []string{"syslog"}},
		},
		{
			name: "generic json", kind: KindJSON, format: FormatJSON,
			line: `{"source":{"ip":"192.0.2.1"},"a":{"b":[1,[2,3],{"c":null}]},"":"x","t":true,"n":-1.5e3,"s":"\u00e9\ud83d\ude00\ud800"}`,
			want: map[string]string{"source.ip": "192.0.2.1", "a.b": "[1, 2, 3]", "a.b.c": "[]", "_": "x", "t": "true", "n": "-1.5e3", "s": "é😀\uFFFD"},
			ls:   Logsource{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.kind, Options{Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			ev, err := d.Decode([]byte(tt.line))
			if err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			if ev.Format() != tt.format {
				t.Errorf("Format() = %q, want %q", ev.Format(), tt.format)
			}
			if diff := cmp.Diff(tt.want, pick(&ev, tt.want)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			for _, n := range tt.absent {
				if v, ok := ev.Get(n); ok {
					t.Errorf("field %s = %q, want absent", n, v)
				}
			}
			if diff := cmp.Diff(tt.ls, LogsourceOf(&ev)); diff != "" {
				t.Errorf("LogsourceOf (-want +got):\n%s", diff)
			}
			if ev.Raw() != tt.line {
				t.Errorf("Raw() = %q, want the input", ev.Raw())
			}
		})
	}
}
