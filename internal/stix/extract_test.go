package stix

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    []Observable
		reasons []Reason
	}{
		{
			name:    "ipv4",
			pattern: "[ipv4-addr:value = '198.51.100.7']",
			want:    []Observable{{TypeIPv4, "198.51.100.7"}},
		},
		{
			name:    "cidr",
			pattern: "[ipv4-addr:value = '198.51.100.0/24' OR ipv6-addr:value = '2001:db8::/32']",
			want:    []Observable{{TypeCIDR, "198.51.100.0/24"}, {TypeCIDR, "2001:db8::/32"}},
		},
		{
			name:    "ipv6 domain url email",
			pattern: "[ipv6-addr:value = '2001:db8::1'] OR [domain-name:value = 'evil.example'] OR [url:value = 'http://evil.example/a?b=\\'c\\''] OR [email-addr:value = 'x@evil.example']",
			want: []Observable{{TypeIPv6, "2001:db8::1"}, {TypeDomain, "evil.example"},
				{TypeURL, "http://evil.example/a?b='c'"}, {TypeEmail, "x@evil.example"}},
		},
		{
			name:    "hashes quoted and plain",
			pattern: "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' OR file:hashes.'SHA-1' = '2aae6c35c94fcfb415dbe95f408b9ce91ee846ed' OR file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' OR file:hashes.'sha256' = 'ab']",
			want: []Observable{{TypeMD5, "cead3f77f6cda6ec00f57d76c9a6879f"}, {TypeSHA1, "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"},
				{TypeSHA256, "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}, {TypeSHA256, "ab"}},
		},
		{
			name:    "file name and asn",
			pattern: "[file:name = 'invoice.exe'] OR [autonomous-system:number = 64500]",
			want:    []Observable{{TypeFilename, "invoice.exe"}, {TypeASN, "64500"}},
		},
		{
			name:    "in set",
			pattern: "[domain-name:value IN ('a.example', 'b.example', 'a.example')]",
			want:    []Observable{{TypeDomain, "a.example"}, {TypeDomain, "b.example"}},
		},
		{
			name:    "and of hashes of one file",
			pattern: "[file:hashes.MD5 = 'aa' AND file:hashes.'SHA-256' = 'bb']",
			want:    []Observable{{TypeMD5, "aa"}, {TypeSHA256, "bb"}},
		},
		{
			name:    "hash and size",
			pattern: "[file:hashes.MD5 = 'aa' AND file:size = 10]",
			want:    []Observable{{TypeMD5, "aa"}},
			reasons: []Reason{{Expr: "file:size = 10", Why: "condition ANDed with file hashes dropped; the hashes were kept"}},
		},
		{
			name:    "and of different objects",
			pattern: "[file:hashes.MD5 = 'aa' AND ipv4-addr:value = '1.2.3.4']",
			reasons: []Reason{{Expr: "file:hashes.MD5 = 'aa' AND ipv4-addr:value = '1.2.3.4'", Why: "AND across object types is not a simple indicator"}},
		},
		{
			name:    "and without hashes",
			pattern: "[network-traffic:dst_port = 443 AND network-traffic:dst_ref.value = '1.2.3.4']",
			reasons: []Reason{{Expr: "network-traffic:dst_port = 443 AND network-traffic:dst_ref.value = '1.2.3.4'", Why: "AND of conditions inside an observation is not a simple indicator"}},
		},
		{
			name:    "observation and",
			pattern: "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.example']",
			reasons: []Reason{{Expr: "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.example']", Why: "observations joined by AND need correlation, not a single indicator"}},
		},
		{
			name:    "followedby",
			pattern: "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x.example']",
			reasons: []Reason{{Expr: "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x.example']", Why: "observations joined by FOLLOWEDBY need correlation, not a single indicator"}},
		},
		{
			name:    "qualifier",
			pattern: "[ipv4-addr:value = '1.2.3.4'] REPEATS 3 TIMES",
			reasons: []Reason{{Expr: "[ipv4-addr:value = '1.2.3.4'] REPEATS 3 TIMES", Why: "qualified observations (WITHIN, REPEATS, START/STOP) need correlation, not a single indicator"}},
		},
		{
			name:    "or keeps good parts and reports the rest",
			pattern: "[domain-name:value = 'ok.example' OR domain-name:value LIKE '%.bad.example' OR url:value MATCHES '^http' OR ipv4-addr:value != '1.1.1.1' OR ipv4-addr:value NOT = '2.2.2.2' OR file:hashes.'SHA-512' = 'cc' OR process:name = 'x' OR autonomous-system:number = 'AS1']",
			want:    []Observable{{TypeDomain, "ok.example"}},
			reasons: []Reason{
				{Expr: "domain-name:value LIKE '%.bad.example'", Why: "operator LIKE is not a simple indicator"},
				{Expr: "url:value MATCHES '^http'", Why: "operator MATCHES is not a simple indicator"},
				{Expr: "ipv4-addr:value != '1.1.1.1'", Why: "operator != is not a simple indicator"},
				{Expr: "ipv4-addr:value NOT = '2.2.2.2'", Why: "negated comparison is not a simple indicator"},
				{Expr: "file:hashes.'SHA-512' = 'cc'", Why: `hash algorithm "SHA-512" is not supported`},
				{Expr: "process:name = 'x'", Why: "object path process:name is not a simple indicator"},
				{Expr: "autonomous-system:number = 'AS1'", Why: "value 'AS1' does not fit autonomous-system:number"},
			},
		},
		{
			name:    "ipv4 with int value",
			pattern: "[ipv4-addr:value = 5]",
			reasons: []Reason{{Expr: "ipv4-addr:value = 5", Why: "value 5 does not fit ipv4-addr:value"}},
		},
		{
			name:    "empty set",
			pattern: "[ipv4-addr:value IN ()]",
			reasons: []Reason{{Expr: "ipv4-addr:value IN ()", Why: "empty set"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Extract(tc.pattern)
			if err != nil {
				t.Fatalf("Extract(%q) error: %v", tc.pattern, err)
			}
			want := Extraction{Observables: tc.want, Reasons: tc.reasons}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Extract(%q) mismatch (-want +got):\n%s", tc.pattern, diff)
			}
		})
	}
}

func TestExtractSyntaxError(t *testing.T) {
	if _, err := Extract("[ipv4-addr:value = '1.2.3.4'"); err == nil {
		t.Fatal("Extract(unclosed) = nil error, want a syntax error")
	}
}
