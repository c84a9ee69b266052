package sigma

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// compileDetection compiles a rule whose detection section is det (YAML,
// indented by four spaces under "detection:").
func compileDetection(t *testing.T, det string, opts CompileOptions) (*CompiledRule, error) {
	t.Helper()
	src := "title: Test\nid: test-id\nauthor: Tester\nlogsource:\n    product: test\ndetection:\n" + det
	r, err := ParseRule([]byte(src))
	if err != nil {
		return nil, err
	}
	return Compile(r, opts)
}

type matchCase struct {
	name string
	det  string
	ev   MapEvent
	want bool
}

func runMatchCases(t *testing.T, cases []matchCase, opts CompileOptions) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cr, err := compileDetection(t, tc.det, opts)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if got := cr.Match(tc.ev); got != tc.want {
				t.Errorf("Match(%v) = %v, want %v", tc.ev, got, tc.want)
			}
			// The rule set (prefilter and caches) must agree with the rule.
			rs := NewRuleSet([]*CompiledRule{cr})
			got := len(rs.Match(tc.ev, Logsource{Product: "test"}, nil)) == 1
			if got != tc.want {
				t.Errorf("RuleSet.Match(%v) = %v, want %v", tc.ev, got, tc.want)
			}
			// And so must an event that is looked up by field id.
			ide := &idEvent{MapEvent: tc.ev, names: rs.FieldNames(), t: t}
			got = len(rs.Match(ide, Logsource{Product: "test"}, nil)) == 1
			if got != tc.want {
				t.Errorf("RuleSet.Match by field id (%v) = %v, want %v", tc.ev, got, tc.want)
			}
			if ide.calls == 0 && len(rs.FieldNames()) > 0 && len(tc.ev) > 0 {
				t.Errorf("no field was looked up by id")
			}
		})
	}
}

// idEvent is a MapEvent looked up by field id (FieldIDEvent); it checks
// that each id names the field asked for.
type idEvent struct {
	MapEvent
	names []string
	t     *testing.T
	calls int
}

func (e *idEvent) FieldID(id int32, name string) (Value, bool) {
	if int(id) >= len(e.names) || e.names[id] != name {
		e.t.Errorf("FieldID(%d, %q): the rule set names that id %q", id, name, e.names[min(int(id), len(e.names)-1)])
	}
	e.calls++
	return e.Field(name)
}

func sel(body string) string {
	return "    sel:\n" + body + "    condition: sel\n"
}

