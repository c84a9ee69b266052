package sigma

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const corrBase = `title: Failed logon
name: failed_logon
logsource: {product: test}
detection:
    sel: {action: fail}
    condition: sel
---
title: Process start
name: proc
logsource: {product: test}
detection:
    sel: {action: start}
    condition: sel
---
`

// correlatorFor loads the base rules plus one correlation document.
func correlatorFor(t testing.TB, corr string, opts CorrelatorOptions) (*Correlator, *RuleSet, *Rule) {
	t.Helper()
	c := &Collection{}
	c.AddBytes("corr.yml", []byte(corrBase+corr), LoadOptions{})
	if len(c.Rejects) > 0 || len(c.Correlations) != 1 {
		t.Fatalf("load: rejects %v, %d correlations", c.Rejects, len(c.Correlations))
	}
	k, err := NewCorrelator(c.Correlations, c.Rules, opts)
	if err != nil {
		t.Fatal(err)
	}
	return k, NewRuleSet(c.Rules), c.Correlations[0]
}

type corrStep struct {
	ev    MapEvent
	after time.Duration // since the first event
	fires bool
}

func runCorrelation(t testing.TB, corr string, steps []corrStep) *Correlator {
	t.Helper()
	return runHandedOver(t, corr, steps, -1)
}

