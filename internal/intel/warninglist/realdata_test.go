package warninglist

import (
	"archive/tar"
	"bufio"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"bulwark/internal/sharedtest"
	"github.com/ulikunitz/xz"
)

// sharedTestdata returns ../shared/testdata relative to the repository
// root. It skips when absent, unless BULWARK_TEST_SHARED=required.
func sharedTestdata(t testing.TB, rel string) string { return sharedtest.Dir(t, rel) }

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
