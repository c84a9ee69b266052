package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bulwark/internal/sharedtest"
)

// detectTestdata returns ../shared/testdata/rel relative to the repository
// root; it skips when absent unless BULWARK_TEST_SHARED=required.
func detectTestdata(tb testing.TB, rel string) string { return sharedtest.Dir(tb, rel) }

// extractSigmaHQ writes the SigmaHQ rule files under prefix to a temporary
// folder, as an analyst's checkout would be.
func extractSigmaHQ(t *testing.T, prefix string) string {
	t.Helper()
	dir := t.TempDir()
	sharedtest.SigmaHQRules(t, func(name string, data []byte) {
		if !strings.HasPrefix(name, prefix) {
			return
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	return dir
}

type huntLine struct {
	Kind      string            `json:"kind"`
	Title     string            `json:"title"`
	Author    string            `json:"author"`
	Indicator string            `json:"indicator"`
	Line      int               `json:"line"`
	Fields    map[string]string `json:"fields"`
}

func runHuntCmd(t *testing.T, args ...string) (int, []huntLine, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append([]string{"hunt"}, args...), strings.NewReader(""), &out, &errOut)
	var lines []huntLine
	dec := json.NewDecoder(&out)
	for dec.More() {
		var l huntLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("hunt output is not JSON lines: %v", err)
		}
		lines = append(lines, l)
	}
	return code, lines, errOut.String()
}

// TestHuntOTRF runs the SigmaHQ Windows rules over the OTRF comsvcs LSASS
// dump recording: both comsvcs rules fire, credited to their authors.
func TestHuntOTRF(t *testing.T) {
	t.Parallel()
	rec := detectTestdata(t, "otrf-security-datasets/datasets_atomic_windows_credential_access_host_psh_lsass_memory_dump_comsvcs.zip")
	rules := extractSigmaHQ(t, "rules/windows/")
	code, lines, stderr := runHuntCmd(t, "--rules", rules, "--events", rec)
	if code != 1 {
		t.Fatalf("hunt exit = %d, want 1 (matches); stderr:\n%s", code, stderr)
	}
	t.Logf("%s", stderr)
	fired := map[string]huntLine{}
	for _, l := range lines {
		fired[l.Title] = l
	}
	for _, want := range []string{"Process Memory Dump Via Comsvcs.DLL", "Lsass Memory Dump via Comsvcs DLL"} {
		l, ok := fired[want]
		if !ok {
			t.Errorf("%q did not fire", want)
			continue
		}
		if l.Author == "" || l.Kind != "rule" || l.Line == 0 || len(l.Fields) == 0 {
			t.Errorf("%q match = %+v, want the author, the line and the fields", want, l)
		}
	}
	if !strings.Contains(stderr, "supported") || !strings.Contains(stderr, "summary: 1 files, 184 events") {
		t.Errorf("summary missing from stderr:\n%s", stderr)
	}
	// Nothing matches a quiet file: exit 0.
	empty := filepath.Join(t.TempDir(), "quiet.ndjson")
	if err := os.WriteFile(empty, []byte(`{"Channel":"Security","EventID":4624,"TargetUserName":"alice"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, lines, stderr := runHuntCmd(t, "--rules", rules, empty); code != 0 || len(lines) != 0 {
		t.Errorf("hunt on a quiet file = %d, %d lines; want 0; stderr:\n%s", code, len(lines), stderr)
	}
	// Errors: exit 2.
	if code, _, _ := runHuntCmd(t, "--rules", rules, "--events", filepath.Join(t.TempDir(), "missing.ndjson")); code != 2 {
		t.Errorf("hunt on a missing file = %d, want 2", code)
	}
	if code, _, _ := runHuntCmd(t, "--events", empty); code != 2 {
		t.Errorf("hunt without rules = %d, want 2", code)
	}
}

// TestHuntZeekMaltrail matches the WRCCDC 2018 Zeek samples against the
// 1.8 million maltrail indicators.
func TestHuntZeekMaltrail(t *testing.T) {
	t.Parallel()
	trails := detectTestdata(t, "maltrail/maltrail-static-iocs.tsv.xz")
	dir := detectTestdata(t, "zeek-wrccdc2018")
	code, lines, stderr := runHuntCmd(t, "--indicators", trails, "--format", "zeek",
		filepath.Join(dir, "dns.sample10k.ndjson.gz"), filepath.Join(dir, "ssl.sample5k.ndjson.gz"), filepath.Join(dir, "notice.ndjson.gz"))
	t.Logf("%s", stderr)
	if code != 1 {
		t.Fatalf("hunt exit = %d, want 1; stderr:\n%s", code, stderr)
	}
	got := map[string]bool{}
	for _, l := range lines {
		if l.Kind != "indicator" || len(l.Fields) != 1 {
			t.Errorf("match %+v, want an indicator hit naming its field", l)
		}
		got[l.Indicator] = true
	}
	// Known hits of this snapshot: an address in the DNS answers, and
	// CIDR blocks the TLS and notice logs' peers fall in.
	for _, want := range []string{"204.79.197.200", "198.199.92.0/22", "178.62.15.0/24"} {
		if !got[want] {
			t.Errorf("indicator %s not matched; matched %v", want, got)
		}
	}
}
