package warninglist

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func builtinSet(t testing.TB) *Set {
	t.Helper()
	lists, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s, skipped := NewSet(lists)
	if skipped != 0 {
		t.Fatalf("NewSet(builtin) skipped %d entries", skipped)
	}
	return s
}

func TestMatchBuiltin(t *testing.T) {
	s := builtinSet(t)
	tests := []struct {
		name, typ, value string
		want             []string
	}{
		{"private ipv4", "ipv4", "10.1.2.3", []string{"Private and reserved address ranges"}},
		{"resolver", "ipv4", "8.8.8.8", []string{"Well-known public DNS resolvers"}},
		{"resolver v6", "ipv6", "2606:4700:4700::1111", []string{"Well-known public DNS resolvers"}},
		{"public address", "ipv4", "45.77.1.2", nil},
		{"cidr inside private", "cidr", "192.168.10.0/24", []string{"Private and reserved address ranges"}},
		{"cidr wider than private", "cidr", "192.0.0.0/8", nil},
		{"domain", "domain", "mail.google.com", []string{"Well-known domains and reserved names"}},
		{"lookalike domain", "domain", "google.com.evil.vn", nil},
		{"url host", "url", "https://drive.google.com/file/x", []string{"Well-known domains and reserved names"}},
		{"email domain", "email", "someone@gmail.com", []string{"Well-known domains and reserved names"}},
		{"hash", "sha256", strings.Repeat("a", 64), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range s.Match(tc.typ, tc.value) {
				got = append(got, h.List)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Match(%s, %s) (-want +got):\n%s", tc.typ, tc.value, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bad json", `{`, "decode"},
		{"no name", `{"type":"string","list":["a"]}`, "no name"},
		{"bad type", `{"name":"x","type":"bogus","list":["a"]}`, "unknown type"},
		{"empty", `{"name":"x","type":"string","list":[]}`, "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestOtherListTypes(t *testing.T) {
	var lists []*List
	for _, src := range []string{
		`{"name":"s","type":"string","list":["Evil.Example."]}`,
		`{"name":"sub","type":"substring","list":["amazonaws"]}`,
		`{"name":"re","type":"regex","list":["/^10\\.0\\./i","(bad"]}`,
	} {
		l, err := Parse(strings.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, l)
	}
	s, skipped := NewSet(lists)
	if skipped != 1 {
		t.Errorf("skipped = %d, want 1 (the bad regex)", skipped)
	}
	for _, tc := range []struct{ typ, v, want string }{
		{"domain", "evil.example", "s"},
		{"domain", "x.s3.amazonaws.com", "sub"},
		{"ipv4", "10.0.0.1", "re"},
	} {
		hits := s.Match(tc.typ, tc.v)
		if len(hits) != 1 || hits[0].List != tc.want {
			t.Errorf("Match(%s, %s) = %v, want list %s", tc.typ, tc.v, hits, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{"name":"x","type":"cidr","list":["10.0.0.0/8","bad"]}`)
	f.Add(`{"name":"x","type":"regex","list":["/a(b/"]}`)
	f.Add(`{"name":"x","type":"hostname","list":["..."]}`)
	f.Fuzz(func(t *testing.T, in string) {
		l, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		s, _ := NewSet([]*List{l})
		for _, typ := range []string{"ipv4", "cidr", "domain", "url", "email", "md5"} {
			s.Match(typ, in)
		}
	})
}
