package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHuntCorrelationEventTime: hunting replays old files, so correlation
// windows use the events' own times. Five failed logons from one address
// spread over eight minutes (the window is five) raise nothing; the same
// five within two minutes, in any order, raise the brute-force alert.
func TestHuntCorrelationEventTime(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rules := filepath.Join(dir, "logon.yml")
	if err := os.WriteFile(rules, []byte(logonRulesFile), 0o644); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC) // last year's logs
	write := func(name string, step time.Duration, order []int, stamp func(time.Time) string) string {
		t.Helper()
		var lines []string
		for _, i := range order {
			lines = append(lines, fmt.Sprintf(`{"Channel":"Security","EventID":4625,"Computer":"ad01.skhcn.local","IpAddress":"203.0.113.50","TargetUserName":"u%d"%s}`,
				i, stamp(t0.Add(time.Duration(i)*step))))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	windows := func(at time.Time) string { return `,"TimeCreated":"` + at.Format("2006-01-02T15:04:05.0000000Z") + `"` }
	ecs := func(at time.Time) string { return `,"@timestamp":"` + at.Format(time.RFC3339Nano) + `"` }
	none := func(time.Time) string { return "" }
	inOrder, shuffled := []int{0, 1, 2, 3, 4}, []int{4, 1, 3, 0, 2}
	for _, c := range []struct {
		name  string
		file  string
		fires bool
	}{
		{"spread over 8 minutes", write("spread.ndjson", 2*time.Minute, inOrder, windows), false},
		{"spread over 8 minutes, shuffled", write("spread-shuffled.ndjson", 2*time.Minute, shuffled, ecs), false},
		{"within 2 minutes", write("close.ndjson", 30*time.Second, inOrder, windows), true},
		{"within 2 minutes, shuffled", write("close-shuffled.ndjson", 30*time.Second, shuffled, ecs), true},
		{"no time: read at once", write("untimed.ndjson", time.Hour, inOrder, none), true},
	} {
		code, lines, stderr := runHuntCmd(t, "--rules", rules, "--events", c.file)
		var titles []string
		for _, l := range lines {
			titles = append(titles, l.Kind+": "+l.Title)
		}
		if !strings.Contains(stderr, "summary: 1 files, 5 events (0 rejected)") {
			t.Errorf("%s: summary missing:\n%s", c.name, stderr)
		}
		if c.fires {
			if code != 1 || len(lines) != 1 || lines[0].Kind != "correlation" || lines[0].Title != "Brute Force From One Address" {
				t.Errorf("%s: hunt = %d, %q; want the brute-force correlation; stderr:\n%s", c.name, code, titles, stderr)
			}
		} else if code != 0 || len(lines) != 0 {
			t.Errorf("%s: hunt = %d, %q; want nothing; stderr:\n%s", c.name, code, titles, stderr)
		}
	}
}
