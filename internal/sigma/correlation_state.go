package sigma

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// correlatorState is the encoded form of a Correlator's windows
// (MarshalState), one entry per correlation that holds groups.
type correlatorState struct {
	Correlations []correlationState `json:"correlations"`
}

// correlationState is one correlation's windows: its rule's key and its
// specification, which must be the same where the state is restored, and
// its groups from the least recently updated to the most.
type correlationState struct {
	Key    string      `json:"key"`
	Spec   string      `json:"spec"`
	Groups []groupJSON `json:"groups"`
}

// groupJSON is a group's state. A value_count group's values are kept
// with the time each was last seen; the time order is rebuilt from them.
type groupJSON struct {
	Values []string             `json:"values"`
	First  time.Time            `json:"first"`
	Last   time.Time            `json:"last"`
	Times  []time.Time          `json:"times,omitempty"`
	Seen   map[string]time.Time `json:"seen,omitempty"`
	RuleAt []time.Time          `json:"rule_at,omitempty"`
	Steps  [][]time.Time        `json:"steps,omitempty"`
}

// specText is a correlation specification as compared across processes.
func specText(s *CorrelationSpec) string {
	b, err := json.Marshal(s)
	if err != nil { // plain data: cannot happen
		panic(err)
	}
	return string(b)
}

// MarshalState encodes the correlator's windows so that a correlator of
// the same rules in another process can go on from them (RestoreState):
// the stream worker that gives up a partition hands its agencies' windows
// to the next holder. It returns nil when no correlation holds a group.
func (c *Correlator) MarshalState() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var st correlatorState
	for _, k := range c.corrs {
		if len(k.groups) == 0 {
			continue
		}
		cs := correlationState{Key: correlationKey(k.rule), Spec: specText(k.spec)}
		for e := k.lru.Back(); e != nil; e = e.Prev() {
			g := e.Value.(*groupState)
			cs.Groups = append(cs.Groups, groupJSON{Values: g.values, First: g.first, Last: g.last,
				Times: g.times, Seen: g.seen, RuleAt: g.ruleAt, Steps: g.steps})
		}
		st.Correlations = append(st.Correlations, cs)
	}
	if len(st.Correlations) == 0 {
		return nil, nil
	}
	return json.Marshal(st)
}

// RestoreState replaces the correlator's windows with those MarshalState
// encoded (nil or empty data: none). Like Adopt, it restores only the
// correlations this correlator has unchanged, the same rule with the same
// specification; the others start empty. The bounds apply to what is
// restored (the most recently updated groups are kept). A group that does
// not fit its correlation (the wrong number of group-by values or rules)
// makes it fail, and the correlator is then left empty.
func (c *Correlator) RestoreState(data []byte) error {
	var st correlatorState
	if len(data) > 0 {
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("sigma: correlation state: %w", err)
		}
	}
	byKey := map[string]*correlationState{}
	for i := range st.Correlations {
		byKey[st.Correlations[i].Key] = &st.Correlations[i]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.corrs {
		k.reset()
	}
	for _, k := range c.corrs {
		cs := byKey[correlationKey(k.rule)]
		if cs == nil || cs.Spec != specText(k.spec) {
			continue
		}
		for _, gj := range cs.Groups {
			g, err := c.restoreGroup(k.spec, gj)
			if err != nil {
				for _, k := range c.corrs {
					k.reset()
				}
				return fmt.Errorf("sigma: correlation state of %q: %w", k.rule.Title, err)
			}
			if e, ok := k.groups[g.key]; ok { // a key twice: the later wins
				k.lru.Remove(e)
			}
			k.groups[g.key] = k.lru.PushFront(g)
			k.evictTo(c.opts.MaxGroups)
		}
	}
	return nil
}

// restoreGroup checks an encoded group against its specification and
// rebuilds its state within the correlator's bounds.
func (c *Correlator) restoreGroup(spec *CorrelationSpec, gj groupJSON) (*groupState, error) {
	if len(gj.Values) != len(spec.GroupBy) {
		return nil, fmt.Errorf("a group has %d group-by values, the rule %d", len(gj.Values), len(spec.GroupBy))
	}
	if (gj.RuleAt != nil && len(gj.RuleAt) != len(spec.Rules)) || (gj.Steps != nil && len(gj.Steps) != len(spec.Rules)) {
		return nil, fmt.Errorf("a group's rule times do not fit the rule's %d rules", len(spec.Rules))
	}
	sorted := func(ts []time.Time) []time.Time {
		ts = slices.Clone(ts)
		slices.SortFunc(ts, time.Time.Compare)
		return ts[max(len(ts)-c.opts.MaxEventsPerGroup, 0):]
	}
	g := &groupState{key: strings.Join(gj.Values, "\x00"), values: gj.Values, first: gj.First, last: gj.Last,
		times: sorted(gj.Times), ruleAt: gj.RuleAt}
	if gj.Steps != nil {
		g.steps = make([][]time.Time, len(gj.Steps))
		for i, ts := range gj.Steps {
			g.steps[i] = sorted(ts)
		}
	}
	if len(gj.Seen) > 0 {
		g.seen = make(map[string]time.Time, len(gj.Seen))
		for v, t := range gj.Seen {
			g.order = append(g.order, seenAt{t, v})
		}
		slices.SortFunc(g.order, func(a, b seenAt) int { return a.t.Compare(b.t) })
		g.order = g.order[max(len(g.order)-c.opts.MaxEventsPerGroup, 0):]
		for _, o := range g.order {
			g.seen[o.v] = o.t
		}
	}
	return g, nil
}
