package sigma

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"bulwark/internal/sharedtest"
)

// sharedTestdata returns ../shared/testdata relative to the repository root
// (the directory holding go.mod). It skips the test when the folder is
// absent, unless BULWARK_TEST_SHARED=required, when it fails instead.
func sharedTestdata(tb testing.TB, rel string) string { return sharedtest.Dir(tb, rel) }

// forEachSigmaHQFile calls fn with every rule file of the SigmaHQ
// tarball, read straight from the archive.
func forEachSigmaHQFile(tb testing.TB, fn func(name string, data []byte)) {
	tb.Helper()
	sharedtest.SigmaHQRules(tb, func(name string, data []byte) {
		if isRuleFile(name) {
			fn(name, data)
		}
	})
}

// loadSigmaHQ loads the rule files of the SigmaHQ tarball whose path has
// the given prefix (such as "rules/windows/").
func loadSigmaHQ(tb testing.TB, prefix string, opts LoadOptions) (*Collection, int) {
	tb.Helper()
	c := &Collection{}
	files := 0
	forEachSigmaHQFile(tb, func(name string, data []byte) {
		if strings.HasPrefix(name, prefix) {
			files++
			c.AddBytes(name, data, opts)
		}
	})
	return c, files
}

// otrfRecording is one OTRF Security-Datasets recording: flat events, one
// JSON object per line.
type otrfRecording struct {
	name   string
	events []MapEvent
}

// The shared data sets are read once per test binary: several tests and
// benchmarks use them and decoding takes seconds.
var (
	otrfOnce  sync.Once
	otrfCache []otrfRecording
	winOnce   sync.Once
	winCache  []*CompiledRule
)

// loadOTRF returns every recording under otrf-security-datasets. Callers
// must not modify the events.
func loadOTRF(tb testing.TB) []otrfRecording {
	tb.Helper()
	dir := sharedTestdata(tb, "otrf-security-datasets")
	otrfOnce.Do(func() { otrfCache = readOTRF(tb, dir) })
	if otrfCache == nil {
		tb.Fatal("OTRF recordings failed to load earlier")
	}
	return otrfCache
}

func readOTRF(tb testing.TB, dir string) []otrfRecording {
	zips, err := filepath.Glob(filepath.Join(dir, "*.zip"))
	if err != nil || len(zips) == 0 {
		tb.Fatalf("no recordings in %s: %v", dir, err)
	}
	var recs []otrfRecording
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			tb.Fatal(err)
		}
		rec := otrfRecording{name: strings.TrimSuffix(filepath.Base(z), ".zip")}
		for _, f := range zr.File {
			if !strings.HasSuffix(f.Name, ".json") {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				tb.Fatal(err)
			}
			sc := bufio.NewScanner(rc)
			sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
			for sc.Scan() {
				line := bytes.TrimSpace(sc.Bytes())
				if len(line) == 0 {
					continue
				}
				var ev MapEvent
				if err := json.Unmarshal(line, &ev); err != nil {
					tb.Fatalf("%s: %v", f.Name, err)
				}
				rec.events = append(rec.events, ev)
			}
			if err := sc.Err(); err != nil {
				tb.Fatal(err)
			}
			rc.Close()
		}
		zr.Close()
		recs = append(recs, rec)
	}
	return recs
}

// windowsRules compiles the SigmaHQ rules for the windows product, from
// all three rule folders of the snapshot.
func windowsRules(tb testing.TB) []*CompiledRule {
	tb.Helper()
	sharedTestdata(tb, sharedtest.SigmaHQArchive)
	winOnce.Do(func() { winCache = readWindowsRules(tb) })
	if winCache == nil {
		tb.Fatal("SigmaHQ Windows rules failed to load earlier")
	}
	return winCache
}

func readWindowsRules(tb testing.TB) []*CompiledRule {
	c, _ := loadSigmaHQ(tb, "", LoadOptions{})
	var out []*CompiledRule
	for _, r := range c.Rules {
		if strings.EqualFold(r.Logsource.Product, "windows") {
			out = append(out, r)
		}
	}
	return out
}
