package stix

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Valid patterns, mostly from the examples in STIX 2.1 part 9.
var validPatterns = []struct {
	name, in, canonical string // canonical "" means same as in
}{
	{"equality", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", ""},
	{"plain hash key", "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']", ""},
	{"or inside", "[email-message:from_ref.value = 'mary@example.com' OR email-message:sender_ref.value = 'mary@example.com']", ""},
	{"and inside", "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']", ""},
	{"observation and", "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c'] AND [file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']", ""},
	{"followedby within", "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS", ""},
	{"user account", "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul']", ""},
	{"in set", "[ipv4-addr:value IN ('198.51.100.1', '198.51.100.2')]", ""},
	{"cidr issubset", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", ""},
	{"like", "[domain-name:value LIKE '%.example.com']", ""},
	{"negated", "[file:name NOT = 'foo.dll']", ""},
	{"neq", "[file:size != 25536]", ""},
	{"diamond neq", "[file:size <> 25536]", "[file:size != 25536]"},
	{"double eq", "[file:size == 25536]", "[file:size = 25536]"},
	{"ordering", "[file:size >= 1024 AND file:size < 2048]", ""},
	{"float", "[x-foo:score > 0.5]", ""},
	{"leading dot float", "[x-foo:score > .5]", ""},
	{"negative", "[x-foo:delta = -3 OR x-foo:ratio = -0.25]", ""},
	{"bool", "[x509-certificate:is_self_signed = true]", ""},
	{"timestamp", "[file:created = t'2016-01-01T00:00:00Z']", ""},
	{"timestamp frac", "[file:modified > t'2016-01-01T00:00:00.123Z']", ""},
	{"hex", "[file:magic_number_hex = h'ffd8']", ""},
	{"binary", "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']", ""},
	{"exists", "[EXISTS windows-registry-key:values]", ""},
	{"index", "[network-traffic:extensions.'http-request-ext'.request_header.'Accept-Encoding' = 'gzip' AND x:list[0].y = 'a' AND x:list[-1].y = 'b']", ""},
	{"start stop", "[ipv4-addr:value = '203.0.113.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", ""},
	{"repeats", "[domain-name:value = 'example.com'] REPEATS 5 TIMES WITHIN 180 SECONDS", ""},
	{"within float", "[x:y = 1] WITHIN 1.5 SECONDS", ""},
	{"escapes", `[file:name = 'it\'s a \\ backslash']`, ""},
	{"empty set", "[x:y IN ()]", ""},
	{"precedence", "[a:b = 1] OR [c:d = 2] AND [e:f = 3] FOLLOWEDBY [g:h = 4]", ""},
	{"parens kept", "([a:b = 1] OR [c:d = 2]) AND [e:f = 3]", ""},
	{"right parens kept", "[a:b = 1] OR ([c:d = 2] OR [e:f = 3])", ""},
	{"redundant parens dropped", "(([a:b = 1]))", "[a:b = 1]"},
	{"comparison parens", "[(a:b = 1 OR a:c = 2) AND a:d = 3]", ""},
	{"whitespace", "  [ file:name\t=\n'x' ]  ", "[file:name = 'x']"},
	{"quoted first key", "[x:'odd key' = 1]", ""},
	{"keyword as key quoted", "[x:'AND' = 1]", ""},
	{"plus int", "[x:y = +3]", ""},
}

func TestParsePatternValid(t *testing.T) {
	for _, tc := range validPatterns {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePattern(tc.in)
			if err != nil {
				t.Fatalf("ParsePattern(%q) error: %v", tc.in, err)
			}
			want := tc.canonical
			if want == "" {
				want = tc.in
			}
			if got := p.String(); got != want {
				t.Errorf("ParsePattern(%q).String() = %q, want %q", tc.in, got, want)
			}
			// The canonical form parses to the same tree.
			p2, err := ParsePattern(p.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", p.String(), err)
			}
			if diff := cmp.Diff(stripPos(p), stripPos(p2)); diff != "" {
				t.Errorf("reparse differs (-first +second):\n%s", diff)
			}
		})
	}
}

func TestParsePatternTree(t *testing.T) {
	p, err := ParsePattern("[file:hashes.'SHA-256' = 'ab' OR x:list[*].y NOT IN (1, 'a')] AND [a:b = 1] WITHIN 5 SECONDS")
	if err != nil {
		t.Fatal(err)
	}
	want := ObservationOp{
		Op: ObsAnd,
		Left: Observation{Pos: 0, Expr: ComparisonOp{
			Op: BoolOr,
			Left: Comparison{Pos: 1, Path: ObjectPath{ObjectType: "file", Steps: []PathStep{{Key: "hashes"}, {Key: "SHA-256"}}},
				Op: OpEq, Value: Constant{Kind: ConstString, Str: "ab"}},
			Right: Comparison{Pos: 33, Path: ObjectPath{ObjectType: "x", Steps: []PathStep{{Key: "list"}, {IsIndex: true, AnyIndex: true}, {Key: "y"}}},
				Negated: true, Op: OpIn, Value: Constant{Kind: ConstSet, Set: []Constant{
					{Kind: ConstInt, Int: 1, Text: "1"}, {Kind: ConstString, Str: "a"}}}},
		}},
		Right: Qualified{
			Expr:      Observation{Pos: 66, Expr: Comparison{Pos: 67, Path: ObjectPath{ObjectType: "a", Steps: []PathStep{{Key: "b"}}}, Op: OpEq, Value: Constant{Kind: ConstInt, Int: 1, Text: "1"}}},
			Qualifier: Qualifier{Kind: QualWithin, Seconds: Constant{Kind: ConstInt, Int: 5, Text: "5"}},
		},
	}
	if diff := cmp.Diff(want, p.Expr); diff != "" {
		t.Errorf("ParsePattern tree mismatch (-want +got):\n%s", diff)
	}
}

