package sigma

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

var fuzzRuleSeeds = []string{
	"title: t\nlogsource: {product: p}\ndetection:\n    sel:\n        f|contains|all|windash: ['-a', '/b']\n    condition: sel\n",
	"title: t\ndetection:\n    sel:\n        f|re|i: '^a.*b$'\n        g|cidr: 10.0.0.0/8\n    filter:\n        h: null\n    condition: sel and not filter\n",
	"title: t\ndetection:\n    keywords: ['a*b', 'c?d', 'e\\*f']\n    condition: keywords\n",
	"title: t\ndetection:\n    sel1: {f|base64offset|contains: abc}\n    sel2: {f|wide|base64: x}\n    condition: 1 of sel* or all of them\n",
	"title: t\ndetection:\n    sel: {f|gte: 3, g|fieldref|endswith: h, i|exists: true}\n    condition: (sel)\n",
	"title: c\nname: c\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [u]\n    timespan: 5m\n    condition: {gte: 3}\n",
	"title: t\ndetection:\n    sel: {f: x}\n    condition: sel | count() > 3\n",
	"a: &x [1]\nb: *x\n",
}

// FuzzParseRule feeds arbitrary YAML to the parser and compiler: they must
// return errors, never panic.
func FuzzParseRule(f *testing.F) {
	for _, s := range fuzzRuleSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, _ := ParseRules(data)
		for _, r := range rules {
			if r.Detection == nil {
				continue
			}
			if cr, err := Compile(r, CompileOptions{}); err == nil {
				cr.Match(MapEvent{"f": "x", "g": "10.1.1.1"})
			}
		}
	})
}

// FuzzMatch compiles a rule and matches a JSON event with it, through the
// rule alone and through a RuleSet; both must agree and never panic.
func FuzzMatch(f *testing.F) {
	events := []string{
		`{"f": "-a /b", "g": "10.1.2.3", "h": null}`,
		`{"f": "YWJj", "g": "x", "h": "C:\\x\\h", "i": 1}`,
		`{"f": ["a", "b", 3, null, true], "g": "ÄbC\u212a"}`,
		`{"f": 5, "g": "c", "h": "c"}`,
	}
	for i, s := range fuzzRuleSeeds {
		f.Add([]byte(s), []byte(events[i%len(events)]))
	}
	f.Fuzz(func(t *testing.T, rule, event []byte) {
		r, err := ParseRule(rule)
		if err != nil || r.Detection == nil {
			return
		}
		cr, err := Compile(r, CompileOptions{})
		if err != nil {
			return
		}
		var ev MapEvent
		if json.Unmarshal(event, &ev) != nil {
			return
		}
		want := cr.Match(ev)
		got := len(NewRuleSet([]*CompiledRule{cr}).Match(ev, r.Logsource, nil)) == 1
		if got != want {
			t.Fatalf("RuleSet.Match = %v, CompiledRule.Match = %v", got, want)
		}
	})
}

// FuzzGlob checks the wildcard matcher against a simple reference.
func FuzzGlob(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("*a*", "bab")
	f.Add("??", "é")
	f.Fuzz(func(t *testing.T, pat, text string) {
		if len(pat) > 32 || len(text) > 64 {
			return
		}
		p := parsePattern(pat)
		if got, want := newGlob(p).match(text), globRef(p, text); got != want {
			t.Fatalf("glob(%q).match(%q) = %v, want %v", pat, text, got, want)
		}
	})
}

// globRef is an exponential but obviously correct wildcard matcher.
func globRef(p pattern, s string) bool {
	if len(p) == 0 {
		return s == ""
	}
	switch p[0].wild {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globRef(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		if s == "" {
			return false
		}
		_, n := utf8.DecodeRuneInString(s)
		return globRef(p[1:], s[n:])
	}
	if len(s) < len(p[0].lit) || s[:len(p[0].lit)] != p[0].lit {
		return false
	}
	return globRef(p[1:], s[len(p[0].lit):])
}