func TestValueMatching(t *testing.T) {
	cases := []matchCase{
		// Plain values: equality, case-insensitive (pySigma test_matching).
		{"plain equal", sel("        f: value\n"), MapEvent{"f": "value"}, true},
		{"plain case-insensitive", sel("        f: value\n"), MapEvent{"f": "VALUE"}, true},
		{"plain other", sel("        f: value\n"), MapEvent{"f": "other"}, false},
		{"plain is not contains", sel("        f: value\n"), MapEvent{"f": "a value"}, false},
		{"missing field", sel("        f: value\n"), MapEvent{"g": "value"}, false},
		{"non-ASCII folding", sel("        f: ÄBC\n"), MapEvent{"f": "äbc"}, true},
		{"number", sel("        f: 42\n"), MapEvent{"f": 42.0}, true},
		{"number other", sel("        f: 42\n"), MapEvent{"f": 43.0}, false},
		{"number against string", sel("        EventID: 4688\n"), MapEvent{"EventID": "4688"}, true},
		{"hex number in YAML", sel("        f: 0x10\n"), MapEvent{"f": 16.0}, true},
		{"bool", sel("        f: true\n"), MapEvent{"f": true}, true},
		{"bool other", sel("        f: true\n"), MapEvent{"f": false}, false},
		{"empty string", sel("        f: ''\n"), MapEvent{"f": ""}, true},
		{"empty string vs text", sel("        f: ''\n"), MapEvent{"f": "x"}, false},
		// null: the field is absent or null.
		{"null matches null", sel("        f: null\n"), MapEvent{"f": nil}, true},
		{"null matches absent", sel("        f: null\n"), MapEvent{"other": "v"}, true},
		{"null vs value", sel("        f: null\n"), MapEvent{"f": "something"}, false},
		{"null in a list", sel("        f:\n            - null\n            - x\n"), MapEvent{"f": "x"}, true},
		// Lists are OR, maps are AND.
		{"list OR first", sel("        f:\n            - a\n            - b\n"), MapEvent{"f": "a"}, true},
		{"list OR second", sel("        f:\n            - a\n            - b\n"), MapEvent{"f": "B"}, true},
		{"list OR none", sel("        f:\n            - a\n            - b\n"), MapEvent{"f": "c"}, false},
		{"map AND both", sel("        f: a\n        g: b\n"), MapEvent{"f": "a", "g": "b"}, true},
		{"map AND one", sel("        f: a\n        g: b\n"), MapEvent{"f": "a", "g": "c"}, false},
		{"list of maps OR", sel("        - f: a\n        - g: b\n"), MapEvent{"g": "b"}, true},
		// Wildcards.
		{"star", sel("        f: 'a*c'\n"), MapEvent{"f": "abbbc"}, true},
		{"star empty run", sel("        f: 'a*c'\n"), MapEvent{"f": "ac"}, true},
		{"star anchored", sel("        f: 'a*c'\n"), MapEvent{"f": "abcd"}, false},
		{"question mark", sel("        f: 'a?c'\n"), MapEvent{"f": "abc"}, true},
		{"question mark one rune", sel("        f: 'a?c'\n"), MapEvent{"f": "aéc"}, true},
		{"question mark not two", sel("        f: 'a?c'\n"), MapEvent{"f": "abbc"}, false},
		{"several stars", sel("        f: '*a*b*c*'\n"), MapEvent{"f": "xxaxxbxxcxx"}, true},
		{"several stars order", sel("        f: '*a*b*c*'\n"), MapEvent{"f": "cba"}, false},
		{"escaped star", sel("        f: 'a\\*c'\n"), MapEvent{"f": "a*c"}, true},
		{"escaped star is literal", sel("        f: 'a\\*c'\n"), MapEvent{"f": "abc"}, false},
		{"escaped question mark", sel("        f: 'a\\?'\n"), MapEvent{"f": "a?"}, true},
		{"escaped backslash then star", sel("        f: 'a\\\\*'\n"), MapEvent{"f": "a\\xyz"}, true},
		{"plain backslash", sel("        f: 'C:\\Windows\\x.exe'\n"), MapEvent{"f": "c:\\windows\\X.EXE"}, true},
		{"star alone needs a value", sel("        f: '*'\n"), MapEvent{"g": "x"}, false},
		{"star alone", sel("        f: '*'\n"), MapEvent{"f": ""}, true},
		// contains / startswith / endswith / all.
		{"contains", sel("        f|contains: test\n"), MapEvent{"f": "this is a TEST string"}, true},
		{"contains no", sel("        f|contains: test\n"), MapEvent{"f": "no match here"}, false},
		{"contains with wildcard", sel("        f|contains: 'a*b'\n"), MapEvent{"f": "xxaYYbxx"}, true},
		{"startswith", sel("        f|startswith: abc\n"), MapEvent{"f": "ABCdef"}, true},
		{"startswith no", sel("        f|startswith: abc\n"), MapEvent{"f": "xabc"}, false},
		{"endswith", sel("        f|endswith: '\\cmd.exe'\n"), MapEvent{"f": "C:\\Windows\\System32\\CMD.exe"}, true},
		{"endswith no", sel("        f|endswith: '\\cmd.exe'\n"), MapEvent{"f": "C:\\cmd.exe.bak"}, false},
		{"contains all", sel("        f|contains|all:\n            - a\n            - b\n"), MapEvent{"f": "xbxax"}, true},
		{"contains all missing one", sel("        f|contains|all:\n            - a\n            - b\n"), MapEvent{"f": "xax"}, false},
		// re with flags.
		{"re", sel("        f|re: '^test\\d+'\n"), MapEvent{"f": "test123"}, true},
		{"re no", sel("        f|re: '^test\\d+'\n"), MapEvent{"f": "notest"}, false},
		{"re is case-sensitive", sel("        f|re: '^Test'\n"), MapEvent{"f": "test"}, false},
		{"re i", sel("        f|re|i: '^Test'\n"), MapEvent{"f": "test"}, true},
		{"re m", sel("        f|re|m: '^b$'\n"), MapEvent{"f": "a\nb\nc"}, true},
		{"re without m", sel("        f|re: '^b$'\n"), MapEvent{"f": "a\nb\nc"}, false},
		{"re s", sel("        f|re|s: 'a.c'\n"), MapEvent{"f": "a\nc"}, true},
		{"re without s", sel("        f|re: 'a.c'\n"), MapEvent{"f": "a\nc"}, false},
		// cidr.
		{"cidr v4", sel("        f|cidr: 192.168.1.0/24\n"), MapEvent{"f": "192.168.1.50"}, true},
		{"cidr v4 no", sel("        f|cidr: 192.168.1.0/24\n"), MapEvent{"f": "10.0.0.1"}, false},
		{"cidr v6", sel("        f|cidr: 'fe80::/10'\n"), MapEvent{"f": "fe80::1"}, true},
		{"cidr mapped v4", sel("        f|cidr: 10.0.0.0/8\n"), MapEvent{"f": "::ffff:10.1.2.3"}, true},
		{"cidr not an IP", sel("        f|cidr: 10.0.0.0/8\n"), MapEvent{"f": "10.0.0.0.evil"}, false},
		{"cidr list", sel("        f|cidr:\n            - 10.0.0.0/8\n            - 172.16.0.0/12\n"), MapEvent{"f": "172.20.1.1"}, true},
		// base64 family.
		{"base64", sel("        f|base64: 'http://'\n"), MapEvent{"f": "aHR0cDovLw=="}, true},
		{"base64 is cased", sel("        f|base64: 'http://'\n"), MapEvent{"f": "AHR0CDOVLW=="}, false},
		{"base64offset 0", sel("        f|base64offset|contains: 'http://'\n"), MapEvent{"f": "xxaHR0cDovLxx"}, true},
		{"base64offset 1", sel("        f|base64offset|contains: 'http://'\n"), MapEvent{"f": "xxh0dHA6Lyxx"}, true},
		{"base64offset 2", sel("        f|base64offset|contains: 'http://'\n"), MapEvent{"f": "xxodHRwOi8vxx"}, true},
		{"base64offset no", sel("        f|base64offset|contains: 'http://'\n"), MapEvent{"f": "http://"}, false},
		{"wide base64offset", sel("        f|wide|base64offset|contains: 'ping'\n"), MapEvent{"f": "powershell -enc cABpAG4AZwA="}, true},
		{"utf16le base64", sel("        f|utf16le|base64: 'A'\n"), MapEvent{"f": "QQA="}, true},
		{"utf16be base64", sel("        f|utf16be|base64: 'A'\n"), MapEvent{"f": "AEE="}, true},
		{"utf16 base64 with BOM", sel("        f|utf16|base64: 'A'\n"), MapEvent{"f": "//5BAA=="}, true},
		// windash.
		{"windash dash", sel("        f|contains|windash: ' -enc '\n"), MapEvent{"f": "powershell -enc AAA"}, true},
		{"windash slash", sel("        f|contains|windash: ' -enc '\n"), MapEvent{"f": "powershell /enc AAA"}, true},
		{"windash en dash", sel("        f|contains|windash: ' -enc '\n"), MapEvent{"f": "powershell \u2013enc AAA"}, true},
		{"windash em dash", sel("        f|contains|windash: ' -enc '\n"), MapEvent{"f": "powershell \u2014enc AAA"}, true},
		{"windash horizontal bar", sel("        f|contains|windash: ' -enc '\n"), MapEvent{"f": "powershell \u2015enc AAA"}, true},
		{"windash not other chars", sel("        f|contains|windash: ' -enc '\n"), MapEvent{"f": "powershell +enc AAA"}, false},
		{"windash all", sel("        f|contains|all|windash:\n            - '-a'\n            - '-b'\n"), MapEvent{"f": "x /a /b"}, true},
		{"windash all missing one", sel("        f|contains|all|windash:\n            - '-a'\n            - '-b'\n"), MapEvent{"f": "x /a"}, false},
		// exists.
		{"exists true", sel("        f|exists: true\n"), MapEvent{"f": ""}, true},
		{"exists true absent", sel("        f|exists: true\n"), MapEvent{"g": "x"}, false},
		{"exists false", sel("        f|exists: false\n"), MapEvent{"g": "x"}, true},
		{"exists false present", sel("        f|exists: false\n"), MapEvent{"f": "x"}, false},
		// Numeric comparisons.
		{"gt", sel("        f|gt: 10\n"), MapEvent{"f": 15.0}, true},
		{"gt no", sel("        f|gt: 10\n"), MapEvent{"f": 5.0}, false},
		{"gt equal", sel("        f|gt: 10\n"), MapEvent{"f": 10.0}, false},
		{"gte equal", sel("        f|gte: 10\n"), MapEvent{"f": 10.0}, true},
		{"lt", sel("        f|lt: 10\n"), MapEvent{"f": 9.5}, true},
		{"lte", sel("        f|lte: 10\n"), MapEvent{"f": "10"}, true},
		{"lt not a number", sel("        f|lt: 10\n"), MapEvent{"f": "abc"}, false},
		// fieldref.
		{"fieldref equal", sel("        f|fieldref: g\n"), MapEvent{"f": "Same", "g": "same"}, true},
		{"fieldref differ", sel("        f|fieldref: g\n"), MapEvent{"f": "a", "g": "b"}, false},
		{"fieldref other absent", sel("        f|fieldref: g\n"), MapEvent{"f": "a"}, false},
		{"fieldref contains", sel("        f|fieldref|contains: g\n"), MapEvent{"f": "xxabcxx", "g": "abc"}, true},
		{"fieldref endswith", sel("        f|fieldref|endswith: g\n"), MapEvent{"f": "C:\\x\\a.exe", "g": "a.exe"}, true},
		// cased.
		{"cased", sel("        f|cased: Value\n"), MapEvent{"f": "Value"}, true},
		{"cased differs", sel("        f|cased: Value\n"), MapEvent{"f": "value"}, false},
		{"cased contains", sel("        f|contains|cased: Val\n"), MapEvent{"f": "xValx"}, true},
		{"cased contains differs", sel("        f|contains|cased: Val\n"), MapEvent{"f": "xvalx"}, false},
		// Multi-valued event fields: any element may match.
		{"list field", sel("        f: b\n"), MapEvent{"f": []any{"a", "b"}}, true},
		{"list field none", sel("        f: c\n"), MapEvent{"f": []any{"a", "b"}}, false},
		{"list field all across elements", sel("        f|contains|all:\n            - a\n            - b\n"), MapEvent{"f": []any{"xa", "xb"}}, true},
		// Keywords: any value of the event contains the keyword.
		{"keyword", "    keywords:\n        - suspicious\n    condition: keywords\n", MapEvent{"msg": "this is Suspicious activity"}, true},
		{"keyword no", "    keywords:\n        - suspicious\n    condition: keywords\n", MapEvent{"msg": "normal activity"}, false},
		{"keyword list OR", "    keywords:\n        - foo\n        - bar\n    condition: keywords\n", MapEvent{"a": "x", "b": "xbarx"}, true},
		{"keyword wildcard", "    keywords:\n        - 'rm *bash_history'\n    condition: keywords\n", MapEvent{"cmd": "sudo rm -f ~/.bash_history"}, true},
		{"keyword number value", "    keywords:\n        - 4624\n    condition: keywords\n", MapEvent{"EventID": 4624.0}, true},
		{"keyword scalar", "    keywords: evil\n    condition: keywords\n", MapEvent{"a": "EVIL"}, true},
		{"keyword all", "    keywords:\n        '|all':\n            - foo\n            - bar\n    condition: keywords\n", MapEvent{"a": "foo", "b": "bar"}, true},
		{"keyword all missing", "    keywords:\n        '|all':\n            - foo\n            - bar\n    condition: keywords\n", MapEvent{"a": "foo"}, false},
		{"keyword in a list element", "    keywords:\n        - evil\n    condition: keywords\n", MapEvent{"tags": []any{"good", "evil"}}, true},
	}
	runMatchCases(t, cases, CompileOptions{})
}

