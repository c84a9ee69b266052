package demo

import (
	"context"
	"fmt"
	"strings"

	"bulwark/internal/agency"
	"bulwark/internal/detect"
)

// Detect returns the demo step of detection, for Seed.
func Detect(svc *detect.Service, ag *agency.Service) func(context.Context) error {
	return func(ctx context.Context) error { return SeedDetect(ctx, svc, ag) }
}

// demoRules are two small rules in the SigmaHQ format, written for the
// demo (so no third-party licence applies).
var demoRules = []detect.UploadFile{
	{Name: "web_path_traversal.yml", Data: []byte(`title: Path Traversal Attempt On A Public Portal
id: 7d1f4a52-5d0c-4c8e-9d3b-1a2b3c4d5e01
status: test
author: Bulwark demo
level: high
tags: [attack.initial-access, attack.t1190]
logsource:
  category: webserver
detection:
  sel:
    cs-uri-query|contains: ['../', '..%2f']
  condition: sel
falsepositives: [Vulnerability scans ordered by the owner]
`)},
	{Name: "win_whoami_from_iis.yml", Data: []byte(`title: Whoami Run By The Web Server Process
id: 7d1f4a52-5d0c-4c8e-9d3b-1a2b3c4d5e02
status: test
author: Bulwark demo
level: critical
tags: [attack.discovery, attack.t1033]
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    Image|endswith: '\whoami.exe'
    ParentImage|endswith: '\w3wp.exe'
  condition: sel
`)},
	{Name: "ids_trojan_alert.yml", Data: []byte(`title: IDS Saw A Network Trojan
id: 7d1f4a52-5d0c-4c8e-9d3b-1a2b3c4d5e03
status: test
author: Bulwark demo
level: high
tags: [attack.command-and-control]
logsource:
  product: suricata
detection:
  sel:
    event_type: alert
    alert.category: 'A Network Trojan was detected'
  condition: sel
`)},
}

// SeedDetect registers a sensor for each district and the city (web
// servers and firewalls) and the province data centre's IDS, which watches
// that information system (seeded before, when the inventory is on), loads
// the demo rules and sends a few events that raise alerts; the IDS alert
// names the data centre, whose range holds the beaconing server. ctx must
// carry the system principal.
func SeedDetect(ctx context.Context, svc *detect.Service, ag *agency.Service) error {
	if svc == nil {
		return nil
	}
	if _, err := svc.UploadRules(ctx, demoRules); err != nil {
		return fmt.Errorf("demo: detection rules: %w", err)
	}
	systems, err := svc.SystemChoices(ctx)
	if err != nil {
		return fmt.Errorf("demo: information systems: %w", err)
	}
	systemID := func(name string) int64 {
		for _, s := range systems {
			if s.Name == name {
				return s.ID
			}
		}
		return 0
	}
	sensors := []struct {
		agency, name, kind, format string
		system                     int64
		lines                      []string
	}{
		{"TPBA", "Cổng dịch vụ công thành phố (nginx)", "web", "accesslog", 0, []string{
			`203.0.113.45 - - [20/Nov/2026:09:12:01 +0700] "GET /tai-lieu?file=../../etc/passwd HTTP/1.1" 403 0 "-" "sqlmap/1.8"`,
			`203.0.113.45 - - [20/Nov/2026:09:12:03 +0700] "GET /tai-lieu?file=..%2f..%2fweb.config HTTP/1.1" 403 0 "-" "sqlmap/1.8"`,
			`10.10.1.20 - - [20/Nov/2026:09:13:00 +0700] "GET /dich-vu-cong HTTP/1.1" 200 5120 "-" "Mozilla/5.0"`,
		}},
		{"HTP", "Tường lửa UBND huyện Tân Phú", "firewall", "syslog", 0, []string{
			`<134>Nov 20 09:20:11 fw-tanphu kernel: action=drop src=198.51.100.23 dst=10.20.0.5 spt=51515 dpt=3389 proto=tcp`,
		}},
		{"HLD", "Máy chủ một cửa Long Điền (Sysmon)", "windows", "windows", 0, []string{
			`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"motcua-ld.longdien.local","Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe","User":"IIS APPPOOL\\motcua"}`,
		}},
		{"SKHCN", "Trung tâm dữ liệu tỉnh (Suricata)", "ids", "suricata", systemID("Trung tâm dữ liệu tỉnh"), []string{
			`{"timestamp":"2026-11-20T09:30:00.000000+0700","event_type":"alert","src_ip":"10.20.0.14","src_port":49822,"dest_ip":"192.0.2.66","dest_port":443,"proto":"TCP","alert":{"signature":"ET MALWARE Possible C2 Beacon","category":"A Network Trojan was detected","severity":1}}`,
		}},
	}
	for _, s := range sensors {
		a, err := ag.AgencyByCode(ctx, s.agency)
		if err != nil {
			return fmt.Errorf("demo: sensor agency %s: %w", s.agency, err)
		}
		c, err := svc.CreateSource(ctx, detect.SourceInput{AgencyID: a.ID, Name: s.name, Kind: s.kind, Format: s.format, SystemID: s.system})
		if err != nil {
			return fmt.Errorf("demo: sensor %s: %w", s.name, err)
		}
		if _, err := svc.Ingest(ctx, c.Source, strings.NewReader(strings.Join(s.lines, "\n")), false); err != nil {
			return fmt.Errorf("demo: events of %s: %w", s.name, err)
		}
	}
	return nil
}
