package auth

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/errs"
)

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, pw, email, person string
		minLen                  int
		wantErr                 string // substring of the message; "" means accepted
	}{
		{name: "good phrase", pw: "ngựa phi đường xa 1975", email: "an@so.gov.vn", person: "Nguyễn Văn An"},
		{name: "good random", pw: "t7#Vq9!mZ2@x", email: "an@so.gov.vn", person: "An"},
		{name: "empty", pw: "", wantErr: "required"},
		{name: "too short", pw: "Xk9#mq2", wantErr: "at least 12 characters"},
		{name: "short counts characters not bytes", pw: "đườngđườngđ", wantErr: "at least 12"},
		{name: "custom min length", pw: "Xk9#mq2v", minLen: 8},
		{name: "too long", pw: strings.Repeat("ab1!", 300), wantErr: "too long"},
		{name: "invalid utf8", pw: "abcdefghijk\xff", wantErr: "not valid text"},
		{name: "control character", pw: "ngựa phi\x00đường xa", wantErr: "control"},
		{name: "common", pw: "123456789012", minLen: 8, wantErr: "too common"},
		{name: "common lower length", pw: "matkhau123", minLen: 8, wantErr: "too common"},
		{name: "common any case", pw: "PASSWORD1", minLen: 8, wantErr: "too common"},
		{name: "common word wrapped", pw: "Matkhau@2024!!", wantErr: "too common"},
		{name: "common with diacritics", pw: "Mật khẩu 2024!!", wantErr: "too common"},
		{name: "vietnamese love", pw: "anhyeuem123456", wantErr: "too common"},
		{name: "only digits", pw: "931746285017", wantErr: "too common"},
		{name: "keyboard run", pw: "qwertyuiopas", wantErr: "too common"},
		{name: "alphabet run reversed", pw: "zyxwvutsrqpo", wantErr: "too common"},
		{name: "repeat", pw: "abcdabcdabcd", wantErr: "too common"},
		{name: "few distinct", pw: "aaaaaaaaaabbb", wantErr: "too few different"},
		{name: "email local part", pw: "tranthibinh#2026x", email: "TranThiBinh@bank.vn", wantErr: "email"},
		{name: "short local part ignored", pw: "xanh la cay 2026", email: "an@x.vn"},
		{name: "name", pw: "nguyenvanan-gov-2026", email: "x@y.vn", person: "Nguyễn Văn An", wantErr: "your name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw, tt.minLen, tt.email, tt.person)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v, want nil", tt.pw, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CheckPassword(%q) = %v, want error containing %q", tt.pw, err, tt.wantErr)
			}
			if errs.KindOf(err) != errs.Invalid || errs.FieldOf(err) != "password" {
				t.Errorf("CheckPassword(%q) kind %v field %q, want invalid on password", tt.pw, errs.KindOf(err), errs.FieldOf(err))
			}
		})
	}
}

func TestCommonListLoaded(t *testing.T) {
	n := len(commonPasswords())
	if n < 300 {
		t.Errorf("common password list has %d entries, want several hundred", n)
	}
	for _, w := range []string{"matkhau123", "123456789", "abc123", "password1", "anhyeuem"} {
		if _, ok := commonPasswords()[w]; !ok {
			t.Errorf("common list lacks %q", w)
		}
	}
}

func TestHashVerify(t *testing.T) {
	h, err := HashPassword("Mật khẩu dài của tôi", testArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=8,t=1,p=1$") {
		t.Errorf("HashPassword = %q, want PHC argon2id", h)
	}
	// The same text in decomposed form (another keyboard) must verify.
	decomposed := "Ma\u0302\u0323t kha\u0302\u0309u da\u0300i cu\u0309a to\u0302i"
	for _, tt := range []struct {
		pw   string
		want bool
	}{
		{"Mật khẩu dài của tôi", true},
		{decomposed, true},
		{"mật khẩu dài của tôi", false},
		{"", false},
	} {
		got, err := VerifyPassword(tt.pw, h)
		if err != nil || got != tt.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tt.pw, got, err, tt.want)
		}
	}
	h2, _ := HashPassword("Mật khẩu dài của tôi", testArgon2)
	if h2 == h {
		t.Error("two hashes of one password are equal; salt not random")
	}
	if needsRehash(h, testArgon2) || !needsRehash(h, DefaultArgon2()) {
		t.Error("needsRehash wrong")
	}
}

