package decode

import (
	"bytes"
	"strings"
	"testing"
)

// TestSecurity4688AsProcessCreation checks that Security 4688 events get
// the Sysmon process_creation names in each Windows layout, without
// overwriting what the event already has.
func TestSecurity4688AsProcessCreation(t *testing.T) {
	// The OTRF flat layout (the Dumpert recording, message left out), the
	// EVTX converter layout with a distinct target account, and Winlogbeat.
	flat := `{"SubjectUserName":"wardog","CommandLine":"Outflank-Dumpert.exe","SubjectLogonId":"0xc61d9","NewProcessId":"0x1a74","SubjectDomainName":"WORKSTATION5","TargetLogonId":"0x0","TokenElevationType":"%%1936","SubjectUserSid":"S-1-5-21-3940915590-64593676-1414006259-500","NewProcessName":"C:\\Users\\wardog\\Desktop\\Outflank-Dumpert.exe","EventID":4688,"Channel":"Security","Task":"13312","Hostname":"WORKSTATION5","ProcessId":"0xc08","MandatoryLabel":"S-1-16-12288","ParentProcessName":"C:\\Windows\\System32\\cmd.exe","TargetUserSid":"S-1-0-0","TargetDomainName":"-","SourceName":"Microsoft-Windows-Security-Auditing","TargetUserName":"-"}`
	evtx := `{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4688,"Channel":"Security","Computer":"dc01.binhan.gov.vn"},"EventData":{"SubjectUserName":"DC01$","SubjectDomainName":"BINHAN","SubjectLogonId":"0x3e7","NewProcessId":"0x1f4","NewProcessName":"C:\\Windows\\System32\\whoami.exe","TokenElevationType":"%%1938","ProcessId":"0x2a0","CommandLine":"whoami /all","TargetUserName":"analyst","TargetDomainName":"BINHAN","TargetLogonId":"0x5a3f1","ParentProcessName":"C:\\Windows\\System32\\cmd.exe","MandatoryLabel":"S-1-16-8192"}}}`
	beat := `{"winlog":{"channel":"Security","event_id":"4688","computer_name":"ws01","event_data":{"SubjectUserName":"nva","SubjectDomainName":"BINHAN","SubjectLogonId":"0x1234","NewProcessName":"C:\\Windows\\System32\\rundll32.exe","CommandLine":"rundll32.exe comsvcs.dll, MiniDump 624 C:\\temp\\l.dmp full","ProcessId":"0x10","ParentProcessName":"C:\\Windows\\explorer.exe","MandatoryLabel":"S-1-16-16384","TargetUserName":"-"}}}`
	sysmonLike := `{"Channel":"Security","EventID":4688,"NewProcessName":"C:\\a.exe","Image":"C:\\kept.exe","User":"X\\kept","ProcessId":"0x10"}`
	other := `{"Channel":"Security","EventID":4689,"ProcessName":"C:\\a.exe","SubjectUserName":"u","ProcessId":"0x10"}`
	tests := []struct {
		name, line string
		want       map[string]string // "" means the field must be absent
	}{
		{"flat", flat, map[string]string{
			"Image": `C:\Users\wardog\Desktop\Outflank-Dumpert.exe`, "ParentImage": `C:\Windows\System32\cmd.exe`,
			"CommandLine": "Outflank-Dumpert.exe", "User": `WORKSTATION5\wardog`, "LogonId": "0xc61d9",
			"IntegrityLevel": "High", "ParentProcessId": "3080", "ProcessId": "0xc08",
			"process.executable": `C:\Users\wardog\Desktop\Outflank-Dumpert.exe`, "process.pid": "6772", "user.name": "wardog", "user.domain": "WORKSTATION5",
		}},
		{"evtx", evtx, map[string]string{
			"Image": `C:\Windows\System32\whoami.exe`, "ParentImage": `C:\Windows\System32\cmd.exe`,
			"CommandLine": "whoami /all", "User": `BINHAN\analyst`, "LogonId": "0x5a3f1",
			"IntegrityLevel": "Medium", "ParentProcessId": "672", "user.name": "analyst",
		}},
		{"winlogbeat", beat, map[string]string{
			"Image": `C:\Windows\System32\rundll32.exe`, "ParentImage": `C:\Windows\explorer.exe`,
			"User": `BINHAN\nva`, "LogonId": "0x1234", "IntegrityLevel": "System", "ParentProcessId": "16",
		}},
		{"present names kept", sysmonLike, map[string]string{"Image": `C:\kept.exe`, "User": `X\kept`, "ParentProcessId": "16", "ParentImage": ""}},
		{"not 4688", other, map[string]string{"Image": "", "User": "", "ParentProcessId": "", "IntegrityLevel": ""}},
	}
	d := NewWindowsDecoder(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := d.Decode([]byte(tt.line))
			if err != nil {
				t.Fatal(err)
			}
			for f, want := range tt.want {
				got, ok := ev.Get(f)
				if want == "" {
					if ok {
						t.Errorf("%s = %q, want absent", f, got.Text())
					}
					continue
				}
				if got.Text() != want {
					t.Errorf("%s = %q, want %q", f, got.Text(), want)
				}
			}
			if tt.name != "not 4688" && !LogsourceOf(&ev).Matches("windows", "process_creation", "security") {
				t.Errorf("logsource %+v is not windows/process_creation/security", LogsourceOf(&ev))
			}
		})
	}
}

// TestSecurity4688OTRF decodes the 4688 events of the OTRF esentutl SAM
// copy recording: the esentutl process must read as process_creation with
// the Sysmon names, as SigmaHQ's esentutl rules expect.
func TestSecurity4688OTRF(t *testing.T) {
	var rec *otrfRecording
	for _, r := range otrfRecordings(t) {
		if strings.Contains(r.name, "sam_copy_esentutl") {
			rec = &r
		}
	}
	if rec == nil {
		t.Fatal("esentutl recording not found")
	}
	d := NewWindowsDecoder(Options{})
	seen, esentutl := 0, 0
	err := DecodeLines(bytes.NewReader(rec.data), d, Options{}, func(n int, ev Event, err error) error {
		if err != nil || ev.Text("EventID") != "4688" {
			return nil
		}
		seen++
		if ev.Text("Image") != ev.Text("NewProcessName") || ev.Text("ParentImage") != ev.Text("ParentProcessName") {
			t.Errorf("line %d: Image %q ParentImage %q", n, ev.Text("Image"), ev.Text("ParentImage"))
		}
		if !strings.Contains(ev.Text("User"), `\`) || ev.Text("IntegrityLevel") == "" {
			t.Errorf("line %d: User %q IntegrityLevel %q", n, ev.Text("User"), ev.Text("IntegrityLevel"))
		}
		if !LogsourceOf(&ev).Matches("windows", "process_creation", "") {
			t.Errorf("line %d: not process_creation", n)
		}
		if strings.HasSuffix(strings.ToLower(ev.Text("Image")), `\esentutl.exe`) && strings.Contains(ev.Text("CommandLine"), "/vss") {
			esentutl++
			if ev.Text("User") != `WORKSTATION5\wardog` || ev.Text("IntegrityLevel") != "High" {
				t.Errorf("line %d: User %q IntegrityLevel %q", n, ev.Text("User"), ev.Text("IntegrityLevel"))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen == 0 || esentutl == 0 {
		t.Fatalf("%d 4688 events, %d of esentutl /vss; want both above zero", seen, esentutl)
	}
	t.Logf("%d Security 4688 events, %d esentutl /vss", seen, esentutl)
}