// runHandedOver runs the steps as runCorrelation does; before step
// handover (when not negative) the windows move to a new correlator
// through MarshalState and RestoreState, as from one stream worker to
// another.
func runHandedOver(t testing.TB, corr string, steps []corrStep, handover int) *Correlator {
	t.Helper()
	k, rs, _ := correlatorFor(t, corr, CorrelatorOptions{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, st := range steps {
		if i == handover {
			data, err := k.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			k, rs, _ = correlatorFor(t, corr, CorrelatorOptions{})
			if err := k.RestoreState(data); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		var alerts []CorrelationAlert
		for _, r := range rs.Match(st.ev, Logsource{Product: "test"}, nil) {
			alerts = append(alerts, k.Observe(r, st.ev, t0.Add(st.after))...)
		}
		if got := len(alerts) > 0; got != st.fires {
			t.Fatalf("step %d (%v, handover before step %d): fired = %v, want %v (alerts %v)", i, st.ev, handover, got, st.fires, alerts)
		}
	}
	return k
}

// corrCases are a correlation of each type and a stream of events with
// the steps that fire it.
var corrCases = []struct {
	name, corr string
	steps      []corrStep
}{
	{"event_count", // pySigma tests/test_matching.py: the third event fires.
		"title: Brute force\nname: bf\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [src_ip]\n    timespan: 5m\n    condition: {gte: 3}\n",
		func() []corrStep {
			a := MapEvent{"action": "fail", "src_ip": "1.2.3.4"}
			b := MapEvent{"action": "fail", "src_ip": "5.6.7.8"}
			return []corrStep{
				{a, 0, false}, {b, time.Second, false}, {a, time.Minute, false}, {a, 2 * time.Minute, true},
				// Fired groups start afresh; old events fall out of the window.
				{a, 3 * time.Minute, false}, {a, 9 * time.Minute, false}, {a, 15 * time.Minute, false}, {a, 16 * time.Minute, false},
				{a, 17 * time.Minute, true},
				{MapEvent{"action": "fail"}, 18 * time.Minute, false}, // no group field: not counted
			}
		}()},
	{"value_count",
		"title: Spray\nname: spray\ncorrelation:\n    type: value_count\n    rules: [failed_logon]\n    group-by: [src_ip]\n    timespan: 10m\n    condition: {field: user, gte: 3}\n",
		func() []corrStep {
			ev := func(user string) MapEvent { return MapEvent{"action": "fail", "src_ip": "1.2.3.4", "user": user} }
			return []corrStep{
				{ev("a"), 0, false}, {ev("a"), time.Second, false}, {ev("b"), 2 * time.Second, false}, {ev("c"), 3 * time.Second, true},
			}
		}()},
	{"temporal",
		"title: Logon then start\nname: ls\ncorrelation:\n    type: temporal\n    rules: [failed_logon, proc]\n    group-by: [host]\n    timespan: 1m\n",
		func() []corrStep {
			fail := MapEvent{"action": "fail", "host": "h1"}
			start := MapEvent{"action": "start", "host": "h1"}
			other := MapEvent{"action": "start", "host": "h2"}
			return []corrStep{
				{fail, 0, false}, {other, time.Second, false}, {start, 30 * time.Second, true},
				{start, 40 * time.Second, false}, {fail, 5 * time.Minute, false},
			}
		}()},
	{"temporal_ordered",
		"title: Ordered\nname: ord\ncorrelation:\n    type: temporal_ordered\n    rules: [failed_logon, proc]\n    group-by: [host]\n    timespan: 1m\n",
		func() []corrStep {
			fail := MapEvent{"action": "fail", "host": "h1"}
			start := MapEvent{"action": "start", "host": "h1"}
			return []corrStep{
				{start, 0, false}, {fail, time.Second, false}, {start, 2 * time.Second, true},
				{fail, time.Hour, false}, {start, time.Hour + 2*time.Minute, false},
			}
		}()},
}

func TestCorrelationTypes(t *testing.T) {
	for _, tc := range corrCases {
		t.Run(tc.name, func(t *testing.T) { runCorrelation(t, tc.corr, tc.steps) })
	}
}

// TestCorrelatorStateHandover moves the windows of each type of
// correlation to a new correlator before every step of its stream: every
// step must fire as when one correlator sees the whole stream.
func TestCorrelatorStateHandover(t *testing.T) {
	for _, tc := range corrCases {
		t.Run(tc.name, func(t *testing.T) {
			for h := range tc.steps {
				runHandedOver(t, tc.corr, tc.steps, h)
			}
		})
	}
	// A changed correlation starts afresh; empty state restores nothing.
	bf := corrCases[0].corr
	k, rs, _ := correlatorFor(t, bf, CorrelatorOptions{})
	ev := MapEvent{"action": "fail", "src_ip": "1.2.3.4"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2 {
		for _, r := range rs.Match(ev, Logsource{Product: "test"}, nil) {
			k.Observe(r, ev, t0.Add(time.Duration(i)*time.Second))
		}
	}
	data, err := k.MarshalState()
	if err != nil || len(data) == 0 {
		t.Fatalf("MarshalState = %d bytes, %v", len(data), err)
	}
	changed, _, cr := correlatorFor(t, strings.Replace(bf, "timespan: 5m", "timespan: 10m", 1), CorrelatorOptions{})
	if err := changed.RestoreState(data); err != nil || changed.Groups(cr) != 0 {
		t.Errorf("a changed correlation restored %d groups (%v), want none", changed.Groups(cr), err)
	}
	same, _, cr := correlatorFor(t, bf, CorrelatorOptions{})
	if err := same.RestoreState(data); err != nil || same.Groups(cr) != 1 {
		t.Fatalf("restored %d groups (%v), want 1", same.Groups(cr), err)
	}
	if err := same.RestoreState(nil); err != nil || same.Groups(cr) != 0 {
		t.Errorf("restoring no state left %d groups (%v)", same.Groups(cr), err)
	}
	if data, err := same.MarshalState(); data != nil || err != nil {
		t.Errorf("MarshalState of an empty correlator = %q, %v; want nil", data, err)
	}
	for _, bad := range []string{`{`, `{"correlations":[{"key":"id\u0000x"}]}`} {
		if err := same.RestoreState([]byte(bad)); (err != nil) != (bad == "{") {
			t.Errorf("RestoreState(%q) = %v", bad, err)
		}
	}
}

// TestCorrelatorStateBounds: restored state keeps the correlator's bounds,
// the most recently updated groups and the latest events; a group that
// does not fit its correlation is refused.
func TestCorrelatorStateBounds(t *testing.T) {
	bf := strings.Replace(corrCases[0].corr, "gte: 3", "gte: 1000", 1)
	big, rs, _ := correlatorFor(t, bf, CorrelatorOptions{MaxGroups: 100, MaxEventsPerGroup: 20})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		ev := MapEvent{"action": "fail", "src_ip": fmt.Sprint(i % 60)}
		for _, r := range rs.Match(ev, Logsource{Product: "test"}, nil) {
			big.Observe(r, ev, t0.Add(time.Duration(i)*time.Second))
		}
	}
	data, err := big.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	small, _, cr := correlatorFor(t, bf, CorrelatorOptions{MaxGroups: 10, MaxEventsPerGroup: 2})
	if err := small.RestoreState(data); err != nil {
		t.Fatal(err)
	}
	if n := small.Groups(cr); n != 10 {
		t.Fatalf("restored %d groups, want the bound of 10", n)
	}
	again, err := small.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	var st correlatorState
	if err := json.Unmarshal(again, &st); err != nil {
		t.Fatal(err)
	}
	var last []string
	for _, g := range st.Correlations[0].Groups {
		if len(g.Times) != 2 {
			t.Errorf("group %v keeps %d times, want the bound of 2", g.Values, len(g.Times))
		}
		last = append(last, g.Values[0])
	}
	// The last ten events were for src_ip 10..19 (i = 190..199): the
	// most recently updated groups, least recent first.
	if want := []string{"10", "11", "12", "13", "14", "15", "16", "17", "18", "19"}; !slices.Equal(last, want) {
		t.Errorf("restored groups %v, want %v", last, want)
	}
	bad := strings.Replace(string(data), `"values":["`, `"values":["x","`, 1)
	if err := small.RestoreState([]byte(bad)); err == nil || small.Groups(cr) != 0 {
		t.Errorf("a group with two group-by values for one: %v, %d groups left", err, small.Groups(cr))
	}
}

// FuzzCorrelatorRestoreState: any state is restored or refused, and what
// is restored can be used and encoded again.
func FuzzCorrelatorRestoreState(f *testing.F) {
	for _, tc := range corrCases[:2] {
		k := runCorrelation(f, tc.corr, tc.steps[:2])
		data, _ := k.MarshalState()
		f.Add(data)
	}
	f.Add([]byte(`{"correlations":[{"key":"name\u0000bf\u0000Brute force","spec":"x","groups":[{"values":null}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tc := range corrCases {
			k, rs, _ := correlatorFor(t, tc.corr, CorrelatorOptions{MaxGroups: 8, MaxEventsPerGroup: 8})
			if err := k.RestoreState(data); err != nil {
				continue
			}
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for _, st := range tc.steps {
				for _, r := range rs.Match(st.ev, Logsource{Product: "test"}, nil) {
					k.Observe(r, st.ev, t0.Add(st.after))
				}
			}
			if _, err := k.MarshalState(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestCorrelatorBoundsGroups(t *testing.T) {
	corr := "title: Brute force\nname: bf\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [src_ip]\n    timespan: 1h\n    condition: {gte: 1000}\n"
	k, rs, cr := correlatorFor(t, corr, CorrelatorOptions{MaxGroups: 100, MaxEventsPerGroup: 10})
	t0 := time.Now()
	for i := range 1000 {
		ev := MapEvent{"action": "fail", "src_ip": strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune(i))}
		for _, r := range rs.Match(ev, Logsource{Product: "test"}, nil) {
			k.Observe(r, ev, t0.Add(time.Duration(i)*time.Millisecond))
		}
	}
	if n := k.Groups(cr); n != 100 {
		t.Errorf("Groups = %d, want the cap of 100", n)
	}
}

func TestCorrelationSpec(t *testing.T) {
	r, err := ParseRule([]byte("title: c\nname: c\ncorrelation:\n    type: value_count\n    rules: [a, b]\n    group-by: [u]\n    timespan: 2h\n    condition:\n        field: user\n        gt: 3\n        lte: 10\n    generate: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &CorrelationSpec{Type: ValueCount, Rules: []string{"a", "b"}, GroupBy: []string{"u"}, Timespan: 2 * time.Hour,
		Field: "user", Conditions: []CountCondition{{"gt", 3}, {"lte", 10}}, Generate: true}
	if diff := cmp.Diff(want, r.Correlation); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	for _, bad := range []string{
		"correlation: {type: nope, rules: [a], timespan: 1m, condition: {gte: 1}}",
		"correlation: {type: event_count, rules: [a], timespan: 1x, condition: {gte: 1}}",
		"correlation: {type: event_count, rules: [a], timespan: 1m}",
		"correlation: {type: value_count, rules: [a], timespan: 1m, condition: {gte: 1}}",
	} {
		if _, err := ParseRule([]byte("title: c\n" + bad + "\n")); err == nil {
			t.Errorf("ParseRule(%q) succeeded, want an error", bad)
		}
	}
	if _, err := NewCorrelator([]*Rule{r}, nil, CorrelatorOptions{}); err == nil || !strings.Contains(err.Error(), "unknown rule") {
		t.Errorf("NewCorrelator with unknown rules: err = %v", err)
	}
}

// TestCorrelationOutOfOrder: correlation windows are over event times,
// which need not arrive in order. The window ends at the latest event time
// a group has seen; a late event counts when it falls within it.
func TestCorrelationOutOfOrder(t *testing.T) {
	t.Run("event_count", func(t *testing.T) {
		corr := "title: Brute force\nname: bf\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [src_ip]\n    timespan: 5m\n    condition: {gte: 3}\n"
		a := MapEvent{"action": "fail", "src_ip": "1.2.3.4"}
		b := MapEvent{"action": "fail", "src_ip": "5.6.7.8"}
		runCorrelation(t, corr, []corrStep{
			// Spread over more than the window, newest first: the two
			// older than its start do not count.
			{a, 10 * time.Minute, false}, {a, 0, false}, {a, 4 * time.Minute, false},
			// Late but within it: counted.
			{a, 6 * time.Minute, false}, {a, 7 * time.Minute, true},
			// Within the window, newest first: fires on the third.
			{b, 4 * time.Minute, false}, {b, 2 * time.Minute, false}, {b, 0, true},
		})
	})
	t.Run("value_count", func(t *testing.T) {
		corr := "title: Spray\nname: spray\ncorrelation:\n    type: value_count\n    rules: [failed_logon]\n    group-by: [src_ip]\n    timespan: 10m\n    condition: {field: user, gte: 3}\n"
		ev := func(user string) MapEvent { return MapEvent{"action": "fail", "src_ip": "1.2.3.4", "user": user} }
		runCorrelation(t, corr, []corrStep{
			{ev("u1"), 20 * time.Minute, false}, {ev("u2"), 5 * time.Minute, false}, // u2: before the window
			{ev("u3"), 12 * time.Minute, false}, {ev("u4"), 15 * time.Minute, true},
		})
	})
	t.Run("temporal", func(t *testing.T) {
		corr := "title: Logon then start\nname: ls\ncorrelation:\n    type: temporal\n    rules: [failed_logon, proc]\n    group-by: [host]\n    timespan: 1m\n"
		fail := MapEvent{"action": "fail", "host": "h1"}
		start := MapEvent{"action": "start", "host": "h1"}
		runCorrelation(t, corr, []corrStep{
			{start, 5 * time.Minute, false}, {fail, 0, false}, // four minutes apart, arriving in reverse
			{fail, 4*time.Minute + 30*time.Second, true}, // late, within a minute of the start
		})
	})
	t.Run("temporal_ordered", func(t *testing.T) {
		corr := "title: Ordered\nname: ord\ncorrelation:\n    type: temporal_ordered\n    rules: [failed_logon, proc]\n    group-by: [host]\n    timespan: 1m\n"
		fail := MapEvent{"action": "fail", "host": "h1"}
		start := MapEvent{"action": "start", "host": "h1"}
		runCorrelation(t, corr, []corrStep{
			{fail, 10 * time.Second, false}, {start, 5 * time.Second, false}, // the start happened before the failure
			{fail, 0, true}, // a failure before the start, arriving after it
			// After the alert the group starts afresh.
			{start, 20 * time.Second, false}, {fail, 30 * time.Second, false},
			{start, 25 * time.Second, false}, // before the failure
			{start, 40 * time.Second, true},
		})
	})
	t.Run("first and last", func(t *testing.T) {
		corr := "title: Brute force\nname: bf\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [src_ip]\n    timespan: 5m\n    condition: {gte: 3}\n"
		k, rs, _ := correlatorFor(t, corr, CorrelatorOptions{})
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		ev := MapEvent{"action": "fail", "src_ip": "1.2.3.4"}
		var got []CorrelationAlert
		for _, at := range []time.Duration{2 * time.Minute, 3 * time.Minute, time.Minute} {
			for _, r := range rs.Match(ev, Logsource{Product: "test"}, nil) {
				got = append(got, k.Observe(r, ev, t0.Add(at))...)
			}
		}
		if len(got) != 1 || !got[0].First.Equal(t0.Add(time.Minute)) || !got[0].Last.Equal(t0.Add(3*time.Minute)) {
			t.Errorf("alerts = %+v, want one from 00:01 to 00:03", got)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		// Shuffled times within the window keep at most MaxEventsPerGroup,
		// the newest, in order.
		corr := "title: Brute force\nname: bf\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [src_ip]\n    timespan: 1h\n    condition: {gte: 1000}\n"
		k, rs, _ := correlatorFor(t, corr, CorrelatorOptions{MaxEventsPerGroup: 10})
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		ev := MapEvent{"action": "fail", "src_ip": "1.2.3.4"}
		for i := range 100 {
			at := time.Duration((i*37)%100) * time.Second
			for _, r := range rs.Match(ev, Logsource{Product: "test"}, nil) {
				if a := k.Observe(r, ev, t0.Add(at)); len(a) != 0 {
					t.Fatalf("fired: %+v", a)
				}
			}
		}
		g := k.corrs[0].lru.Front().Value.(*groupState)
		if len(g.times) != 10 || !slicesSorted(g.times) {
			t.Errorf("kept %d times %v, want 10 in order", len(g.times), g.times)
		}
	})
}

func slicesSorted(ts []time.Time) bool {
	for i := 1; i < len(ts); i++ {
		if ts[i].Before(ts[i-1]) {
			return false
		}
	}
	return true
}

// TestObserveValueAgreesWithScan checks the value_count bookkeeping (a
// time-ordered queue with stale entries) against the plain model it
// replaced: a map scanned on every event, expired values deleted, the
// oldest value evicted when the group is full. Values come in a random
// order, with repeats, and times out of order.
func TestObserveValueAgreesWithScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for round := range 200 {
		max := 1 + rng.IntN(8)
		if round%4 == 0 {
			max = 100 // never full
		}
		span := time.Duration(1+rng.IntN(20)) * time.Second
		var g groupState
		model := map[string]time.Time{}
		var last time.Time
		for i := range 300 {
			at := base.Add(time.Duration(i/2+rng.IntN(10))*time.Second + time.Duration(i)) // no two alike
			if !last.IsZero() && at.Before(last.Add(-span)) {
				continue // the correlator drops events older than the window
			}
			if at.After(last) {
				last = at
			}
			since := last.Add(-span)
			v := fmt.Sprintf("v%d", rng.IntN(12))
			scanModel(model, v, at, since, max)
			g.observeValue(v, at, since, max)
			if len(g.seen) != len(model) {
				t.Fatalf("round %d event %d: %d values counted, the model has %d", round, i, len(g.seen), len(model))
			}
			for val, seen := range model {
				got, ok := g.seen[val]
				if !ok {
					t.Fatalf("round %d event %d: value %s missing", round, i, val)
				}
				if !got.Equal(seen) {
					t.Fatalf("round %d event %d: value %s at %v, model %v", round, i, val, got, seen)
				}
			}
			if len(g.order) > 2*len(g.seen)+16 {
				t.Fatalf("round %d: %d queued observations for %d values", round, len(g.order), len(g.seen))
			}
		}
	}
}

// scanModel is the value_count bookkeeping observeValue replaced: every
// event scans every value.
func scanModel(model map[string]time.Time, v string, at, since time.Time, max int) {
	for val, seen := range model {
		if seen.Before(since) {
			delete(model, val)
		}
	}
	if seen, ok := model[v]; !ok {
		if len(model) >= max {
			var oldest string
			var ot time.Time
			for k, s := range model {
				if oldest == "" || s.Before(ot) {
					oldest, ot = k, s
				}
			}
			delete(model, oldest)
		}
		model[v] = at
	} else if at.After(seen) {
		model[v] = at
	}
}

// BenchmarkValueCount measures a value_count group under a password
// spray: a new user name every 10 ms over a 5-minute window, so about
// 30,000 names are live and the group holds its cap of 10,000; the scan
// of every value per event, which it replaced, runs beside it.
func BenchmarkValueCount(b *testing.B) {
	const max = 10000
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	names := make([]string, 50000)
	for i := range names {
		names[i] = fmt.Sprintf("user%05d", i)
	}
	run := func(b *testing.B, observe func(v string, at, since time.Time)) {
		for i := 0; b.Loop(); i++ {
			at := base.Add(time.Duration(i) * 10 * time.Millisecond)
			observe(names[i%len(names)], at, at.Add(-5*time.Minute))
		}
	}
	b.Run("queue", func(b *testing.B) {
		var g groupState
		run(b, func(v string, at, since time.Time) { g.observeValue(v, at, since, max) })
	})
	b.Run("scan", func(b *testing.B) {
		model := map[string]time.Time{}
		run(b, func(v string, at, since time.Time) { scanModel(model, v, at, since, max) })
	})
}

// TestOrderedSteps checks the ordered chain search against trying every
// combination of times, on random times of three rules.
func TestOrderedSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	span := 10 * time.Second
	for round := range 2000 {
		steps := make([][]time.Time, 3)
		for i := range steps {
			for range rng.IntN(4) {
				steps[i] = insertTime(steps[i], base.Add(time.Duration(rng.IntN(30))*time.Second))
			}
		}
		// Brute force: the longest prefix of rules with some ordered
		// choice of times within span of the first.
		want := 0
		for _, a := range steps[0] {
			want = max(want, 1)
			for _, b := range steps[1] {
				if b.Before(a) || b.Sub(a) > span {
					continue
				}
				want = max(want, 2)
				for _, c := range steps[2] {
					if !c.Before(b) && c.Sub(a) <= span {
						want = 3
					}
				}
			}
		}
		if got := orderedSteps(steps, span); got != want {
			t.Fatalf("round %d: orderedSteps(%v) = %d, want %d", round, steps, got, want)
		}
	}
}

// TestCorrelatorAdopt: a correlator built from reloaded rules takes over
// the windows of the correlations that did not change, as copies; a
// changed correlation starts afresh.
func TestCorrelatorAdopt(t *testing.T) {
	corr := "title: Brute force\nname: bf\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [src_ip]\n    timespan: 5m\n    condition: {gte: 3}\n"
	ev := MapEvent{"action": "fail", "src_ip": "1.2.3.4"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	observe := func(k *Correlator, rs *RuleSet, at time.Duration) int {
		n := 0
		for _, r := range rs.Match(ev, Logsource{Product: "test"}, nil) {
			n += len(k.Observe(r, ev, t0.Add(at)))
		}
		return n
	}
	old, oldRS, _ := correlatorFor(t, corr, CorrelatorOptions{})
	observe(old, oldRS, 0)
	observe(old, oldRS, time.Minute)

	same, sameRS, _ := correlatorFor(t, corr, CorrelatorOptions{}) // the rules reloaded
	same.Adopt(old)
	if n := observe(same, sameRS, 2*time.Minute); n != 1 {
		t.Errorf("third failure after a reload = %d alerts, want 1 (the two before carried over)", n)
	}
	// A copy: the old correlator, still used by a batch in flight, is
	// not affected by what the new one saw (it fired and started afresh).
	if n := observe(old, oldRS, 2*time.Minute); n != 1 {
		t.Errorf("third failure on the old correlator = %d alerts, want 1", n)
	}

	changed, changedRS, _ := correlatorFor(t, strings.Replace(corr, "timespan: 5m", "timespan: 10m", 1), CorrelatorOptions{})
	old2, old2RS, _ := correlatorFor(t, corr, CorrelatorOptions{})
	observe(old2, old2RS, 0)
	observe(old2, old2RS, time.Minute)
	changed.Adopt(old2)
	if n := observe(changed, changedRS, 2*time.Minute); n != 0 {
		t.Errorf("third failure after the correlation changed = %d alerts, want 0 (it starts afresh)", n)
	}
}
