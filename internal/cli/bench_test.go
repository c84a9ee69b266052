package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"bulwark/internal/detect"
	"bulwark/internal/detect/decode"
	"bulwark/internal/sharedtest"
	"bulwark/internal/sigma"
)

// TestBenchSigma runs the Sigma part of bench on the generated events with
// two rules, briefly, and checks that bulwark and both sigma-go set-ups
// were measured and the ratios printed.
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
	scoped := regexp.MustCompile(`sigma-go scoped by a logsource configuration \(its documented set-up\) (\d+) events/s/core \((\d+)\), ratio (\d+)x`).FindStringSubmatch(out.String())
	if scoped == nil {
		t.Fatalf("no line for the scoped sigma-go:\n%s", out.String())
	}
	if n, _ := strconv.Atoi(scoped[1]); n <= 0 {
		t.Errorf("the scoped sigma-go's rate is zero: %q", scoped[0])
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

// TestSigmaGoBaselinesAgree checks that bench's two sigma-go set-ups, the
// bundle per event logsource and the evaluators scoped by a logsource
// configuration, compute the same answer: the same rules match the same
// events, over SigmaHQ's Windows rules and a sample of the OTRF
// recordings. Only then are their speeds two baselines of one task.
func TestSigmaGoBaselinesAgree(t *testing.T) {
	col := &sigma.Collection{}
	files := map[string][]byte{}
	sharedtest.SigmaHQRules(t, func(name string, data []byte) {
		if strings.HasPrefix(name, "rules/windows/") {
			files[name] = data
			col.AddBytes(name, data, sigma.LoadOptions{})
		}
	})
	zips, err := filepath.Glob(filepath.Join(sharedtest.Dir(t, "otrf-security-datasets"), "*.zip"))
	if err != nil || len(zips) == 0 {
		t.Fatalf("no OTRF recordings: %v", err)
	}
	lines, err := benchEvents(zips, 200_000)
	if err != nil {
		t.Fatal(err)
	}
	lines = jsonOnly(lines)
	// Every 20th event, and every event bulwark's engine matches (sigma-go
	// is too slow to be run on all of them here).
	ours := detect.NewEngine()
	ours.SetRules(detect.NewRules(col))
	snap := ours.Snapshot()
	decs := map[decode.SourceKind]decode.Decoder{}
	var sample []benchLine
	for i, l := range lines {
		dec, ok := decs[l.format]
		if !ok {
			dec, _ = decode.New(l.format, decode.Options{})
			decs[l.format] = dec
		}
		ev, err := dec.Decode(l.raw)
		if i%20 == 0 || (err == nil && len(snap.Match(&ev, 1, time.Now(), nil)) > 0) {
			sample = append(sample, l)
		}
	}
	rules, _ := sigmaGoRules(files, col)
	byIndex := sigmaGoByIndex(rules, sample)
	scoped, dropped := sigmaGoScoped(rules)
	matched, differ := 0, 0
	for i, l := range sample {
		a, b := byIndex(l.raw), scoped(l.raw)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			if differ++; differ <= 5 {
				t.Errorf("event %d: by logsource %q, scoped %q\n%s", i, a, b, l.raw)
			}
		}
		if len(a) > 0 {
			matched++
		}
	}
	if matched == 0 {
		t.Error("no event matched: the comparison shows nothing")
	}
	t.Logf("%d rules (%d left out of the scoped set-up), %d events, %d matched, %d differ", len(rules), dropped, len(sample), matched, differ)
}
