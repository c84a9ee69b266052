// Package sealed encrypts the few secrets Bulwark must store in a form it
// can read back (TOTP seeds, credentials of remote feeds), so that a copy of
// the database alone (a backup, a replica, a leaked dump) does not give
// them away. Values are sealed with AES-256-GCM under a key kept outside
// the database, and bound to where they are stored (a purpose string such
// as "totp:42") so a sealed value copied into another row does not open.
//
// A sealed value is text: "v1:" followed by base64url(nonce || ciphertext).
// A stored value without the prefix was written before sealing existed; Open
// returns it as is (Sealed reports which), so callers can re-seal it on the
// next write.
package sealed

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

const prefix = "v1:"

// Box seals and opens values under one key. A nil *Box is valid and stores
// values in clear (tests and tools that hold no key); Open still reads
// values a keyed Box sealed only if it has the key.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealed: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Sealed reports whether s is a sealed value (as opposed to a value stored
// in clear before sealing was configured).
func Sealed(s string) bool { return strings.HasPrefix(s, prefix) }

// Seal encrypts plain for purpose. The empty string stays empty, so "no
// secret" keeps its meaning in the database.
func (b *Box) Seal(purpose, plain string) (string, error) {
	if plain == "" || b == nil {
		return plain, nil
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sealed: nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), []byte(purpose))
	return prefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// ErrOpen is returned for a sealed value that does not open: a wrong key,
// a different purpose, or a damaged value.
var ErrOpen = errors.New("sealed: value does not open with this key and purpose")

// Open decrypts a value Seal produced for the same purpose. A value
// without the sealed prefix is returned unchanged.
func (b *Box) Open(purpose, stored string) (string, error) {
	if !Sealed(stored) {
		return stored, nil
	}
	if b == nil {
		return "", ErrOpen
	}
	raw, err := base64.RawURLEncoding.DecodeString(stored[len(prefix):])
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// LoadOrCreateKey reads the key file at path (base64 of 32 bytes, one
// line), creating it with a random key and mode 0600 when it does not
// exist. Several servers sharing one PostgreSQL database must share the
// file. A key file readable by others is refused.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("sealed: read key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("sealed: key file %s is readable by group or others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("sealed: key file %s must hold the base64 of %d bytes", path, KeySize)
	}
	return key, nil
}

func createKey(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sealed: generate key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first: use theirs.
		return LoadOrCreateKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("sealed: create key: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("sealed: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sealed: write key: %w", err)
	}
	return key, nil
}
