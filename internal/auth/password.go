package auth

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"bulwark/internal/errs"
)

// Argon2 holds argon2id cost parameters.
type Argon2 struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultArgon2 is the production cost: 64 MiB, one pass, two lanes
// (RFC 9106's second recommended option, scaled to a small server).
func DefaultArgon2() Argon2 { return Argon2{Memory: 64 * 1024, Time: 1, Threads: 2} }

// Limits of the PHC strings we accept, so a corrupted or planted hash
// cannot make verification allocate gigabytes or loop for minutes.
const (
	maxPHCLen     = 256
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxTime       = 16
	minSaltLen    = 8
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 64
	saltLen       = 16
	keyLen        = 32
	argon2Version = 0x13
)

// MaxPasswordBytes bounds a password; longer input is refused before
// hashing so it cannot be used to burn CPU.
const MaxPasswordBytes = 1024

func (a Argon2) valid() error {
	switch {
	case a.Threads < 1:
		return errors.New("argon2: threads must be at least 1")
	case a.Time < 1 || a.Time > maxTime:
		return fmt.Errorf("argon2: time must be 1..%d", maxTime)
	case a.Memory < 8*uint32(a.Threads) || a.Memory > maxMemoryKiB:
		return fmt.Errorf("argon2: memory must be %d..%d KiB", 8*uint32(a.Threads), maxMemoryKiB)
	}
	return nil
}

// HashPassword hashes pw with argon2id and a fresh salt and returns the
// PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash". The password is
// NFC-normalised first, so the same Vietnamese text typed with a composing
// or a decomposing keyboard gives the same hash.
func HashPassword(pw string, p Argon2) (string, error) {
	if err := p.valid(); err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(norm.NFC.String(pw)), salt, p.Time, p.Memory, p.Threads, keyLen)
	return encodePHC(phc{params: p, salt: salt, key: key}), nil
}

// VerifyPassword reports whether pw matches the PHC string, comparing in
// constant time. A malformed hash is an error, never a match.
func VerifyPassword(pw, hash string) (bool, error) {
	h, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(norm.NFC.String(pw)), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// needsRehash reports whether hash was made with other parameters than p.
func needsRehash(hash string, p Argon2) bool {
	h, err := parsePHC(hash)
	return err != nil || h.params != p || len(h.key) != keyLen
}

type phc struct {
	params Argon2
	salt   []byte
	key    []byte
}

var b64 = base64.RawStdEncoding

func encodePHC(h phc) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2Version, h.params.Memory, h.params.Time, h.params.Threads,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parsePHC reads an argon2id PHC string strictly: the fields in order, the
// version 19, parameters within limits, salt and hash of sane lengths.
func parsePHC(s string) (phc, error) {
	var h phc
	if len(s) > maxPHCLen {
		return h, errors.New("auth: password hash too long")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return h, errors.New("auth: password hash is not a PHC string")
	}
	if parts[1] != "argon2id" {
		return h, fmt.Errorf("auth: password hash algorithm %q not supported", truncate(parts[1], 20))
	}
	if parts[2] != "v=19" {
		return h, errors.New("auth: password hash version not supported")
	}
	ps := strings.Split(parts[3], ",")
	if len(ps) != 3 {
		return h, errors.New("auth: password hash parameters malformed")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(ps[i], name)
		if !ok || v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') {
			return h, errors.New("auth: password hash parameters malformed")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return h, errors.New("auth: password hash parameters malformed")
		}
		vals[i] = n
	}
	if vals[2] > 255 {
		return h, errors.New("auth: password hash parallelism out of range")
	}
	h.params = Argon2{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	if err := h.params.valid(); err != nil {
		return h, fmt.Errorf("auth: password hash: %w", err)
	}
	var err error
	if h.salt, err = b64.Strict().DecodeString(parts[4]); err != nil || len(h.salt) < minSaltLen || len(h.salt) > maxSaltLen {
		return h, errors.New("auth: password hash salt malformed")
	}
	if h.key, err = b64.Strict().DecodeString(parts[5]); err != nil || len(h.key) < minKeyLen || len(h.key) > maxKeyLen {
		return h, errors.New("auth: password hash key malformed")
	}
	return h, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords is the embedded list, folded; built once, never changed.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := map[string]struct{}{}
	for line := range strings.Lines(commonPasswordsText) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[fold(line)] = struct{}{}
	}
	return m
})

