package sharedtest

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"
)

// SigmaHQArchive is the SigmaHQ rule snapshot under ../shared/testdata.
const SigmaHQArchive = "sigmahq/sigmahq-rules-8eaafff1.tgz"

// maxRuleFile bounds a rule file read from the archive; the largest
// SigmaHQ rule is far smaller.
const maxRuleFile = 4 << 20

// SigmaHQRules calls fn with every rule file (.yml or .yaml) of the
// SigmaHQ snapshot, read straight from its archive; name is the file's
// path there (rules/windows/...). It skips or fails like Dir when the
// snapshot is absent.
func SigmaHQRules(t testing.TB, fn func(name string, data []byte)) {
	t.Helper()
	f, err := os.Open(Dir(t, SigmaHQArchive))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if h.Typeflag != tar.TypeReg || !(strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxRuleFile))
		if err != nil {
			t.Fatal(err)
		}
		fn(name, data)
	}
}
