package warninglist

import (
	"archive/tar"
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

// sharedTestdata returns ../shared/testdata relative to the repository
// root. It skips when absent, unless BULWARK_TEST_SHARED=required.
func sharedTestdata(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("BULWARK_TEST_SHARED") == "required" {
			t.Fatalf("shared test data %s is required (BULWARK_TEST_SHARED=required): %v", rel, err)
		}
		t.Skipf("shared test data %s absent; set BULWARK_TEST_SHARED=required to fail instead", rel)
	}
	return p
}

// TestMISPWarninglists parses every list of the real MISP warninglists
// repository and checks a few well-known answers.
func TestMISPWarninglists(t *testing.T) {
	f, err := os.Open(sharedTestdata(t, "misp-warninglists/misp-warninglists-lists.tar.xz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xr, err := xz.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(xr)
	var lists []*List
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(h.Name, "/list.json") {
			continue
		}
		l, err := Parse(tr)
		if err != nil {
			t.Errorf("%s: %v", h.Name, err)
			continue
		}
		lists = append(lists, l)
	}
	if len(lists) != 136 {
		t.Errorf("parsed %d lists, want the 136 of MANIFEST.md", len(lists))
	}
	s, skipped := NewSet(lists)
	t.Logf("%d lists, %d entries skipped", s.Lists(), skipped)
	for _, tc := range []struct{ typ, v string }{
		{"ipv4", "8.8.8.8"},
		{"ipv4", "10.0.0.1"},
	} {
		if len(s.Match(tc.typ, tc.v)) == 0 {
			t.Errorf("Match(%s, %s) hit no list", tc.typ, tc.v)
		}
	}
}