func TestConditions(t *testing.T) {
	three := "    sel1:\n        a: 1\n    sel2:\n        b: 1\n    _hidden:\n        c: 1\n    filter:\n        d: 1\n"
	cases := []matchCase{
		{"and", three + "    condition: sel1 and sel2\n", MapEvent{"a": 1.0, "b": 1.0}, true},
		{"and one", three + "    condition: sel1 and sel2\n", MapEvent{"a": 1.0}, false},
		{"or", three + "    condition: sel1 or sel2\n", MapEvent{"b": 1.0}, true},
		{"or none", three + "    condition: sel1 or sel2\n", MapEvent{"c": 1.0}, false},
		{"not", three + "    condition: not sel1\n", MapEvent{"a": 2.0}, true},
		{"not no", three + "    condition: not sel1\n", MapEvent{"a": 1.0}, false},
		{"upper-case operators", three + "    condition: sel1 AND NOT filter\n", MapEvent{"a": 1.0}, true},
		{"precedence not before and", three + "    condition: not sel1 and sel2\n", MapEvent{"b": 1.0}, true},
		{"precedence and before or", three + "    condition: sel1 or sel2 and filter\n", MapEvent{"a": 1.0}, true},
		{"precedence and before or 2", three + "    condition: sel1 or sel2 and filter\n", MapEvent{"b": 1.0}, false},
		{"parentheses", three + "    condition: (sel1 or sel2) and filter\n", MapEvent{"a": 1.0}, false},
		{"parentheses 2", three + "    condition: (sel1 or sel2) and filter\n", MapEvent{"b": 1.0, "d": 1.0}, true},
		{"nested parentheses", three + "    condition: not ((sel1) and not (sel2 or filter))\n", MapEvent{"a": 1.0, "d": 1.0}, true},
		{"1 of pattern", three + "    condition: 1 of sel*\n", MapEvent{"b": 1.0}, true},
		{"1 of pattern none", three + "    condition: 1 of sel*\n", MapEvent{"d": 1.0}, false},
		{"all of pattern", three + "    condition: all of sel*\n", MapEvent{"a": 1.0, "b": 1.0}, true},
		{"all of pattern one", three + "    condition: all of sel*\n", MapEvent{"a": 1.0}, false},
		{"1 of them", three + "    condition: 1 of them\n", MapEvent{"d": 1.0}, true},
		{"them skips underscore", three + "    condition: 1 of them\n", MapEvent{"c": 1.0}, false},
		{"all of them", three + "    condition: all of them\n", MapEvent{"a": 1.0, "b": 1.0, "d": 1.0}, true},
		{"all of them one short", three + "    condition: all of them\n", MapEvent{"a": 1.0, "b": 1.0}, false},
		{"not 1 of", three + "    condition: sel1 and not 1 of filter*\n", MapEvent{"a": 1.0, "d": 1.0}, false},
		{"condition list is OR", three + "    condition:\n        - sel1\n        - sel2\n", MapEvent{"b": 1.0}, true},
	}
	runMatchCases(t, cases, CompileOptions{})
}

