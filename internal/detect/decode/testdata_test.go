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
)

// sharedTestdata returns ../shared/testdata relative to the repository
// root (the directory holding go.mod). It skips the test when the folder
// is absent, and fails instead when BULWARK_TEST_SHARED=required.
func sharedTestdata(t testing.TB, sub string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("Getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the package directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "testdata", sub)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("BULWARK_TEST_SHARED") == "required" {
			t.Fatalf("shared test data %s missing (BULWARK_TEST_SHARED=required): %v", p, err)
		}
		t.Skipf("shared test data %s not present; skipping", p)
	}
	return p
}

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

func sharedPresent(sub string) bool {
	dir, err := os.Getwd()
	if err != nil {
		return false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			_, err := os.Stat(filepath.Join(dir, "..", "shared", "testdata", sub))
			return err == nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}