func TestParsePHC(t *testing.T) {
	good := "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	h, err := parsePHC(good)
	if err != nil {
		t.Fatalf("parsePHC(good) = %v", err)
	}
	if diff := cmp.Diff(Argon2{Memory: 65536, Time: 1, Threads: 2}, h.params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	bad := []struct{ name, s string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu"},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"old version", strings.Replace(good, "v=19", "v=16", 1)},
		{"params order", strings.Replace(good, "m=65536,t=1,p=2", "t=1,m=65536,p=2", 1)},
		{"leading zero", strings.Replace(good, "t=1", "t=01", 1)},
		{"huge memory", strings.Replace(good, "m=65536", "m=4294967295", 1)},
		{"zero time", strings.Replace(good, "t=1", "t=0", 1)},
		{"huge time", strings.Replace(good, "t=1", "t=1000", 1)},
		{"zero threads", strings.Replace(good, "p=2", "p=0", 1)},
		{"threads overflow", strings.Replace(good, "p=2", "p=256", 1)},
		{"memory below threads", strings.Replace(good, "m=65536", "m=8", 1)},
		{"short salt", strings.Replace(good, "c2FsdHNhbHRzYWx0c2FsdA", "c2FsdA", 1)},
		{"bad base64", strings.Replace(good, "c2FsdHNhbHRzYWx0c2FsdA", "c2Fsd!!!HRzYWx0c2FsdA", 1)},
		{"padded base64", strings.Replace(good, "c2FsdHNhbHRzYWx0c2FsdA", "c2FsdHNhbHRzYWx0c2FsdA==", 1)},
		{"extra field", good + "$x"},
		{"too long", good + strings.Repeat("A", 300)},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parsePHC(tt.s); err == nil {
				t.Errorf("parsePHC(%q) = nil error, want an error", tt.s)
			}
			if ok, err := VerifyPassword("x", tt.s); ok || err == nil {
				t.Errorf("VerifyPassword on %q = %v, %v; want false and an error", tt.s, ok, err)
			}
		})
	}
}

func TestDelay(t *testing.T) {
	var got []string
	for n := 1; n <= 12; n++ {
		got = append(got, delay(n).String())
	}
	want := []string{"0s", "0s", "0s", "500ms", "1s", "2s", "4s", "8s", "10s", "10s", "10s", "10s"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
}

func FuzzParsePHC(f *testing.F) {
	h, _ := HashPassword("seed", testArgon2)
	f.Add(h)
	f.Add("$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			return
		}
		// Anything accepted is within limits and re-encodes to itself.
		if p.params.valid() != nil || len(p.salt) < minSaltLen || len(p.key) < minKeyLen {
			t.Fatalf("parsePHC(%q) accepted out-of-range values %+v", s, p.params)
		}
		if enc := encodePHC(p); enc != s {
			t.Fatalf("parsePHC(%q) re-encodes to %q", s, enc)
		}
	})
}

func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"", "matkhau123", "Mật khẩu 2024!!", "\xff\xfe", "ab", strings.Repeat("x", 2000)} {
		f.Add(s, "a.b@c.vn", "Nguyễn Văn An")
	}
	f.Fuzz(func(t *testing.T, pw, email, name string) {
		err := CheckPassword(pw, 0, email, name)
		if err != nil && (errs.KindOf(err) != errs.Invalid || errs.FieldOf(err) != "password") {
			t.Fatalf("CheckPassword error %v is not an Invalid password error", err)
		}
	})
}
