package ioc

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Seeds run in every `go test`; `go test -fuzz=FuzzURL` explores further.

// checkNormalize asserts the contract every normaliser shares: an error is
// an *Error matching ErrInvalid, and a canonical value is valid UTF-8,
// within MaxLen, and normalises to itself.
func checkNormalize(t *testing.T, typ Type, raw string) {
	t.Helper()
	v, err := Normalize(typ, raw)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
			t.Fatalf("Normalize(%s, %q) error %v is not an *Error", typ, raw, err)
		}
		if e.Error() == "" {
			t.Fatalf("Normalize(%s, %q) gave an empty message", typ, raw)
		}
		return
	}
	if v == "" || !utf8.ValidString(v) || len(v) > MaxLen(typ) {
		t.Fatalf("Normalize(%s, %q) = %q: empty, invalid UTF-8 or too long", typ, raw, v)
	}
	v2, err := Normalize(typ, v)
	if err != nil || v2 != v {
		t.Fatalf("Normalize(%s, %q) = %q, but normalising that gives %q, %v", typ, raw, v, v2, err)
	}
}

func fuzzType(f *testing.F, typ Type, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	for _, c := range normalizeCases {
		if c.typ == typ {
			f.Add(c.in)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) { checkNormalize(t, typ, raw) })
}

func FuzzIPv4(f *testing.F) {
	fuzzType(f, TypeIPv4, "1.2.3.4", "::ffff:1.2.3.4", "1[.]2.3.4", "01.2.3.4", "1.2.3.4%eth0")
}

func FuzzIPv6(f *testing.F) {
	fuzzType(f, TypeIPv6, "2001:DB8::1", "[::1]", "fe80::1%eth0", "::ffff:1.2.3.4")
}

func FuzzCIDR(f *testing.F) {
	fuzzType(f, TypeCIDR, "10.1.2.3/8", "2001:db8::1/32", "::ffff:10.0.0.0/104", "1.2.3.4/32")
}

func FuzzDomain(f *testing.F) {
	fuzzType(f, TypeDomain, "bộcôngan.vn", "EXAMPLE.com.", "evil[.]example", "xn--bcngan-jxa6332d.vn", "a_b.example", "ｅｘａｍｐｌｅ。ｃｏｍ")
}

func FuzzURL(f *testing.F) {
	fuzzType(f, TypeURL, "hxxps://evil[.]example/a", "http://u:p@x.example/", "http://0x7f.1/%7e/./../a?b=%2f#c",
		"https://bộcôngan.vn:443", "evil.example/[.]x", "http://[::ffff:1.2.3.4]:80/", "http:\\\\evil.example\\a\\..\\b")
}

func FuzzMD5(f *testing.F)    { fuzzType(f, TypeMD5, "D41D8CD98F00B204E9800998ECF8427E") }
func FuzzSHA1(f *testing.F)   { fuzzType(f, TypeSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709") }
func FuzzSHA256(f *testing.F) { fuzzType(f, TypeSHA256, strings.Repeat("aB", 32)) }

func FuzzEmail(f *testing.F) {
	fuzzType(f, TypeEmail, "Foo <A.B@Example.COM>", "a[@]b[.]vn", "mailto:x@bộcôngan.vn?subject=x", `"a b"@c.vn`)
}

func FuzzPhone(f *testing.F) {
	fuzzType(f, TypePhone, "0912 345 678", "(+84) 912.345.678", "84-912-345-678", "+84 000", "tel:+1 202 555 0123", "٠٩١٢٣٤٥٦٧٨")
}

func FuzzFilename(f *testing.F) {
	fuzzType(f, TypeFilename, " invoice.pdf.exe ", "a/b", "ho\u0323a đơn.docx")
}

func FuzzASN(f *testing.F) { fuzzType(f, TypeASN, "AS13335", "as 1.10", "13335", "AS0") }

func FuzzAccount(f *testing.F) {
	fuzzType(f, TypeAccount, "vcb:0011 0012 34567", "MB:123", "970436:0011001234567")
}

func FuzzSocial(f *testing.F) {
	fuzzType(f, TypeSocial, "https://m.facebook.com/profile.php?id=1000123&ref=x", "t.me/joinchat/AbC",
		"youtube.com/@Name", "tiktok:@Someone", "zalo.me/g/AbCd", "fb:John.Smith", "https://x.com/Jack/status/1")
}

func FuzzSender(f *testing.F) { fuzzType(f, TypeSender, "Vietcombank", "viettel  money", "5656") }

func FuzzOther(f *testing.F) { fuzzType(f, TypeOther, " free text ", "a\x00b") }

func FuzzNormalizeAccount(f *testing.F) {
	f.Add("vcb", "0011 0012 34567")
	f.Add("", "123")
	f.Fuzz(func(t *testing.T, code, number string) {
		v, err := NormalizeAccount(code, number)
		if err != nil {
			return
		}
		c, n, ok := SplitAccount(v)
		if !ok {
			t.Fatalf("SplitAccount(%q) failed", v)
		}
		v2, err := NormalizeAccount(c, n)
		if err != nil || v2 != v {
			t.Fatalf("NormalizeAccount(%q, %q) = %q, again %q, %v", code, number, v, v2, err)
		}
	})
}

func FuzzDetect(f *testing.F) {
	for _, c := range detectCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := DetectAll(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("DetectAll(%q) error %v is not an *Error", raw, err)
			}
			return
		}
		if len(m) == 0 {
			t.Fatalf("DetectAll(%q) returned no match and no error", raw)
		}
		for _, x := range m {
			if x.Type == TypeAccount {
				if _, _, ok := SplitAccount(x.Value); !ok {
					if _, err := NormalizeAccountNumber(x.Value); err != nil {
						t.Fatalf("DetectAll(%q) account %q is not canonical: %v", raw, x.Value, err)
					}
					continue
				}
			}
			checkNormalize(t, x.Type, x.Value)
			if v, _ := Normalize(x.Type, x.Value); v != x.Value {
				t.Fatalf("DetectAll(%q) gave %s %q, which Normalize turns into %q", raw, x.Type, x.Value, v)
			}
		}
		typ, v, err := Detect(m[0].Value)
		if err != nil || typ != m[0].Type || v != m[0].Value {
			t.Fatalf("Detect(%q) = %s %q; Detect of that = %s %q, %v", raw, m[0].Type, m[0].Value, typ, v, err)
		}
	})
}

func FuzzParentDomains(f *testing.F) {
	f.Add("a.b.evil.example.com.vn")
	f.Add("x.y.github.io")
	f.Fuzz(func(t *testing.T, raw string) {
		d, err := NormalizeDomain(raw)
		if err != nil {
			return
		}
		reg, regErr := RegisteredDomain(d)
		parents := ParentDomains(d)
		for i, p := range parents {
			if !strings.HasSuffix(d, "."+p) {
				t.Fatalf("ParentDomains(%q)[%d] = %q is not a parent", d, i, p)
			}
			if _, err := NormalizeDomain(p); err != nil {
				t.Fatalf("ParentDomains(%q)[%d] = %q is not a valid domain: %v", d, i, p, err)
			}
		}
		if len(parents) > 0 && (regErr != nil || parents[len(parents)-1] != reg) {
			t.Fatalf("ParentDomains(%q) = %q ends elsewhere than RegisteredDomain = %q, %v", d, parents, reg, regErr)
		}
	})
}