func TestExpandAndFieldMapping(t *testing.T) {
	opts := CompileOptions{
		Placeholders: map[string][]string{"admins": {"alice", "bob*"}},
		FieldMap:     MapFields(map[string]string{"User": "user.name", "Other": "user.other"}),
	}
	cases := []matchCase{
		{"expand first", sel("        User|expand: '%admins%'\n"), MapEvent{"user.name": "Alice"}, true},
		{"expand wildcard value", sel("        User|expand: '%admins%'\n"), MapEvent{"user.name": "bobby"}, true},
		{"expand other", sel("        User|expand: '%admins%'\n"), MapEvent{"user.name": "carol"}, false},
		{"expand in text", sel("        User|expand: 'corp\\%admins%'\n"), MapEvent{"user.name": "corp\\alice"}, true},
		{"mapped name only", sel("        User: alice\n"), MapEvent{"User": "alice"}, false},
		{"fieldref mapped", sel("        User|fieldref: Other\n"), MapEvent{"user.name": "x", "user.other": "X"}, true},
	}
	runMatchCases(t, cases, opts)
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name, det string
		want      string
		is        error
	}{
		{"unknown modifier", sel("        f|sideways: x\n"), `unsupported modifier "sideways"`, ErrUnsupported},
		{"regexp lookahead", sel("        f|re: 'a(?=b)'\n"), "regular expression not supported by Go's RE2 engine", nil},
		{"regexp backreference", sel("        f|re: '(a)\\1'\n"), "regular expression not supported", nil},
		{"unresolved placeholder", sel("        f|expand: '%nope%'\n"), "unresolved placeholder %nope%", ErrUnresolvedPlaceholder},
		{"unknown selection", "    sel:\n        f: x\n    condition: sel and other\n", `unknown selection "other"`, nil},
		{"pattern matches nothing", "    sel:\n        f: x\n    condition: 1 of foo*\n", "matches no selection", nil},
		{"aggregation", "    sel:\n        f: x\n    condition: sel | count() > 5\n", "aggregation", ErrUnsupported},
		{"dangling and", "    sel:\n        f: x\n    condition: sel and\n", "unexpected end", nil},
		{"unbalanced", "    sel:\n        f: x\n    condition: (sel\n", "missing )", nil},
		{"bad cidr", sel("        f|cidr: 10.0.0.0/99\n"), "cidr", nil},
		{"lt needs number", sel("        f|lt: abc\n"), "lt needs a number", nil},
		{"exists needs bool", sel("        f|exists: maybe\n"), "exists needs", nil},
		{"base64 of wildcard", sel("        f|base64: 'a*'\n"), "wildcards cannot be encoded", nil},
		{"re with contains", sel("        f|re|contains: x\n"), "cannot be combined", nil},
		{"flags without re", sel("        f|i: x\n"), "without re", nil},
		{"fieldref with base64", sel("        f|fieldref|base64: g\n"), "fieldref cannot be combined", nil},
		{"nested map", sel("        f:\n            g: x\n"), "values must be scalars", nil},
		{"empty list", sel("        f: []\n"), "empty value list", nil},
		{"deep nesting", "    sel:\n        f: x\n    condition: " + strings.Repeat("(", 100) + "sel" + strings.Repeat(")", 100) + "\n", "nested deeper", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileDetection(t, tc.det, CompileOptions{})
			if err == nil {
				t.Fatalf("compile succeeded, want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `rule "Test" (test-id)`) && !strings.Contains(tc.want, "values must") {
				t.Errorf("error = %q, want it to name the rule", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
		})
	}
}

func TestParseRuleMetadata(t *testing.T) {
	src := `title: Some Rule
id: 5f0e7e37-0c4a-4e3c-9b8f-111111111111
name: some_rule
related:
    - id: 09e6d5c0-05b8-4ff8-9eeb-043046ec774c
      type: obsolete
status: test
description: Finds things.
references:
    - https://example.org/a
author: Jane Doe, John Roe
date: 2020-02-18
modified: 2025-02-23
tags:
    - attack.t1003.001
logsource:
    category: process_creation
    product: windows
    service: sysmon
detection:
    selection:
        Image|endswith: '\x.exe'
    condition: selection
fields:
    - CommandLine
falsepositives: Unlikely
level: high
license: DRL-1.1
`
	r, err := ParseRule([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r.Detection = nil
	want := &Rule{
		ID: "5f0e7e37-0c4a-4e3c-9b8f-111111111111", Name: "some_rule", Title: "Some Rule",
		Status: "test", Description: "Finds things.", Author: "Jane Doe, John Roe",
		License: "DRL-1.1", Date: "2020-02-18", Modified: "2025-02-23", Level: "high",
		References: []string{"https://example.org/a"}, Tags: []string{"attack.t1003.001"},
		FalsePositives: []string{"Unlikely"}, Fields: []string{"CommandLine"},
		Related:   []Related{{ID: "09e6d5c0-05b8-4ff8-9eeb-043046ec774c", Type: "obsolete"}},
		Logsource: Logsource{Product: "windows", Category: "process_creation", Service: "sysmon"},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("ParseRule mismatch (-want +got):\n%s", diff)
	}
}

func TestParseRulesRejects(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want string
	}{
		{"alias", "title: x\ndetection: &a\n    sel: {f: x}\n    condition: sel\nother: *a\n", "anchors and aliases"},
		{"no detection", "title: x\n", "missing detection"},
		{"no condition", "title: x\ndetection:\n    sel: {f: x}\n", "missing condition"},
		{"not a mapping", "- a\n- b\n", "must be a mapping"},
		{"bad yaml", "title: [\n", "yaml"},
		{"action", "action: global\ntitle: x\n", "rule collections"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := ParseRules([]byte(tc.src))
			if len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Errorf("ParseRules errors = %v, want one containing %q", errs, tc.want)
			}
		})
	}
}

