package ioc

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// normalizeCases is shared with the fuzz tests as seeds. wantErr is a part
// of the expected message; want is ignored when wantErr is set.
var normalizeCases = []struct {
	name    string
	typ     Type
	in      string
	want    string
	wantErr string
}{
	// IPv4
	{"ipv4 plain", TypeIPv4, "192.0.2.1", "192.0.2.1", ""},
	{"ipv4 spaces", TypeIPv4, " 192.0.2.1\t", "192.0.2.1", ""},
	{"ipv4 defanged", TypeIPv4, "192.0.2[.]1", "192.0.2.1", ""},
	{"ipv4 mapped ipv6 unmapped", TypeIPv4, "::ffff:192.0.2.1", "192.0.2.1", ""},
	{"ipv4 leading zero", TypeIPv4, "192.0.2.01", "", "leading zeros"},
	{"ipv4 octet too big", TypeIPv4, "256.1.1.1", "", "0-255"},
	{"ipv4 with port", TypeIPv4, "192.0.2.1:80", "", "port"},
	{"ipv4 with prefix", TypeIPv4, "192.0.2.0/24", "", "CIDR"},
	{"ipv4 given ipv6", TypeIPv4, "2001:db8::1", "", "IPv6"},
	{"ipv4 garbage", TypeIPv4, "abc", "", "not an IP address"},
	{"ipv4 empty", TypeIPv4, "   ", "", "empty"},
	{"ipv4 too long", TypeIPv4, strings.Repeat("1", 65), "", "too long"},
	// IPv6
	{"ipv6 upper case", TypeIPv6, "2001:DB8:0:0:0:0:0:1", "2001:db8::1", ""},
	{"ipv6 brackets", TypeIPv6, "[2001:db8::1]", "2001:db8::1", ""},
	{"ipv6 zone rejected", TypeIPv6, "fe80::1%eth0", "", "zone"},
	{"ipv6 mapped is ipv4", TypeIPv6, "::ffff:192.0.2.1", "", "IPv4"},
	{"ipv6 given ipv4", TypeIPv6, "192.0.2.1", "", "IPv4"},
	{"ipv6 bad", TypeIPv6, "2001:db8:::1", "", "not an IP address"},
	// CIDR
	{"cidr masked", TypeCIDR, "192.168.1.77/24", "192.168.1.0/24", ""},
	{"cidr /32 kept", TypeCIDR, "192.0.2.1/32", "192.0.2.1/32", ""},
	{"cidr ipv6", TypeCIDR, "2001:DB8::1/32", "2001:db8::/32", ""},
	{"cidr /0", TypeCIDR, "10.0.0.0/0", "0.0.0.0/0", ""},
	{"cidr mapped", TypeCIDR, "::ffff:10.1.0.0/112", "10.1.0.0/16", ""},
	{"cidr mapped short prefix", TypeCIDR, "::ffff:10.1.0.0/64", "", "at least 96"},
	{"cidr bare address", TypeCIDR, "192.0.2.1", "", "no prefix length"},
	{"cidr prefix too long", TypeCIDR, "192.0.2.0/33", "", "address/length"},
	{"cidr zone", TypeCIDR, "fe80::%eth0/64", "", "zone"},
	// Domains
	{"domain lower", TypeDomain, "WWW.Example.COM", "www.example.com", ""},
	{"domain trailing dot", TypeDomain, "example.vn.", "example.vn", ""},
	{"domain idn", TypeDomain, "bộcôngan.vn", "xn--bcngan-jxa6332d.vn", ""},
	{"domain idn upper", TypeDomain, "BỘCÔNGAN.VN", "xn--bcngan-jxa6332d.vn", ""},
	{"domain punycode kept", TypeDomain, "XN--BCNGAN-JXA6332D.VN", "xn--bcngan-jxa6332d.vn", ""},
	{"domain bad punycode", TypeDomain, "xn--zz.vn", "", "IDNA"},
	{"domain full-width", TypeDomain, "ｅｘａｍｐｌｅ。ｃｏｍ", "example.com", ""},
	{"domain defanged", TypeDomain, "evil[.]example(.)com", "evil.example.com", ""},
	{"domain defanged dot word", TypeDomain, "evil[DOT]example", "evil.example", ""},
	{"domain double hyphen", TypeDomain, "r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com", ""},
	{"domain underscore", TypeDomain, "tba_sync.example.com", "tba_sync.example.com", ""},
	{"domain no dot", TypeDomain, "localhost", "", "no dot"},
	{"domain numeric tld", TypeDomain, "google.ace2com", "", "letters only"},
	{"domain one letter tld", TypeDomain, "example.c", "", "too short"},
	{"domain ip", TypeDomain, "192.0.2.1", "", "IP address"},
	{"domain url", TypeDomain, "https://example.com/", "", "URL"},
	{"domain email", TypeDomain, "a@example.com", "", "e-mail"},
	{"domain wildcard", TypeDomain, "*.example.com", "", "wildcard"},
	{"domain empty label", TypeDomain, "a..example.com", "", "empty label"},
	{"domain leading dot", TypeDomain, ".example.com", "", "empty label"},
	{"domain hyphen edge", TypeDomain, "-a.example.com", "", "hyphen"},
	{"domain space", TypeDomain, "a b.example.com", "", "space"},
	{"domain bad char", TypeDomain, "a!b.example.com", "", `'!'`},
	{"domain label too long", TypeDomain, strings.Repeat("a", 64) + ".vn", "", "63"},
	{"domain too long", TypeDomain, strings.Repeat("abcdefghi.", 26) + "vn", "", "253"},
	{"domain max length", TypeDomain, strings.Repeat("abcdefghi.", 25) + "vnn", strings.Repeat("abcdefghi.", 25) + "vnn", ""},
	{"domain joiner", TypeDomain, "a\u200db.example", "", "IDNA"},
	{"domain invalid utf8", TypeDomain, "\xffexample.com", "", "UTF-8"},
	// URLs
	{"url defanged", TypeURL, "hxxps://evil[.]example/a", "https://evil.example/a", ""},
	{"url defanged separator", TypeURL, "hXXp[://]evil[.]example[.]com/login[.]php", "http://evil.example.com/login.php", ""},
	{"url defanged colon", TypeURL, "hxxp[:]//evil[.]example", "http://evil.example/", ""},
	{"url case", TypeURL, "HTTP://WWW.Example.COM/Path", "http://www.example.com/Path", ""},
	{"url no scheme", TypeURL, "evil.example/login", "http://evil.example/login", ""},
	{"url protocol relative", TypeURL, "//evil.example/x", "http://evil.example/x", ""},
	{"url host and port", TypeURL, "evil.example:8080", "http://evil.example:8080/", ""},
	{"url default port http", TypeURL, "http://example.com:80/", "http://example.com/", ""},
	{"url default port https", TypeURL, "https://example.com:0443", "https://example.com/", ""},
	{"url other port kept", TypeURL, "https://example.com:80/", "https://example.com:80/", ""},
	{"url empty port", TypeURL, "http://example.com:/a", "http://example.com/a", ""},
	{"url bad port", TypeURL, "http://example.com:99999/", "", "port"},
	{"url fragment removed", TypeURL, "https://example.com/a#top", "https://example.com/a", ""},
	{"url empty query dropped", TypeURL, "https://example.com/a?", "https://example.com/a", ""},
	{"url query order kept", TypeURL, "https://example.com/?b=2&a=1&b=1", "https://example.com/?b=2&a=1&b=1", ""},
	{"url dot segments", TypeURL, "http://example.com/a/./b/../c/..", "http://example.com/a/", ""},
	{"url dot segments above root", TypeURL, "http://example.com/../../a", "http://example.com/a", ""},
	{"url encoded dot segments", TypeURL, "http://example.com/a/%2e%2E/b", "http://example.com/b", ""},
	{"url percent unreserved decoded", TypeURL, "http://example.com/%7Euser/%41", "http://example.com/~user/A", ""},
	{"url percent upper", TypeURL, "http://example.com/a%2fb?q=%3d", "http://example.com/a%2Fb?q=%3D", ""},
	{"url broken percent", TypeURL, "http://example.com/100%", "http://example.com/100%25", ""},
	{"url space and unicode", TypeURL, "http://example.com/a b/đ", "http://example.com/a%20b/%C4%91", ""},
	{"url brackets encoded", TypeURL, "http://example.com/a[1]?x={y}", "http://example.com/a%5B1%5D?x=%7By%7D", ""},
	{"url backslashes", TypeURL, `http:\\evil.example\a\..\b`, "http://evil.example/b", ""},
	{"url idn host", TypeURL, "https://bộcôngan.vn/tin-tức", "https://xn--bcngan-jxa6332d.vn/tin-t%E1%BB%A9c", ""},
	{"url host percent", TypeURL, "http://ex%61mple.com/", "http://example.com/", ""},
	{"url ipv4 decimal", TypeURL, "http://3232235777/", "http://192.168.1.1/", ""},
	{"url ipv4 hex short", TypeURL, "http://0x7f.1/", "http://127.0.0.1/", ""},
	{"url ipv4 octal", TypeURL, "http://0300.0250.0.01/", "http://192.168.0.1/", ""},
	{"url ipv4 bad", TypeURL, "http://1.2.3.256/", "", "IPv4"},
	{"url ipv6 host", TypeURL, "http://[2001:DB8::1]:8080/", "http://[2001:db8::1]:8080/", ""},
	{"url ipv6 mapped", TypeURL, "http://[::ffff:192.0.2.1]/", "http://192.0.2.1/", ""},
	{"url ipv6 zone", TypeURL, "http://[fe80::1%25eth0]/", "", "zone"},
	{"url credentials", TypeURL, "https://user:pass@evil.example/", "", "user name or password"},
	{"url user only", TypeURL, "http://paypal.com@evil.example/", "", `the host is "evil.example"`},
	{"url javascript", TypeURL, "javascript:alert(1)", "", `scheme "javascript"`},
	{"url data", TypeURL, "data:text/html,<script>alert(1)</script>", "", `scheme "data"`},
	{"url file", TypeURL, "file:///etc/passwd", "", `scheme "file"`},
	{"url ftp", TypeURL, "FTP://example.com/a", "", `scheme "ftp"`},
	{"url mailto", TypeURL, "mailto:a@example.com", "", `scheme "mailto"`},
	{"url no host", TypeURL, "http://?x", "", "no host"},
	{"url many slashes", TypeURL, "http:///evil.example", "http://evil.example/", ""},
	{"url localhost", TypeURL, "http://localhost/", "", "no dot"},
	{"url control char", TypeURL, "http://example.com/a\nb", "", "control character"},
	{"url too long", TypeURL, "http://example.com/" + strings.Repeat("a", 2048), "", "too long"},
	{"url grows too long", TypeURL, "http://example.com/" + strings.Repeat("<", 1000), "", "too long once normalised"},
	// Hashes
	{"md5 upper", TypeMD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e", ""},
	{"md5 0x", TypeMD5, "0xd41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e", ""},
	{"md5 given sha1", TypeMD5, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "", "looks like a SHA-1"},
	{"md5 short", TypeMD5, "d41d8cd98f00b204", "", "has 16 hex digits"},
	{"md5 not hex", TypeMD5, "g41d8cd98f00b204e9800998ecf8427e", "", "not a hex digit"},
	{"md5 separators", TypeMD5, "d4:1d:8c:d9:8f:00:b2:04:e9:80:09:98:ec:f8:42:7e", "", "separators"},
	{"sha1", TypeSHA1, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
	{"sha256", TypeSHA256, " E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 ", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""},
	{"sha256 given md5", TypeSHA256, "d41d8cd98f00b204e9800998ecf8427e", "", "looks like a MD5"},
	// E-mail
	{"email domain lower", TypeEmail, "John.Doe@EXAMPLE.COM", "John.Doe@example.com", ""},
	{"email display name", TypeEmail, `"Ngân hàng" <canhbao@Example.VN>`, "canhbao@example.vn", ""},
	{"email idn", TypeEmail, "lienhe@bộcôngan.vn", "lienhe@xn--bcngan-jxa6332d.vn", ""},
	{"email defanged", TypeEmail, "scam[@]evil[.]example", "scam@evil.example", ""},
	{"email defanged at word", TypeEmail, "scam[at]evil[.]example", "scam@evil.example", ""},
	{"email mailto", TypeEmail, "mailto:a@example.com?subject=hi", "a@example.com", ""},
	{"email plus", TypeEmail, "a+tag@example.com", "a+tag@example.com", ""},
	{"email utf8 local", TypeEmail, "người@example.vn", "người@example.vn", ""},
	{"email no at", TypeEmail, "example.com", "", `no "@"`},
	{"email two at", TypeEmail, "a@b@example.com", "", "not a valid"},
	{"email quoted", TypeEmail, `"john doe"@example.com`, "", "quoted"},
	{"email literal", TypeEmail, "a@[192.0.2.1]", "", "literal"},
	{"email bad domain", TypeEmail, "a@localhost", "", "domain part"},
	{"email dots", TypeEmail, "a..b@example.com", "", "not a valid"},
	{"email long local", TypeEmail, strings.Repeat("a", 65) + "@example.com", "", "64"},
	// Phones
	{"phone spaced", TypePhone, "0912 345 678", "+84912345678", ""},
	{"phone e164", TypePhone, "+84912345678", "+84912345678", ""},
	{"phone hyphens", TypePhone, "84-912-345-678", "+84912345678", ""},
	{"phone brackets dots", TypePhone, "(+84) 912.345.678", "+84912345678", ""},
	{"phone 0084", TypePhone, "0084 912 345 678", "+84912345678", ""},
	{"phone tel uri", TypePhone, "tel:+84-912-345-678", "+84912345678", ""},
	{"phone new prefix", TypePhone, "0399 123 456", "+84399123456", ""},
	{"phone landline hanoi", TypePhone, "024 3825 1234", "+842438251234", ""},
	{"phone landline hcmc", TypePhone, "(028) 3829 1234", "+842838291234", ""},
	{"phone 1900", TypePhone, "1900 1234", "+8419001234", ""},
	{"phone foreign", TypePhone, "+1 202 555 0123", "+12025550123", ""},
	{"phone full-width", TypePhone, "０９１２３４５６７８", "+84912345678", ""},
	{"phone letters", TypePhone, "abc", "", "letters"},
	{"phone vanity", TypePhone, "1900-FLOWERS", "", "letters"},
	{"phone too short", TypePhone, "+84 000", "", "numbering plan"},
	{"phone retired prefix", TypePhone, "0123456789", "", "numbering plan"},
	{"phone old viettel", TypePhone, "0169 912 3456", "", "starts with 039 instead"},
	{"phone old mobifone", TypePhone, "+84 121 234 5678", "", "starts with 079 instead"},
	{"phone short landline", TypePhone, "0243825123", "", "numbering plan"},
	{"phone symbols", TypePhone, "0912*345*678", "", `'*'`},
	{"phone too many digits", TypePhone, "0912345678901234567890", "", "too many digits"},
	{"phone no digits", TypePhone, "+-()", "", "no digits"},
	// Filenames
	{"filename trimmed", TypeFilename, "  invoice.pdf.exe ", "invoice.pdf.exe", ""},
	{"filename case kept", TypeFilename, "Invoice.EXE", "Invoice.EXE", ""},
	{"filename nfc", TypeFilename, "ho\u0301a đơn.docx", "hóa đơn.docx", ""},
	{"filename slash", TypeFilename, "C:/Users/a/evil.exe", "", "path separator"},
	{"filename backslash", TypeFilename, `C:\Users\a\evil.exe`, "", "path separator"},
	{"filename nul", TypeFilename, "a\x00b.exe", "", "control character"},
	{"filename dots", TypeFilename, "..", "", "not a file name"},
	{"filename too long", TypeFilename, strings.Repeat("a", 256), "", "at most 255"},
	{"filename bad utf8", TypeFilename, "a\xff.exe", "", "UTF-8"},
	// ASN
	{"asn prefixed", TypeASN, "AS13335", "AS13335", ""},
	{"asn bare", TypeASN, "13335", "AS13335", ""},
	{"asn lower spaced", TypeASN, "as 13335", "AS13335", ""},
	{"asn asn prefix", TypeASN, "ASN13335", "AS13335", ""},
	{"asn leading zeros", TypeASN, "AS013335", "AS13335", ""},
	{"asn asdot", TypeASN, "AS1.10", "AS65546", ""},
	{"asn max", TypeASN, "4294967295", "AS4294967295", ""},
	{"asn too big", TypeASN, "4294967296", "", "not an AS number"},
	{"asn zero", TypeASN, "AS0", "", "reserved"},
	{"asn separator", TypeASN, "AS-1", "AS1", ""},
	{"asn trailing junk", TypeASN, "AS 12x", "", "not an AS number"},
	{"asn garbage", TypeASN, "ASX", "", "not an AS number"},
	// Accounts
	{"account pair", TypeAccount, "vcb:0011 0012 34567", "VCB:0011001234567", ""},
	{"account bin", TypeAccount, "970436:0011001234567", "970436:0011001234567", ""},
	{"account no code", TypeAccount, "0011001234567", "", "BANKCODE:number"},
	{"account short", TypeAccount, "VCB:12345", "", "6 to 19"},
	{"account long", TypeAccount, "VCB:12345678901234567890", "", "6 to 19"},
	{"account letters", TypeAccount, "VCB:12345A789", "", "only digits"},
	{"account bad code", TypeAccount, "V-CB:123456789", "", "bank code"},
	{"account code one char", TypeAccount, "V:123456789", "", "bank code"},
	// Social
	{"social facebook username", TypeSocial, "https://www.facebook.com/John.Smith?ref=share&mibextid=abc", "facebook:johnsmith", ""},
	{"social facebook mobile", TypeSocial, "m.facebook.com/johnsmith/about", "facebook:johnsmith", ""},
	{"social facebook profile id", TypeSocial, "https://facebook.com/profile.php?id=100012345678&sk=about", "facebook:100012345678", ""},
	{"social facebook people", TypeSocial, "https://www.facebook.com/people/Nguyen-Van-A/100012345678/", "facebook:100012345678", ""},
	{"social facebook p", TypeSocial, "https://www.facebook.com/p/Shop-Gia-Re-100064123456789/", "facebook:100064123456789", ""},
	{"social facebook group", TypeSocial, "https://www.facebook.com/groups/MuaBanVN/posts/123", "facebook:groups/muabanvn", ""},
	{"social facebook share", TypeSocial, "https://www.facebook.com/share/1AbCdEf/", "", "short links"},
	{"social facebook post", TypeSocial, "https://www.facebook.com/permalink.php?story_fbid=1", "", "not a link to a profile"},
	{"social facebook redirect", TypeSocial, "https://l.facebook.com/l.php?u=x", "", "redirect"},
	{"social facebook reserved after dots", TypeSocial, "facebook.com/p.e.o.p.l.e", "", "not a link to a profile"},
	{"social fb pair", TypeSocial, "fb:John.Smith", "facebook:johnsmith", ""},
	{"social zalo phone", TypeSocial, "https://zalo.me/0912345678", "zalo:+84912345678", ""},
	{"social zalo id", TypeSocial, "zalo.me/4318256118165656071", "zalo:4318256118165656071", ""},
	{"social zalo group", TypeSocial, "https://zalo.me/g/AbCdEf123", "zalo:g/AbCdEf123", ""},
	{"social zalo pair phone", TypeSocial, "zalo:0912 345 678", "zalo:+84912345678", ""},
	{"social tiktok", TypeSocial, "https://www.tiktok.com/@Shop.Gia_Re?lang=vi", "tiktok:shop.gia_re", ""},
	{"social tiktok video", TypeSocial, "https://www.tiktok.com/@shop/video/123", "tiktok:shop", ""},
	{"social tiktok short", TypeSocial, "https://vm.tiktok.com/ZMabc/", "", "short links"},
	{"social tiktok pair", TypeSocial, "tiktok:@Shop", "tiktok:shop", ""},
	{"social telegram", TypeSocial, "t.me/Scam_Bot", "telegram:scam_bot", ""},
	{"social telegram preview", TypeSocial, "https://t.me/s/ScamChannel/123", "telegram:scamchannel", ""},
	{"social telegram invite", TypeSocial, "https://t.me/+AbCdEf_123", "telegram:+AbCdEf_123", ""},
	{"social telegram joinchat", TypeSocial, "https://t.me/joinchat/AbCdEf", "telegram:+AbCdEf", ""},
	{"social telegram phone", TypeSocial, "https://t.me/+84912345678", "telegram:+84912345678", ""},
	{"social telegram short name", TypeSocial, "t.me/abc", "", "4-32"},
	{"social youtube handle", TypeSocial, "https://www.youtube.com/@TinTuc24h/videos", "youtube:tintuc24h", ""},
	{"social youtube channel", TypeSocial, "https://youtube.com/channel/UCabcdefghijklmnopqrstuv", "youtube:channel/UCabcdefghijklmnopqrstuv", ""},
	{"social youtube user", TypeSocial, "https://www.youtube.com/user/SomeUser", "youtube:user/someuser", ""},
	{"social youtube video", TypeSocial, "https://www.youtube.com/watch?v=abc", "", "not a link to a profile"},
	{"social youtu.be", TypeSocial, "https://youtu.be/abc", "", "video"},
	{"social instagram", TypeSocial, "https://www.instagram.com/Shop.VN/?igsh=abc", "instagram:shop.vn", ""},
	{"social instagram post", TypeSocial, "https://www.instagram.com/p/Cabc/", "", "not a link to a profile"},
	{"social instagram story", TypeSocial, "https://www.instagram.com/stories/shop.vn/123/", "instagram:shop.vn", ""},
	{"social x", TypeSocial, "https://x.com/Jack/status/20", "x:jack", ""},
	{"social twitter", TypeSocial, "https://mobile.twitter.com/jack", "x:jack", ""},
	{"social twitter pair", TypeSocial, "twitter:@jack", "", "X (Twitter) username"},
	{"social x long", TypeSocial, "x.com/abcdefghijklmnop", "", "1-15"},
	{"social other site", TypeSocial, "https://example.com/user", "", "not on a supported platform"},
	{"social bare handle", TypeSocial, "@someone", "", "which platform"},
	{"social bad url", TypeSocial, "javascript:alert(1)", "", "not a profile link"},
	// SMS senders
	{"sender upper", TypeSender, "Vietcombank", "VIETCOMBANK", ""},
	{"sender spaces", TypeSender, " viettel   pay ", "VIETTEL PAY", ""},
	{"sender numeric", TypeSender, "5656", "5656", ""},
	{"sender too long", TypeSender, "VIETCOMBANKXX", "", "at most 11"},
	{"sender accents", TypeSender, "Ngân hàng", "", "without accents"},
	// Other
	{"other trimmed nfc", TypeOther, "  ho\u0301a đơn ", "hóa đơn", ""},
	{"other control", TypeOther, "a\x07b", "", "control character"},
	{"other empty", TypeOther, "", "", "empty"},
}

func TestNormalize(t *testing.T) {
	for _, c := range normalizeCases {
		t.Run(string(c.typ)+"/"+c.name, func(t *testing.T) {
			got, err := Normalize(c.typ, c.in)
			if c.wantErr != "" {
				if err == nil {
					t.Fatalf("Normalize(%s, %q) = %q, want error containing %q", c.typ, c.in, got, c.wantErr)
				}
				if !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Normalize(%s, %q) error = %q, want it to contain %q", c.typ, c.in, err, c.wantErr)
				}
				var e *Error
				if !errors.As(err, &e) || e.Type != c.typ || !errors.Is(err, ErrInvalid) {
					t.Fatalf("Normalize(%s, %q) error = %#v, want an *Error of type %s", c.typ, c.in, err, c.typ)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%s, %q) error = %v", c.typ, c.in, err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Fatalf("Normalize(%s, %q) mismatch (-want +got):\n%s", c.typ, c.in, diff)
			}
			again, err := Normalize(c.typ, got)
			if err != nil || again != got {
				t.Fatalf("Normalize(%s, %q) = %q, %v; not idempotent", c.typ, got, again, err)
			}
		})
	}
}

func TestNormalizeUnknownType(t *testing.T) {
	if _, err := Normalize("bogus", "x"); !errors.Is(err, ErrInvalid) {
		t.Fatalf(`Normalize("bogus", "x") error = %v, want ErrInvalid`, err)
	}
}