func TestParsePatternInvalid(t *testing.T) {
	tests := []struct {
		name, in string
		pos      int
		msg      string // substring of the message
	}{
		{"empty", "", 0, "expected '[' or '('"},
		{"no brackets", "file:name = 'x'", 0, "expected '[' or '('"},
		{"unclosed bracket", "[file:name = 'x'", 16, "expected ']'"},
		{"unclosed string", "[file:name = 'x]", 13, "unterminated string"},
		{"bad escape", `[file:name = 'a\n']`, 15, "invalid escape"},
		{"missing operator", "[file:name 'x']", 11, "comparison operator"},
		{"missing value", "[file:name = ]", 13, "expected a literal"},
		{"missing colon", "[file.name = 'x']", 5, "expected ':'"},
		{"hyphen key unquoted", "[file:hashes.SHA-256 = 'x']", 13, "must be quoted"},
		{"like needs string", "[file:size LIKE 5]", 16, "string after LIKE"},
		{"ordering bool", "[x:y > true]", 7, "cannot compare a boolean"},
		{"in needs set", "[x:y IN 'a']", 8, "expected '('"},
		{"bad timestamp", "[x:y = t'2016-01-01']", 7, "timestamp"},
		{"timestamp offset", "[x:y = t'2016-01-01T00:00:00+01:00']", 7, "timestamp"},
		{"odd hex", "[x:y = h'abc']", 7, "odd number"},
		{"bad base64", "[x:y = b'abc']", 7, "base64"},
		{"int overflow", "[x:y = 99999999999999999999]", 7, "out of range"},
		{"leading zero", "[x:y = 007]", 7, "leading zero"},
		{"within zero", "[x:y = 1] WITHIN 0 SECONDS", 17, "positive"},
		{"within no unit", "[x:y = 1] WITHIN 5", 18, "expected SECONDS"},
		{"repeats float", "[x:y = 1] REPEATS 1.5 TIMES", 18, "expected an integer"},
		{"stop before start", "[x:y = 1] START t'2016-02-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'", 45, "later than START"},
		{"dangling and", "[x:y = 1] AND", 13, "expected '[' or '('"},
		{"trailing garbage", "[x:y = 1] foo", 10, "end of the pattern"},
		{"lowercase keyword", "[x:y = 1] and [x:y = 2]", 10, "end of the pattern"},
		{"bang alone", "[x:y ! 1]", 5, "unexpected '!'"},
		{"empty matches", "[x:y MATCHES '']", 5, "non-empty"},
		{"bad index", "[x:y[a] = 1]", 5, "index"},
		{"exists needs path", "[EXISTS 'x']", 8, "identifier"},
		{"deep nesting", strings.Repeat("(", 200) + "[x:y = 1]" + strings.Repeat(")", 200), 100, "nesting"},
		{"too long", "[x:y = '" + strings.Repeat("a", MaxPatternBytes) + "']", 0, "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePattern(tc.in)
			if err == nil {
				t.Fatalf("ParsePattern(%q) = %v, want error", tc.in, p)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParsePattern(%q) error %T %v, want *SyntaxError", tc.in, err, err)
			}
			if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("ParsePattern(%q) error = %q at %d, want %q at %d", tc.in, se.Msg, se.Pos, tc.msg, tc.pos)
			}
		})
	}
}

// stripPos zeroes positions so trees from different spellings compare.
func stripPos(p *Pattern) ObservationExpr { return stripObs(p.Expr) }

func stripObs(e ObservationExpr) ObservationExpr {
	switch e := e.(type) {
	case Observation:
		return Observation{Expr: stripCmp(e.Expr)}
	case ObservationOp:
		return ObservationOp{Op: e.Op, Left: stripObs(e.Left), Right: stripObs(e.Right)}
	case Qualified:
		return Qualified{Expr: stripObs(e.Expr), Qualifier: e.Qualifier}
	}
	return e
}

func stripCmp(e ComparisonExpr) ComparisonExpr {
	switch e := e.(type) {
	case Comparison:
		e.Pos = 0
		return e
	case ComparisonOp:
		return ComparisonOp{Op: e.Op, Left: stripCmp(e.Left), Right: stripCmp(e.Right)}
	}
	return e
}

func FuzzParsePattern(f *testing.F) {
	for _, tc := range validPatterns {
		f.Add(tc.in)
	}
	f.Add("[x:y = '")
	f.Add("[x:y = t'2016-01-01T00:00:00Z'] START t'")
	f.Add("(((")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePattern(in)
		if err != nil {
			return
		}
		// Whatever parses must render to something that parses back to
		// the same tree, and extract without panicking.
		s := p.String()
		p2, err := ParsePattern(s)
		if err != nil {
			t.Fatalf("ParsePattern(%q) ok, but its rendering %q fails: %v", in, s, err)
		}
		if diff := cmp.Diff(stripPos(p), stripPos(p2)); diff != "" {
			t.Fatalf("rendering %q of %q parses differently:\n%s", s, in, diff)
		}
		ExtractPattern(p)
	})
}
