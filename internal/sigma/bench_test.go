package sigma

import (
	"context"
	"sync"
	"testing"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
)

// benchEvent is an OTRF event with its derived logsource.
type benchEvent struct {
	ev MapEvent
	ls Logsource
}

func benchEvents(b *testing.B) []benchEvent {
	var out []benchEvent
	for _, rec := range loadOTRF(b) {
		for _, ev := range rec.events {
			if ls, ok := WindowsEventLogsource(ev); ok {
				out = append(out, benchEvent{ev, ls})
			}
		}
	}
	return out
}

// BenchmarkMatch measures this engine over the SigmaHQ Windows rules and
// the OTRF Windows recordings; compare with BenchmarkSigmaGo in the same
// run: go test -run '^$' -bench 'Match$|SigmaGo' ./internal/sigma/
func BenchmarkMatch(b *testing.B) {
	rs := NewRuleSet(windowsRules(b))
	events := benchEvents(b)
	m := rs.NewMatcher()
	for _, e := range events { // build the logsource indexes up front
		m.Match(e.ev, e.ls, nil)
	}
	pc := Logsource{Product: "windows", Category: "process_creation", Service: "sysmon"}
	b.Logf("%d rules; process_creation index: %+v", rs.Len(), rs.Stats(pc))
	b.Run("prefilter", func(b *testing.B) {
		var dst []*Rule
		matches := 0
		m.evaluated = 0
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e := &events[i%len(events)]
			dst = m.Match(e.ev, e.ls, dst[:0])
			matches += len(dst)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(matches)/float64(b.N), "matches/event")
		b.ReportMetric(float64(m.evaluated)/float64(b.N), "evaluated/event")
	})
	b.Run("no-prefilter", func(b *testing.B) {
		var dst []*Rule
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e := &events[i%len(events)]
			m.ctx.reset(e.ev)
			dst = m.evalLogsource(foldLogsource(e.ls), dst[:0])
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			m := rs.NewMatcher()
			var dst []*Rule
			i := 0
			for pb.Next() {
				e := &events[i%len(events)]
				dst = m.Match(e.ev, e.ls, dst[:0])
				i++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

var (
	sigmaGoOnce  sync.Once
	sigmaGoRules []sigmago.Rule
	sigmaGoFails int
)

// sigmaGoWindowsRules parses the same Windows rules with sigma-go; rules
// it cannot parse are left out of its side of the comparison.
func sigmaGoWindowsRules(b *testing.B) []sigmago.Rule { return sigmaGoWindowsRulesT(b) }

func sigmaGoWindowsRulesT(b testing.TB) []sigmago.Rule {
	ours := windowsRules(b)
	sigmaGoOnce.Do(func() {
		want := map[string]bool{}
		for _, r := range ours {
			want[r.Source] = true
		}
		for name, data := range sigmaHQFiles(b) {
			if !want[name] {
				continue
			}
			r, err := sigmago.ParseRule(data)
			if err != nil {
				sigmaGoFails++
				continue
			}
			sigmaGoRules = append(sigmaGoRules, r)
		}
	})
	return sigmaGoRules
}

// BenchmarkSigmaGo is the baseline: github.com/bradleyjkemp/sigma-go
// v0.6.6 over the same rules and events. "all-rules" is its bundle API as
// documented (every rule per event); "by-logsource" gives it the same
// logsource index this engine has, so the comparison also shows what the
// prefilter and compilation add beyond indexing.
func BenchmarkSigmaGo(b *testing.B) {
	rules := sigmaGoWindowsRules(b)
	events := benchEvents(b)
	b.Logf("sigma-go parsed %d Windows rules, rejected %d", len(rules), sigmaGoFails)
	ctx := context.Background()
	b.Run("all-rules", func(b *testing.B) {
		bundle := evaluator.ForRules(rules)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e := &events[i%len(events)]
			if _, err := bundle.Matches(ctx, map[string]any(e.ev)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("by-logsource", func(b *testing.B) {
		bundles := map[Logsource]evaluator.RuleEvaluatorBundle{}
		for _, e := range events {
			if _, ok := bundles[e.ls]; ok {
				continue
			}
			var fit []sigmago.Rule
			for _, r := range rules {
				ls := Logsource{Product: r.Logsource.Product, Category: r.Logsource.Category, Service: r.Logsource.Service}
				if Fits(ls, e.ls) {
					fit = append(fit, r)
				}
			}
			bundles[e.ls] = evaluator.ForRules(fit)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e := &events[i%len(events)]
			bundle := bundles[e.ls]
			if _, err := bundle.Matches(ctx, map[string]any(e.ev)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// sigmaHQFiles returns the raw rule files of the tarball by path.
func sigmaHQFiles(b testing.TB) map[string][]byte {
	out := map[string][]byte{}
	forEachSigmaHQFile(b, func(name string, data []byte) { out[name] = data })
	return out
}