func TestCollectionKeepsGoing(t *testing.T) {
	src := "title: good1\nlogsource: {product: p}\ndetection:\n    sel: {f: x}\n    condition: sel\n" +
		"---\ntitle: bad\ndetection:\n    sel: {f|nope: x}\n    condition: sel\n" +
		"---\ntitle: good2\nlogsource: {product: p}\ndetection:\n    sel: {f: y}\n    condition: sel\n"
	c := &Collection{}
	c.AddBytes("multi.yml", []byte(src), LoadOptions{})
	var titles []string
	for _, r := range c.Rules {
		titles = append(titles, r.Title)
	}
	if diff := cmp.Diff([]string{"good1", "good2"}, titles); diff != "" {
		t.Errorf("loaded titles (-want +got):\n%s", diff)
	}
	if len(c.Rejects) != 1 || c.Rejects[0].Title != "bad" || c.Rejects[0].Index != 1 {
		t.Errorf("rejects = %v, want the one bad document", c.Rejects)
	}
	big := &Collection{}
	big.AddBytes("big.yml", make([]byte, 100), LoadOptions{MaxFileSize: 10})
	if len(big.Rejects) != 1 || !strings.Contains(big.Rejects[0].Err.Error(), "larger than") {
		t.Errorf("oversized file rejects = %v", big.Rejects)
	}
}

