package sigma

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// hitsOf returns the sorted, distinct literal ids a scan reports.
func hitsOf(scan func(string, func(int32)), text string) []int32 {
	var out []int32
	scan(text, func(p int32) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	})
	slices.Sort(out)
	return out
}

// naiveHits is the reference: the literals the folded text contains.
func naiveHits(pats []string, text string) []int32 {
	f := fold(text)
	var out []int32
	for i, p := range pats {
		if strings.Contains(f, p) {
			out = append(out, int32(i))
		}
	}
	return out
}

// anchorHits scans text the way the matcher does: raw when ASCII or
// foldable as ASCII, folded otherwise. The folded scan must agree too.
func anchorHits(t *testing.T, a *anchorScan, text string) []int32 {
	folded := hitsOf(a.scanFolded, fold(text))
	lowered := []byte(text)
	ascii := lowerASCII(lowered)
	if ascii != isASCII(text) {
		t.Errorf("%q: lowerASCII says ASCII %v", text, ascii)
	}
	if isASCII(text) || (a.ascii && asciiFoldable(text)) {
		raw := hitsOf(a.scanASCII, text)
		if !slices.Equal(raw, folded) {
			t.Errorf("%q: unfolded scan %v, folded scan %v", text, raw, folded)
		}
		// The matcher's way: ASCII letters lower-cased, scanned as folded.
		if low := hitsOf(a.scanFolded, string(lowered)); !slices.Equal(low, folded) {
			t.Errorf("%q: lower-cased scan %v, folded scan %v", text, low, folded)
		}
		return raw
	}
	if fl := fold(string(lowered)); fl != fold(text) {
		t.Errorf("%q: folding the lower-cased text gives %q, not %q", text, fl, fold(text))
	}
	return folded
}

// TestLowerASCII compares the word-at-a-time lower-casing with a byte loop
// on every byte value at every position of a word.
func TestLowerASCII(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 19; pos++ {
			b := []byte("Ab\\Z@[`z{ \x01MiXeD:CaSe")
			if pos < len(b) {
				b[pos] = byte(c)
			}
			want := []byte(string(b))
			wantASCII := true
			for i, x := range want {
				if x >= 0x80 {
					wantASCII = false
				}
				if 'A' <= x && x <= 'Z' {
					want[i] = x + 'a' - 'A'
				}
			}
			if ascii := lowerASCII(b); string(b) != string(want) || ascii != wantASCII {
				t.Fatalf("byte %#x at %d: %q (ASCII %v), want %q (%v)", c, pos, b, ascii, want, wantASCII)
			}
		}
	}
}

// TestAnchorScanAgreesWithAutomaton checks the anchored scan reports
// exactly the literals the automaton and a plain search report, on the
// mimikatz keyword set and on random literal sets over a small alphabet
// (so that literals overlap, repeat and sit at both ends of the text).
func TestAnchorScanAgreesWithAutomaton(t *testing.T) {
	mimikatz := []string{"i::masterkey", "eo.oe.kiwi", "event::clear", "event::drop", "ntilkiwi.com",
		"eros::golden", "rberos::ptc", "rberos::ptt", "rberos::tgt", "legit printer", "lsadump::", "mimidrv.sys",
		`\mimilib.dll`, "printnightmare", "shadowcopies", "misc::skeleton", "ilege::backup", "ilege::debug",
		"ilege::driver", "sekurlsa::"}
	a := newAnchorScan(mimikatz)
	if a == nil {
		t.Fatal("no anchored scan for the mimikatz keywords")
	}
	t.Logf("mimikatz keywords: %d passes over %q (lower-cased text)", len(a.foldedBytes), a.foldedBytes)
	texts := []string{
		"", "x", "privilege::debug", "PRIVILEGE::DEBUG sekurlsa::logonpasswords",
		`C:\Windows\System32\mimilib.dll`, `c:\temp\MIMILIB.DLL`, "kerberos::golden /user:x",
		"Kiwi Legit Printer", "gentilkiwi.com\x00next", "mimidrv.sys", "mimidrv.sy",
		"ſekurlsa::", // long s folds to s: found only through the folded scan
		"prİvilege::debug",
		"\u212aerberos::ptt", "été lsadump::sam", "sekurlsa:", "::",
	}
	ac := newACMachine(mimikatz)
	for _, text := range texts {
		got, want := anchorHits(t, a, text), naiveHits(mimikatz, text)
		if !slices.Equal(got, want) {
			t.Errorf("%q: anchored scan %v, plain search %v", text, got, want)
		}
		if auto := hitsOf(ac.scan, fold(text)); !slices.Equal(auto, want) {
			t.Errorf("%q: automaton %v, plain search %v", text, auto, want)
		}
	}

	r := rand.New(rand.NewPCG(7, 11))
	alphabet := "abAB:\\.é\x00"
	randText := func(n int) string {
		var b strings.Builder
		for range n {
			if r.IntN(10) == 0 {
				b.WriteString("é")
				continue
			}
			b.WriteByte(alphabet[r.IntN(7)])
		}
		return b.String()
	}
	for round := range 2000 {
		var pats []string
		for range 1 + r.IntN(5) {
			p := fold(randText(1 + r.IntN(4)))
			pats = append(pats, p)
		}
		a := newAnchorScan(pats)
		if a == nil {
			continue
		}
		for range 5 {
			text := randText(r.IntN(40))
			if got, want := anchorHits(t, a, text), naiveHits(pats, text); !slices.Equal(got, want) {
				t.Fatalf("round %d: literals %q in %q: anchored scan %v, plain search %v", round, pats, text, got, want)
			}
		}
	}
}

