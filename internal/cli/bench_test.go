package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchSigma runs the Sigma part of bench on the generated events with
// two rules, briefly, and checks both sides were measured and the ratio
// printed.
func TestBenchSigma(t *testing.T) {
	dir := t.TempDir()
	rules := map[string]string{
		"comsvcs.yml": "title: Comsvcs dump\nid: 6a1f0b0e-0000-4000-8000-000000000001\nlogsource:\n    product: windows\n    category: process_creation\n" +
			"detection:\n    sel:\n        Image|endswith: '\\rundll32.exe'\n        CommandLine|contains|all:\n            - comsvcs\n            - minidump\n    condition: sel\nlevel: high\n",
		"keywords.yml": "title: Mimikatz keywords\nid: 6a1f0b0e-0000-4000-8000-000000000002\nlogsource:\n    product: windows\n" +
			"detection:\n    keywords:\n        - 'sekurlsa::'\n        - 'privilege::debug'\n    condition: keywords\nlevel: high\n",
	}
	for name, body := range rules {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	var out, errOut bytes.Buffer
	start := time.Now()
	code := Run(context.Background(), []string{"bench", "--only", "sigma", "--rules", dir, "--seconds", "0.3", "--baseline-seconds", "0.3", "--cpuprofile", prof},
		strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	t.Logf("%v:\n%s", time.Since(start).Round(time.Millisecond), out.String())
	if !strings.Contains(out.String(), "rules: 2 loaded") {
		t.Errorf("rules not loaded:\n%s", out.String())
	}
	m := regexp.MustCompile(`bulwark (\d+) events/s/core \((\d+)\), sigma-go by logsource (\d+) events/s/core \((\d+)\), ratio (\d+)x`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no sigma line:\n%s", out.String())
	}
	for _, s := range m[1:5] {
		if n, _ := strconv.Atoi(s); n <= 0 {
			t.Errorf("a rate is zero: %q", m[0])
		}
	}
	if strings.Contains(out.String(), "indicator") || strings.Contains(out.String(), "pipeline") {
		t.Errorf("--only sigma ran other measurements:\n%s", out.String())
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Errorf("no CPU profile written: %v", err)
	}

	errOut.Reset()
	if code := Run(context.Background(), []string{"bench", "--only", "sigma,speed"}, strings.NewReader(""), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `"speed"`) {
		t.Errorf("unknown measurement: exit %d, %q", code, errOut.String())
	}
}

// TestTallyRate checks the rate arithmetic and that CPU time is used when
// known.
func TestTallyRate(t *testing.T) {
	var tl tally
	tl.add(tally{events: 100, wall: time.Second, cpu: 500 * time.Millisecond})
	tl.add(tally{events: 100, wall: time.Second, cpu: 500 * time.Millisecond})
	r := tl.rate()
	if r.wall != 100 || r.cpu != 200 || r.best() != 200 {
		t.Errorf("rate = %+v, best %v", r, r.best())
	}
	if r := (tally{events: 10, wall: time.Second}).rate(); r.best() != 10 {
		t.Errorf("without CPU time best() = %v, want the wall rate", r.best())
	}
	if processCPU() <= 0 {
		t.Skip("no CPU time on this platform")
	}
}

// TestAccessLogName checks which event files bench reads as web server
// access logs: OTRF's credential_access recordings are JSON.
func TestAccessLogName(t *testing.T) {
	for name, want := range map[string]bool{
		"access.log": true, "ssl_access_log.gz": true, "www-access-log": true, "Access.LOG": true,
		"datasets_atomic_windows_credential_access_host_cmd_sam_copy_esentutl.zip": false,
		"events.ndjson": false, "access.json": false,
	} {
		if got := accessLogName(name); got != want {
			t.Errorf("accessLogName(%q) = %v, want %v", name, got, want)
		}
	}
}