func TestBase64OffsetSpecExample(t *testing.T) {
	// The example of the Sigma specification's modifier appendix.
	got := base64Offsets("http://")
	want := []string{"aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("base64Offsets(http://) (-want +got):\n%s", diff)
	}
}

func TestWindowsLogsource(t *testing.T) {
	cases := []struct {
		channel string
		id      int
		typ     string
		want    Logsource
	}{
		{"Microsoft-Windows-Sysmon/Operational", 1, "", Logsource{"windows", "process_creation", "sysmon"}},
		{"Microsoft-Windows-Sysmon/Operational", 3, "", Logsource{"windows", "network_connection", "sysmon"}},
		{"Microsoft-Windows-Sysmon/Operational", 7, "", Logsource{"windows", "image_load", "sysmon"}},
		{"Microsoft-Windows-Sysmon/Operational", 10, "", Logsource{"windows", "process_access", "sysmon"}},
		{"Microsoft-Windows-Sysmon/Operational", 11, "", Logsource{"windows", "file_event", "sysmon"}},
		{"Microsoft-Windows-Sysmon/Operational", 12, "CreateKey", Logsource{"windows", "registry_add", "sysmon"}},
		{"Microsoft-Windows-Sysmon/Operational", 12, "DeleteKey", Logsource{"windows", "registry_delete", "sysmon"}},
		{"Microsoft-Windows-Sysmon/Operational", 13, "SetValue", Logsource{"windows", "registry_set", "sysmon"}},
		{"Microsoft-Windows-Sysmon/Operational", 14, "", Logsource{"windows", "registry_rename", "sysmon"}},
		{"Microsoft-Windows-Sysmon/Operational", 22, "", Logsource{"windows", "dns_query", "sysmon"}},
		{"Security", 4688, "", Logsource{"windows", "process_creation", "security"}},
		{"security", 4624, "", Logsource{"windows", "", "security"}},
		{"Microsoft-Windows-PowerShell/Operational", 4104, "", Logsource{"windows", "ps_script", "powershell"}},
		{"Windows PowerShell", 800, "", Logsource{"windows", "ps_classic_script", "powershell-classic"}},
		{"Something/Else", 1, "", Logsource{"windows", "", ""}},
	}
	for _, tc := range cases {
		if got := WindowsLogsource(tc.channel, tc.id, tc.typ); got != tc.want {
			t.Errorf("WindowsLogsource(%q, %d, %q) = %v, want %v", tc.channel, tc.id, tc.typ, got, tc.want)
		}
	}
	if !Fits(Logsource{Product: "windows", Category: "registry_event"}, Logsource{"windows", "registry_set", "sysmon"}) {
		t.Error("registry_event rules must fit registry_set events")
	}
	if Fits(Logsource{Product: "windows", Category: "process_creation"}, Logsource{"windows", "", "security"}) {
		t.Error("a process_creation rule must not fit a Security event")
	}
}

// TestWindowsLogsourceSelectors checks that the selectors are
// WindowsLogsource read backwards: over every known channel, a range of
// event ids and Sysmon's registry event types, an event is selected for a
// logsource exactly when the logsource it derives fits it.
func TestWindowsLogsourceSelectors(t *testing.T) {
	selectors := WindowsLogsourceSelectors()
	selects := func(s WindowsSelector, ch string, id int, typ string) bool {
		return slices.Contains(s.Channels, ch) &&
			(len(s.EventIDs) == 0 || slices.Contains(s.EventIDs, id)) &&
			(len(s.EventTypes) == 0 || slices.Contains(s.EventTypes, typ))
	}
	ids := []int{4624, 4688, 4103, 4104, 400, 600, 800, 255}
	for id := range 30 {
		ids = append(ids, id)
	}
	checked := 0
	for ch := range windowsServices {
		for _, id := range ids {
			for _, typ := range []string{"CreateKey", "DeleteKey", "DeleteValue"} {
				ev := WindowsLogsource(ch, id, typ)
				for ls, sels := range selectors {
					got := slices.ContainsFunc(sels, func(s WindowsSelector) bool { return selects(s, ch, id, typ) })
					if want := Fits(ls, ev); got != want {
						t.Errorf("%v: event (%q, %d, %q) derives %v, selected %v", ls, ch, id, typ, ev, got)
					}
					checked++
				}
			}
		}
	}
	for _, ls := range []Logsource{{"windows", "process_creation", ""}, {"windows", "registry_event", ""}, {"windows", "", "security"}, {"windows", "ps_script", ""}} {
		if len(selectors[ls]) == 0 {
			t.Errorf("no selector for %v", ls)
		}
	}
	t.Logf("%d logsources, %d checks", len(selectors), checked)
}

// TestCompiledRuleMatchIgnoresFieldIDs checks that a rule matched alone
// looks fields up by name: its field ids are its own, not the ids of a
// rule set's FieldNames that a FieldIDEvent answers to.
func TestCompiledRuleMatchIgnoresFieldIDs(t *testing.T) {
	a, err := compileDetection(t, sel("        A: x\n"), CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := compileDetection(t, sel("        B: y\n"), CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rs := NewRuleSet([]*CompiledRule{a, b})
	for _, cr := range []*CompiledRule{a, b} {
		ev := &idEvent{MapEvent: MapEvent{"A": "x", "B": "y"}, names: rs.FieldNames(), t: t}
		if !cr.Match(ev) {
			t.Errorf("rule on %v does not match %v", cr.fields, ev.MapEvent)
		}
	}
}
