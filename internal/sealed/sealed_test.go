package sealed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testBox(t *testing.T) *Box {
	t.Helper()
	b, err := New([]byte(strings.Repeat("k", KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := testBox(t)
	other, err := New([]byte(strings.Repeat("o", KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.Seal("totp:1", "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if !Sealed(s) || strings.Contains(s, "JBSWY3DPEHPK3PXP") {
		t.Fatalf("sealed value %q shows the secret or lacks the prefix", s)
	}
	s2, _ := b.Seal("totp:1", "JBSWY3DPEHPK3PXP")
	if s == s2 {
		t.Error("two seals of one value are equal: nonce reused")
	}
	got, err := b.Open("totp:1", s)
	if err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tests := []struct {
		name, purpose, value string
		box                  *Box
	}{
		{"other purpose", "totp:2", s, b},
		{"other key", "totp:1", s, other},
		{"no key", "totp:1", s, nil},
		{"damaged", "totp:1", s[:len(s)-2] + "AA", b},
		{"bad base64", "totp:1", "v1:***", b},
		{"too short", "totp:1", "v1:AAAA", b},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if v, err := tc.box.Open(tc.purpose, tc.value); err != ErrOpen {
				t.Errorf("Open = %q, %v; want ErrOpen", v, err)
			}
		})
	}
	// Values stored before sealing read back as they are; empty stays empty.
	if v, err := b.Open("totp:1", "LEGACYSECRET"); err != nil || v != "LEGACYSECRET" {
		t.Errorf("legacy Open = %q, %v", v, err)
	}
	if v, _ := b.Seal("x", ""); v != "" {
		t.Errorf("Seal of empty = %q", v)
	}
	var nilBox *Box
	if v, _ := nilBox.Seal("x", "clear"); v != "clear" {
		t.Errorf("nil box Seal = %q", v)
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "secret.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("second load gave another key (%v)", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key accepted: %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("c2hvcnQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(bad); err == nil {
		t.Error("short key accepted")
	}
}
