package ioc

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var detectCases = []struct {
	name    string
	in      string
	want    []Match
	wantErr string
}{
	{"mobile local", "0912 345 678", []Match{{TypePhone, "+84912345678"}, {TypeAccount, "0912345678"}}, ""},
	{"mobile e164", "+84912345678", []Match{{TypePhone, "+84912345678"}}, ""},
	{"mobile 84", "84-912-345-678", []Match{{TypePhone, "+84912345678"}, {TypeAccount, "84912345678"}}, ""},
	{"mobile brackets", "(+84) 912.345.678", []Match{{TypePhone, "+84912345678"}}, ""},
	{"landline", "024 3825 1234", []Match{{TypePhone, "+842438251234"}, {TypeAccount, "02438251234"}}, ""},
	{"account only", "0011001234567", []Match{{TypeAccount, "0011001234567"}}, ""},
	{"account no leading zero", "19036012345678", []Match{{TypeAccount, "19036012345678"}}, ""},
	{"account with bank", "VCB 0011 0012 34567", []Match{{TypeAccount, "VCB:0011001234567"}}, ""},
	{"account canonical", "VCB:0011001234567", []Match{{TypeAccount, "VCB:0011001234567"}}, ""},
	{"bad number", "+84 000", nil, "not a valid phone number"},
	{"short digits", "12345", nil, "not a valid phone number"},
	{"url", "https://Evil.example/login?x=1", []Match{{TypeURL, "https://evil.example/login?x=1"}}, ""},
	{"url defanged", "hxxps://evil[.]example/a", []Match{{TypeURL, "https://evil.example/a"}}, ""},
	{"url no scheme", "evil.example/login.php", []Match{{TypeURL, "http://evil.example/login.php"}}, ""},
	{"url host port", "192.0.2.1:443", []Match{{TypeURL, "http://192.0.2.1:443/"}}, ""},
	{"social link", "https://www.facebook.com/shop.gia.re", []Match{{TypeSocial, "facebook:shopgiare"}, {TypeURL, "https://www.facebook.com/shop.gia.re"}}, ""},
	{"social not profile", "https://www.facebook.com/share/abc", []Match{{TypeURL, "https://www.facebook.com/share/abc"}}, ""},
	{"social pair", "zalo:0912345678", []Match{{TypeSocial, "zalo:+84912345678"}}, ""},
	{"domain", "Evil.Example", []Match{{TypeDomain, "evil.example"}}, ""},
	{"domain idn", "bộcôngan.vn", []Match{{TypeDomain, "xn--bcngan-jxa6332d.vn"}}, ""},
	{"domain defanged", "evil[.]example", []Match{{TypeDomain, "evil.example"}}, ""},
	{"ipv4", "192.0.2.1", []Match{{TypeIPv4, "192.0.2.1"}}, ""},
	{"ipv4 mapped", "::ffff:192.0.2.1", []Match{{TypeIPv4, "192.0.2.1"}}, ""},
	{"ipv6", "2001:DB8::1", []Match{{TypeIPv6, "2001:db8::1"}}, ""},
	{"ipv6 like social pair", "fb::1", []Match{{TypeIPv6, "fb::1"}}, ""},
	{"cidr", "10.1.2.3/8", []Match{{TypeCIDR, "10.0.0.0/8"}}, ""},
	{"md5", "D41D8CD98F00B204E9800998ECF8427E", []Match{{TypeMD5, "d41d8cd98f00b204e9800998ecf8427e"}}, ""},
	{"sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", []Match{{TypeSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"}}, ""},
	{"sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", []Match{{TypeSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}, ""},
	{"email", "Scam@Evil.Example", []Match{{TypeEmail, "Scam@evil.example"}}, ""},
	{"email defanged", "scam[at]evil[.]example", []Match{{TypeEmail, "scam@evil.example"}}, ""},
	{"asn", "AS13335", []Match{{TypeASN, "AS13335"}}, ""},
	{"asn spaced", "as 133350", []Match{{TypeASN, "AS133350"}}, ""},
	{"javascript", "javascript:alert(1)", nil, "not recognised"},
	{"garbage", "!!!", nil, "not recognised"},
	{"empty", "  ", nil, "empty"},
	{"too long", strings.Repeat("a", 3000), nil, "too long"},
}

func TestDetectAll(t *testing.T) {
	for _, c := range detectCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DetectAll(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("DetectAll(%q) = %v, %v, want error containing %q", c.in, got, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("DetectAll(%q) error = %v", c.in, err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Fatalf("DetectAll(%q) mismatch (-want +got):\n%s", c.in, diff)
			}
			typ, v, err := Detect(c.in)
			if err != nil || typ != got[0].Type || v != got[0].Value {
				t.Fatalf("Detect(%q) = %s, %q, %v, want the first of DetectAll", c.in, typ, v, err)
			}
			typ2, v2, err := Detect(v)
			if err != nil || typ2 != typ || v2 != v {
				t.Fatalf("Detect(%q) = %s, %q, %v, want it unchanged", v, typ2, v2, err)
			}
		})
	}
}

func TestDetectBracketedIPv6Port(t *testing.T) {
	typ, v, err := Detect("[0:0:0:0:0:ffff:2d3e:c649]:53")
	if err != nil || typ != TypeURL || v != "http://45.62.198.73:53/" {
		t.Fatalf("Detect = %s, %q, %v", typ, v, err)
	}
}