func TestAnchorScanLimits(t *testing.T) {
	if newAnchorScan([]string{"a", ""}) != nil {
		t.Error("an empty literal must disable the anchored scan")
	}
	// Thirteen distinct letters need twenty-six passes: the automaton is used.
	if newAnchorScan(strings.Split("q w z j x v k y g h u p b", " ")) != nil {
		t.Error("too many anchor bytes must disable the anchored scan")
	}
	if !isASCII("plain text \x00\x7f") || isASCII("plain text é") || isASCII("12345678\x80") {
		t.Error("isASCII")
	}
}

// TestMatchSetAgreesWithMatch checks that one MatchSet over several
// categories and services returns the union, in rule order, of a Match per
// combination, keyword rules included.
func TestMatchSetAgreesWithMatch(t *testing.T) {
	var rules []*CompiledRule
	for _, src := range []string{
		"title: kw\nlogsource:\n    product: windows\ndetection:\n    keywords:\n        - 'sekurlsa::'\n    condition: keywords\n",
		"title: set\nlogsource:\n    product: windows\n    category: registry_set\ndetection:\n    sel:\n        TargetObject|contains: '\\Run'\n    condition: sel\n",
		"title: event\nlogsource:\n    product: windows\n    category: registry_event\ndetection:\n    sel:\n        TargetObject|endswith: '\\Run\\x'\n    condition: sel\n",
		"title: sysmon\nlogsource:\n    product: windows\n    service: sysmon\ndetection:\n    sel:\n        EventID: 13\n    condition: sel\n",
		"title: other\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        EventID: 13\n    condition: sel\n",
	} {
		r, err := ParseRule([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		cr, err := Compile(r, CompileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, cr)
	}
	rs := NewRuleSet(rules)
	ev := MapEvent{"EventID": 13, "TargetObject": `HKLM\Software\Microsoft\Windows\CurrentVersion\Run\x`, "Details": "rundll32 SEKURLSA::logonpasswords"}
	cats, svcs := []string{"registry_set", "registry_event"}, []string{"sysmon"}
	m := rs.NewMatcher()
	for range 2 { // the second time through the cached bucket
		got := m.MatchSet(ev, "windows", cats, svcs, nil)
		var want []*Rule
		for _, c := range cats {
			for _, sv := range svcs {
				for _, r := range rs.Match(ev, Logsource{Product: "windows", Category: c, Service: sv}, nil) {
					if !slices.Contains(want, r) {
						want = append(want, r)
					}
				}
			}
		}
		slices.SortFunc(want, func(x, y *Rule) int { return strings.Compare(x.Title, y.Title) })
		titles := func(rs []*Rule) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.Title)
			}
			return out
		}
		g, w := titles(got), titles(want)
		slices.Sort(g)
		if !slices.Equal(g, w) || len(got) != 4 {
			t.Fatalf("MatchSet %v, Match per combination %v", g, w)
		}
		if got[0].Title != "kw" || got[3].Title != "sysmon" {
			t.Errorf("MatchSet not in rule order: %v", titles(got))
		}
	}
}

// TestFoldsToASCII checks foldsToASCII lists every non-ASCII rune whose
// folded form is ASCII.
func TestFoldsToASCII(t *testing.T) {
	var found []string
	for r := rune(0x80); r <= 0x10ffff; r++ {
		if r >= 0xd800 && r < 0xe000 {
			continue
		}
		if f := foldRune(r); f < 0x80 {
			found = append(found, string(r))
		}
	}
	if !slices.Equal(found, foldsToASCII) {
		t.Errorf("runes folding to ASCII: %q, foldsToASCII lists %q", found, foldsToASCII)
	}
}

// FuzzAnchorScan compares the anchored scan with a plain search for any
// literals (one per line of lits, folded) in any text.
func FuzzAnchorScan(f *testing.F) {
	f.Add("sekurlsa::\nprivilege::debug\n\\mimilib.dll", "C:\\Windows\\MIMILIB.DLL ſekurlsa::")
	f.Add("k\nab", "\u212a AB ab")
	f.Add("é\n:", "É:")
	f.Fuzz(func(t *testing.T, lits, text string) {
		var pats []string
		for _, l := range strings.Split(lits, "\n") {
			if l = fold(l); l != "" && len(pats) < 32 {
				pats = append(pats, l)
			}
		}
		a := newAnchorScan(pats)
		if a == nil {
			return
		}
		if got, want := anchorHits(t, a, text), naiveHits(pats, text); !slices.Equal(got, want) {
			t.Fatalf("literals %q in %q: anchored scan %v, plain search %v", pats, text, got, want)
		}
	})
}
