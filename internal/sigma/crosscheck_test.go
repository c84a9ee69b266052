package sigma

import (
	"context"
	"os"
	"testing"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
)

// TestCrossCheckSigmaGo compares this engine's matches with sigma-go's on
// every sixth OTRF event, for the Windows rules sigma-go can parse. The one
// known divergence is "Field: null": sigma-go treats it as true for a
// present field, where the specification (and pySigma) match only absent
// or null fields; any other difference fails. It takes tens of seconds,
// so it runs only with BULWARK_SIGMA_CROSSCHECK=1.
func TestCrossCheckSigmaGo(t *testing.T) {
	if os.Getenv("BULWARK_SIGMA_CROSSCHECK") != "1" {
		t.Skip("set BULWARK_SIGMA_CROSSCHECK=1 to compare with sigma-go (slow)")
	}
	rules := windowsRules(t)
	byID := map[string]*CompiledRule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	rs := NewRuleSet(rules)
	theirRules := sigmaGoWindowsRulesT(t)
	bundles := map[Logsource]evaluator.RuleEvaluatorBundle{}
	ctx := context.Background()
	events, diffs := 0, 0
	for _, rec := range loadOTRF(t) {
		for i, ev := range rec.events {
			ls, ok := WindowsEventLogsource(ev)
			if !ok || i%6 != 0 {
				continue
			}
			b, ok := bundles[ls]
			if !ok {
				var fit []sigmago.Rule
				for _, r := range theirRules {
					if Fits(Logsource{r.Logsource.Product, r.Logsource.Category, r.Logsource.Service}, ls) {
						fit = append(fit, r)
					}
				}
				b = evaluator.ForRules(fit)
				bundles[ls] = b
			}
			theirs := map[string]bool{}
			res, _ := b.Matches(ctx, map[string]any(ev))
			for _, r := range res {
				if r.Match {
					theirs[r.Rule.ID] = true
				}
			}
			ours := map[string]bool{}
			for _, r := range rs.Match(ev, ls, nil) {
				ours[r.ID] = true
			}
			events++
			for id := range union2(ours, theirs) {
				if ours[id] == theirs[id] {
					continue
				}
				diffs++
				if r := byID[id]; r == nil || !usesNull(r) {
					t.Errorf("%s event %d: rule %s: ours %v, sigma-go %v", rec.name, i, id, ours[id], theirs[id])
				}
			}
		}
	}
	t.Logf("%d events compared, %d differences, all from null values", events, diffs)
}

func union2(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// usesNull reports whether a rule has a "Field: null" value.
func usesNull(r *CompiledRule) bool {
	found := false
	var walk func(n cnode)
	walk = func(n cnode) {
		switch x := n.(type) {
		case andNode:
			for _, c := range x {
				walk(c)
			}
		case orNode:
			for _, c := range x {
				walk(c)
			}
		case notNode:
			walk(x.x)
		case selNode:
			found = found || selUsesNull(x.s)
		case ofNode:
			for _, s := range x.sels {
				found = found || selUsesNull(s)
			}
		}
	}
	walk(r.cond)
	return found
}

func selUsesNull(s *selection) bool {
	for _, b := range s.branches {
		for _, fm := range b {
			for _, vm := range fm.vals {
				if vm.op == opNull {
					return true
				}
			}
		}
	}
	return false
}