// fold lower-cases s and strips Vietnamese diacritics (đ becomes d), so
// "Mật khẩu" and "mat khau" compare alike.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, strings.ToLower(s))
	if err != nil {
		out = strings.ToLower(s)
	}
	return strings.NewReplacer("đ", "d").Replace(out)
}

// sequences are runs people type as "random": a password that is a piece
// of one of them (or of its reverse) is refused.
var sequences = []string{
	"01234567890123456789",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
	"qwertyuiopasdfghjklzxcvbnm",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"qazwsxedcrfvtgbyhnujmikolp",
	"1q2w3e4r5t6y7u8i9o0p",
	"zaq1xsw2cde3vfr4bgt5nhy6mju7",
}

// CheckPassword applies the password policy and returns an Invalid error on
// field "password" with an English message, or nil. The policy: at least
// minLen characters (DefaultMinPasswordLen when minLen <= 0), at most
// MaxPasswordBytes bytes, not one of the embedded common passwords nor one
// of them wrapped in digits and symbols ("Matkhau@2024"), not a keyboard
// or alphabet run, not a repeated pattern, at least four different
// characters, and not containing the local part of email or the person's
// name. Comparisons ignore case and Vietnamese diacritics.
func CheckPassword(pw string, minLen int, email, name string) error {
	if minLen <= 0 {
		minLen = DefaultMinPasswordLen
	}
	field := func(format string, args ...any) error { return errs.Field("password", format, args...) }
	switch {
	case pw == "":
		return field("a password is required")
	case len(pw) > MaxPasswordBytes:
		return field("password is too long (at most %d bytes)", MaxPasswordBytes)
	case !utf8.ValidString(pw):
		return field("password is not valid text")
	}
	pw = norm.NFC.String(pw)
	if n := utf8.RuneCountInString(pw); n < minLen {
		return field("password must be at least %d characters long", minLen)
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return field("password must not contain control characters")
		}
	}
	f := fold(pw)
	if isCommon(f) {
		return field("password is too common or predictable; choose a longer phrase of your own")
	}
	if distinct(f) < 4 {
		return field("password uses too few different characters")
	}
	compact := strings.Join(strings.Fields(f), "")
	if local, _, ok := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@"); ok {
		if l := fold(local); utf8.RuneCountInString(l) >= 3 && strings.Contains(compact, l) {
			return field("password must not contain the name part of your email address")
		}
	}
	if n := strings.Join(strings.Fields(fold(name)), ""); utf8.RuneCountInString(n) >= 4 && strings.Contains(compact, n) {
		return field("password must not contain your name")
	}
	return nil
}

// isCommon reports whether the folded password is on the list, is a listed
// word wrapped in digits, symbols and spaces, has nothing but those, is a
// run from a keyboard or the alphabet, or repeats one short piece.
func isCommon(f string) bool {
	list := commonPasswords()
	if _, ok := list[f]; ok {
		return true
	}
	core := strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
	if core == "" {
		return true // only digits and symbols
	}
	if _, ok := list[core]; ok {
		return true
	}
	if _, ok := list[strings.Join(strings.Fields(core), "")]; ok {
		return true
	}
	compact := strings.Join(strings.Fields(f), "")
	for _, seq := range sequences {
		if strings.Contains(seq, compact) || strings.Contains(reverse(seq), compact) {
			return true
		}
	}
	return isRepeat(compact)
}

func isRepeat(s string) bool {
	n := len(s)
	for k := 1; k <= n/2; k++ {
		if n%k == 0 && strings.Repeat(s[:k], n/k) == s {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func distinct(s string) int {
	seen := map[rune]struct{}{}
	for _, r := range s {
		seen[r] = struct{}{}
	}
	return len(seen)
}
