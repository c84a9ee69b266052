package sigma

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestOTRFRecordings feeds the OTRF Windows attack recordings through the
// SigmaHQ Windows rules; the comsvcs LSASS dump must fire both comsvcs
// rules.
func TestOTRFRecordings(t *testing.T) {
	rs := NewRuleSet(windowsRules(t))
	recs := loadOTRF(t)
	t.Logf("%d Windows rules, %d recordings", rs.Len(), len(recs))
	var fired map[string][]string
	for _, rec := range recs {
		titles := map[string]int{}
		var dst []*Rule
		for _, ev := range rec.events {
			ls, ok := WindowsEventLogsource(ev)
			if !ok {
				continue
			}
			dst = rs.Match(ev, ls, dst[:0])
			for _, r := range dst {
				titles[r.Title]++
			}
		}
		names := make([]string, 0, len(titles))
		for k := range titles {
			names = append(names, k)
		}
		sort.Strings(names)
		t.Logf("%s: %d events, %d rules fired: %s", rec.name, len(rec.events), len(names), strings.Join(names, "; "))
		if strings.Contains(rec.name, "lsass_memory_dump_comsvcs") {
			if fired == nil {
				fired = map[string][]string{}
			}
			fired[rec.name] = names
		}
	}
	if len(fired) != 1 {
		t.Fatalf("comsvcs recording not found among the recordings")
	}
	for name, titles := range fired {
		for _, want := range []string{"Process Memory Dump Via Comsvcs.DLL", "Lsass Memory Dump via Comsvcs DLL"} {
			if !slices.Contains(titles, want) {
				t.Errorf("%s did not fire %q; fired: %v", name, want, titles)
			}
		}
	}
}

// TestRuleSetAgreesWithRules checks the prefilter never drops a match: on
// OTRF events, the RuleSet returns exactly the rules that evaluating every
// fitting rule without the prefilter returns. Full evaluation is slow, so
// every event of the comsvcs recording and every fourth event of the
// others are checked; the benchmark's no-prefilter case covers the rest.
func TestRuleSetAgreesWithRules(t *testing.T) {
	rs := NewRuleSet(windowsRules(t))
	ref := rs.NewMatcher()
	recs := loadOTRF(t)
	checked, matched := 0, 0
	for _, rec := range recs {
		step := 4
		if strings.Contains(rec.name, "comsvcs") {
			step = 1
		}
		for i, ev := range rec.events {
			ls, ok := WindowsEventLogsource(ev)
			if !ok || i%step != 0 {
				continue
			}
			got := rs.Match(ev, ls, nil)
			ref.ctx.reset(ev)
			want := ref.evalLogsource(foldLogsource(ls), nil)
			checked++
			matched += len(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: event %v: RuleSet matched %d rules, full evaluation %d", rec.name, ev["EventID"], len(got), len(want))
			}
		}
	}
	t.Logf("%d events checked, %d rule matches agree", checked, matched)
}
