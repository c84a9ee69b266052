package ioc

import (
	"strings"
	"testing"
)

// BenchmarkNormalize measures the normalisers on the hot paths: the
// detection pipeline normalises the domains, URLs and addresses of every
// event, and the public look-up normalises phone numbers.
func BenchmarkNormalize(b *testing.B) {
	cases := []struct {
		name string
		typ  Type
		in   string
	}{
		{"domain/ascii", TypeDomain, "login.secure-update.example.com"},
		{"domain/upper", TypeDomain, "LOGIN.Secure-Update.Example.COM."},
		{"domain/idn", TypeDomain, "đăngnhập.bộcôngan.vn"},
		{"domain/punycode", TypeDomain, "xn--bcngan-jxa6332d.vn"},
		{"url/simple", TypeURL, "http://evil.example/login.php"},
		{"url/typical", TypeURL, "https://Secure-Login.example.com:443/account/./verify/../update.php?id=123&token=abc%2fdef#x"},
		{"url/defanged", TypeURL, "hxxps://evil[.]example[.]com/a[.]php"},
		{"url/long", TypeURL, "https://cdn.example.com/" + strings.Repeat("path/", 100) + "?q=" + strings.Repeat("x", 500)},
		{"ipv4", TypeIPv4, "192.0.2.123"},
		{"ipv6", TypeIPv6, "2001:DB8:0:0:1::1"},
		{"cidr", TypeCIDR, "198.51.100.77/24"},
		{"phone/local", TypePhone, "0912 345 678"},
		{"phone/e164", TypePhone, "+84912345678"},
		{"phone/invalid", TypePhone, "+84 000"},
		{"email", TypeEmail, "Support.Team@Secure-Bank.example.vn"},
		{"sha256", TypeSHA256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
		{"social", TypeSocial, "https://www.facebook.com/shop.gia.re?ref=share"},
	}
	for _, c := range cases {
		if _, err := Normalize(c.typ, c.in); err != nil && c.name != "phone/invalid" {
			b.Fatalf("Normalize(%s, %q): %v", c.typ, c.in, err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				Normalize(c.typ, c.in)
			}
		})
	}
}

func BenchmarkDetect(b *testing.B) {
	for _, in := range []string{"0912 345 678", "0011001234567", "hxxps://evil[.]example/a", "evil.example", "192.0.2.1", "https://t.me/scam_bot"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Detect(in)
			}
		})
	}
}

func BenchmarkParentDomains(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ParentDomains("a.b.c.evil.example.com.vn")
	}
}

// BenchmarkMaltrail runs Detect over a sample of real feed indicators and
// reports the cost per indicator.
func BenchmarkMaltrail(b *testing.B) {
	var inds []string
	maltrailIndicators(b, 0, 20, func(ind string) { inds = append(inds, ind) })
	b.ResetTimer()
	for b.Loop() {
		for _, s := range inds {
			Detect(s)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(inds)), "ns/indicator")
}
