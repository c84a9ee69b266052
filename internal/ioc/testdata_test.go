package ioc

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"bulwark/internal/sharedtest"
)

// sharedTestdata returns the path of ../shared/testdata/<rel> seen from the
// repository root. It skips the test when the file is absent, unless
// BULWARK_TEST_SHARED=required (as in CI), where it fails.
func sharedTestdata(tb testing.TB, rel string) string { return sharedtest.Dir(tb, rel) }

// maltrailIndicators calls fn with the indicator (first column) of one row
// in every `every` of the first `limit` rows of the maltrail static trails
// (0: all). Rows are grouped by malware family in name order, so a prefix
// still mixes every kind of indicator; reading only a prefix keeps the
// test quick, as decompressing the whole file takes seconds.
func maltrailIndicators(tb testing.TB, limit, every int, fn func(indicator string)) {
	tb.Helper()
	f, err := os.Open(sharedTestdata(tb, "maltrail/maltrail-static-iocs.tsv.xz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := xz.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		tb.Fatalf("maltrail: xz: %v", err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 0; sc.Scan() && (limit == 0 || n <= limit); n++ {
		if n == 0 || n%every != 0 {
			continue // the header, or not sampled
		}
		ind, _, _ := strings.Cut(sc.Text(), "\t")
		fn(ind)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("maltrail: read: %v", err)
	}
}

// mispLists returns the "list" arrays of the named MISP warning lists.
func mispLists(tb testing.TB, names ...string) map[string][]string {
	tb.Helper()
	f, err := os.Open(sharedTestdata(tb, "misp-warninglists/misp-warninglists-lists.tar.xz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := xz.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		tb.Fatalf("misp: xz: %v", err)
	}
	want := make(map[string]bool)
	for _, n := range names {
		want["lists/"+n+"/list.json"] = true
	}
	out := make(map[string][]string)
	tr := tar.NewReader(zr)
	for len(out) < len(names) {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("misp: tar: %v", err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if !want[name] {
			continue
		}
		var l struct {
			List []string `json:"list"`
		}
		if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(&l); err != nil {
			tb.Fatalf("misp: %s: %v", name, err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(name, "lists/"), "/list.json")] = l.List
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			tb.Fatalf("misp: list %s not found in the archive", n)
		}
	}
	return out
}
