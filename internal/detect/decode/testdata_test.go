package decode

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"bulwark/internal/sharedtest"
)

// sharedTestdata returns ../shared/testdata/sub (see internal/sharedtest).
func sharedTestdata(t testing.TB, sub string) string { return sharedtest.Dir(t, sub) }

// otrfRecording is one NDJSON file from an OTRF zip.
type otrfRecording struct {
	name string
	data []byte
}

// otrfRecordings reads every .json member of every OTRF zip (the zips
// also hold .cap packet captures, which are not events).
func otrfRecordings(t testing.TB) []otrfRecording {
	t.Helper()
	dir := sharedTestdata(t, "otrf-security-datasets")
	zips, err := filepath.Glob(filepath.Join(dir, "*.zip"))
	if err != nil || len(zips) == 0 {
		t.Fatalf("no OTRF zips in %s (%v)", dir, err)
	}
	sort.Strings(zips)
	var out []otrfRecording
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			t.Fatalf("open %s: %v", z, err)
		}
		for _, f := range zr.File {
			if !strings.HasSuffix(f.Name, ".json") {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatalf("open %s in %s: %v", f.Name, z, err)
			}
			data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
			rc.Close()
			if err != nil {
				t.Fatalf("read %s in %s: %v", f.Name, z, err)
			}
			out = append(out, otrfRecording{name: filepath.Base(z), data: data})
		}
		zr.Close()
	}
	return out
}

// zeekLog reads one gzipped Zeek NDJSON file through NewGzipReader.
func zeekLog(t testing.TB, name string) []byte {
	t.Helper()
	dir := sharedTestdata(t, "zeek-wrccdc2018")
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	zr, err := NewGzipReader(f, GzipLimits{})
	if err != nil {
		t.Fatalf("gzip %s: %v", name, err)
	}
	defer zr.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, zr); err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b.Bytes()
}

// otrfRecordingsOptional is otrfRecordings for benchmarks: nil when the
// shared data is absent (benchmarks still run on the built-in samples).
func otrfRecordingsOptional(b *testing.B) []otrfRecording {
	if !sharedPresent("otrf-security-datasets") {
		return nil
	}
	return otrfRecordings(b)
}

func zeekLogOptional(b *testing.B, name string) []byte {
	if !sharedPresent("zeek-wrccdc2018") {
		return nil
	}
	return zeekLog(b, name)
}

func sharedPresent(sub string) bool { return sharedtest.Present(sub) }
