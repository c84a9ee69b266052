// Package sharedtest locates the third-party test data in ../shared/testdata
// (relative to the repository root) for tests and benchmarks. A test that
// needs it skips with a clear message when it is absent (a user's fresh
// clone), and fails instead when BULWARK_TEST_SHARED=required (as in CI).
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// root returns the repository root: the nearest directory above the
// working directory (the package under test) that holds go.mod.
func root() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Path returns ../shared/testdata/sub without checking that it exists.
func Path(sub string) string {
	r, ok := root()
	if !ok {
		return ""
	}
	return filepath.Join(r, "..", "shared", "testdata", sub)
}

// Present reports whether ../shared/testdata/sub exists; for benchmarks
// that fall back to built-in samples.
func Present(sub string) bool {
	p := Path(sub)
	if p == "" {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}

// Dir returns ../shared/testdata/sub, skipping the test when it is absent
// or failing it when BULWARK_TEST_SHARED=required.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	p := Path(sub)
	if p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("BULWARK_TEST_SHARED") == "required" {
		t.Fatalf("shared test data ../shared/testdata/%s is missing (BULWARK_TEST_SHARED=required)", sub)
	}
	t.Skipf("shared test data ../shared/testdata/%s not present; skipping (set BULWARK_TEST_SHARED=required to fail instead)", sub)
	return ""
}
