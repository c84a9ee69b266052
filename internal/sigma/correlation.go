package sigma

import (
	"container/list"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// Default bounds of correlation state.
const (
	DefaultMaxGroups         = 10_000
	DefaultMaxEventsPerGroup = 10_000
)

// CorrelatorOptions bound the memory of a Correlator and map fields.
type CorrelatorOptions struct {
	// MaxGroups caps the group-by groups kept per correlation rule; the
	// least recently updated group is evicted beyond it. 0: default.
	MaxGroups int
	// MaxEventsPerGroup caps the timestamps (event_count) or distinct
	// values (value_count) kept per group; the oldest go first. 0: default.
	MaxEventsPerGroup int
	// FieldMap renames group-by and value fields like the detection rules'
	// fields, using the referenced rule's logsource.
	FieldMap FieldMapper
}

// CorrelationAlert is a correlation rule that fired for one group.
type CorrelationAlert struct {
	Rule  *Rule
	Group []string // the group-by values, in GroupBy order
	Count int64    // events, distinct values, or distinct rules seen
	First time.Time
	Last  time.Time
}

// Correlator evaluates Sigma v2 correlation rules over the stream of
// detection matches. Conditions are checked when a matching event arrives;
// a group that fires starts afresh, so one burst raises one alert. It is
// safe for concurrent use (one mutex: correlation state is shared).
//
// Times are the events' own, which need not arrive in order (a batch from
// a sensor that buffered, files hunted out of order). A group's window
// ends at the latest event time it has seen: an event that arrives late
// but within the window counts where it belongs; one older than the
// window's start no longer counts (its companions were already let go,
// which keeps the state bounded); one more than the timespan after the
// latest starts the group afresh.
type Correlator struct {
	mu     sync.Mutex
	opts   CorrelatorOptions
	corrs  []*correlation
	byRule map[*Rule][]ref
	quiet  map[*Rule]bool
}

// ref is a correlation that references a rule, at position idx of its
// Rules list.
type ref struct {
	c   *correlation
	idx int
}

type correlation struct {
	rule   *Rule
	spec   *CorrelationSpec
	groups map[string]*list.Element // of *groupState
	lru    *list.List
}

type groupState struct {
	key    string
	values []string
	first  time.Time            // the earliest event time counted
	last   time.Time            // the latest event time seen: the window ends there
	times  []time.Time          // event_count, in time order
	seen   map[string]time.Time // value_count: value -> last seen
	order  []seenAt             // value_count: (time, value) in time order, stale entries included
	ruleAt []time.Time          // temporal: last match per rule
	steps  [][]time.Time        // temporal_ordered: per rule, its match times in the window, in time order
}

// NewCorrelator prepares the correlation rules (Rule.Correlation set) over
// the detection rules they reference by name or id. It fails when a
// correlation references an unknown rule.
func NewCorrelator(correlations []*Rule, rules []*CompiledRule, opts CorrelatorOptions) (*Correlator, error) {
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	if opts.MaxEventsPerGroup <= 0 {
		opts.MaxEventsPerGroup = DefaultMaxEventsPerGroup
	}
	byName := map[string]*Rule{}
	for _, r := range rules {
		if r.Name != "" {
			byName[r.Name] = r.Rule
		}
		if r.ID != "" {
			byName[r.ID] = r.Rule
		}
	}
	c := &Correlator{opts: opts, byRule: map[*Rule][]ref{}, quiet: map[*Rule]bool{}}
	for _, cr := range correlations {
		if cr.Correlation == nil {
			return nil, fmt.Errorf("sigma: correlator: rule %q is not a correlation rule", cr.Title)
		}
		k := &correlation{rule: cr, spec: cr.Correlation}
		k.reset()
		for i, name := range cr.Correlation.Rules {
			r, ok := byName[name]
			if !ok {
				return nil, fmt.Errorf("sigma: correlator: rule %q references unknown rule %q", cr.Title, name)
			}
			c.byRule[r] = append(c.byRule[r], ref{k, i})
			if !cr.Correlation.Generate {
				c.quiet[r] = true
			}
		}
		c.corrs = append(c.corrs, k)
	}
	return c, nil
}

// Generates reports whether a detection rule's own matches should raise
// alerts: false when correlation rules use it with generate: false.
func (c *Correlator) Generates(r *Rule) bool { return !c.quiet[r] }

// Observe records that rule r matched ev at time t and returns the
// correlation alerts this completes.
func (c *Correlator) Observe(r *Rule, ev Event, t time.Time) []CorrelationAlert {
	refs := c.byRule[r]
	if len(refs) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []CorrelationAlert
	for _, rf := range refs {
		if a, ok := c.observe(rf, r, ev, t); ok {
			out = append(out, a)
		}
	}
	return out
}

func (c *Correlator) field(r *Rule, name string) string {
	if c.opts.FieldMap != nil {
		return c.opts.FieldMap(r.Logsource, name)
	}
	return name
}

// fieldText returns the text of a field for grouping, and whether it has
// a scalar value. The text is a copy: correlation windows outlive the
// event, whose storage the caller may reuse (detect releases the decoding
// storage of events that raised no alert, including those that only fed
// a correlation).
func fieldText(ev Event, name string) (string, bool) {
	v, ok := ev.Field(name)
	if !ok || v.Kind == KindNull || v.Kind == KindList {
		return "", false
	}
	return string(appendText(nil, v)), true
}

func (c *Correlator) observe(rf ref, r *Rule, ev Event, t time.Time) (CorrelationAlert, bool) {
	k, spec := rf.c, rf.c.spec
	values := make([]string, len(spec.GroupBy))
	for i, g := range spec.GroupBy {
		name := g
		if al, ok := spec.Aliases[g]; ok {
			if n, ok := al[r.Name]; ok {
				name = n
			} else if n, ok := al[r.ID]; ok {
				name = n
			}
		}
		v, ok := fieldText(ev, c.field(r, name))
		if !ok {
			return CorrelationAlert{}, false // events without the group fields do not count
		}
		values[i] = v
	}
	key := strings.Join(values, "\x00")
	g := c.group(k, key, values, t)
	if t.Before(g.last.Add(-spec.Timespan)) {
		return CorrelationAlert{}, false // older than the group's window: too late to count
	}
	if t.After(g.last) {
		g.last = t
	}
	if t.Before(g.first) {
		g.first = t
	}
	since := g.last.Add(-spec.Timespan)
	var count int64
	switch spec.Type {
	case EventCount:
		g.times = insertTime(g.times, t)
		g.times = pruneTimes(g.times, since)
		if len(g.times) > c.opts.MaxEventsPerGroup {
			g.times = g.times[len(g.times)-c.opts.MaxEventsPerGroup:]
		}
		count = int64(len(g.times))
	case ValueCount:
		v, ok := fieldText(ev, c.field(r, spec.Field))
		if !ok {
			return CorrelationAlert{}, false
		}
		g.observeValue(v, t, since, c.opts.MaxEventsPerGroup)
		count = int64(len(g.seen))
	case Temporal:
		if g.ruleAt == nil {
			g.ruleAt = make([]time.Time, len(spec.Rules))
		}
		if t.After(g.ruleAt[rf.idx]) {
			g.ruleAt[rf.idx] = t
		}
		for _, at := range g.ruleAt {
			if !at.IsZero() && !at.Before(since) {
				count++
			}
		}
	case TemporalOrdered:
		// The rules must have matched in their order, by event time,
		// within the timespan: each rule's times in the window are kept,
		// so a step that arrives after the next one still counts.
		if g.steps == nil {
			g.steps = make([][]time.Time, len(spec.Rules))
		}
		ts := insertTime(g.steps[rf.idx], t)
		if len(ts) > c.opts.MaxEventsPerGroup {
			ts = ts[len(ts)-c.opts.MaxEventsPerGroup:]
		}
		g.steps[rf.idx] = ts
		for i := range g.steps {
			g.steps[i] = pruneTimes(g.steps[i], since)
		}
		count = int64(orderedSteps(g.steps, spec.Timespan))
	}
	for _, cond := range spec.Conditions {
		if !cond.Holds(count) {
			return CorrelationAlert{}, false
		}
	}
	a := CorrelationAlert{Rule: k.rule, Group: values, Count: count, First: g.first, Last: g.last}
	// Start the group afresh so that one burst raises one alert.
	k.lru.Remove(k.groups[key])
	delete(k.groups, key)
	return a, true
}

// group returns the state of a group, creating it and evicting the least
// recently updated group beyond MaxGroups. A group whose latest event is
// more than the timespan before t starts afresh.
func (c *Correlator) group(k *correlation, key string, values []string, t time.Time) *groupState {
	if e, ok := k.groups[key]; ok {
		g := e.Value.(*groupState)
		if t.Sub(g.last) > k.spec.Timespan {
			*g = groupState{key: key, values: values, first: t, last: t}
		}
		k.lru.MoveToFront(e)
		return g
	}
	k.evictTo(c.opts.MaxGroups - 1)
	g := &groupState{key: key, values: values, first: t, last: t}
	k.groups[key] = k.lru.PushFront(g)
	return g
}

// reset drops every group of the correlation.
func (k *correlation) reset() { k.groups, k.lru = map[string]*list.Element{}, list.New() }

// evictTo drops the least recently updated groups beyond n.
func (k *correlation) evictTo(n int) {
	for len(k.groups) > n {
		old := k.lru.Back()
		delete(k.groups, old.Value.(*groupState).key)
		k.lru.Remove(old)
	}
}

// Adopt takes over a copy of from's state for the correlations this
// correlator has unchanged: the same rule (by id, else by name and title)
// with the same specification. A reload of the rules (one uploaded,
// enabled or disabled) then keeps the windows of the correlations it did
// not touch; a changed correlation starts afresh. From may go on being
// used meanwhile; what it sees after the copy is not carried over.
func (c *Correlator) Adopt(from *Correlator) {
	if from == nil || from == c {
		return
	}
	from.mu.Lock()
	defer from.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	old := map[string]*correlation{}
	for _, k := range from.corrs {
		old[correlationKey(k.rule)] = k
	}
	for _, k := range c.corrs {
		o := old[correlationKey(k.rule)]
		if o == nil || !reflect.DeepEqual(o.spec, k.spec) {
			continue
		}
		k.reset()
		for e := o.lru.Front(); e != nil && len(k.groups) < c.opts.MaxGroups; e = e.Next() {
			g := e.Value.(*groupState).clone()
			k.groups[g.key] = k.lru.PushBack(g)
		}
	}
}

func correlationKey(r *Rule) string {
	if r.ID != "" {
		return "id\x00" + r.ID
	}
	return "name\x00" + r.Name + "\x00" + r.Title
}

// clone copies a group's state, sharing nothing that either side writes.
func (g *groupState) clone() *groupState {
	n := *g
	n.values = slices.Clone(g.values)
	n.times = slices.Clone(g.times)
	n.seen = maps.Clone(g.seen)
	n.order = slices.Clone(g.order)
	n.ruleAt = slices.Clone(g.ruleAt)
	if g.steps != nil {
		n.steps = make([][]time.Time, len(g.steps))
		for i, ts := range g.steps {
			n.steps[i] = slices.Clone(ts)
		}
	}
	return &n
}

// Groups returns the number of groups held for a correlation rule.
func (c *Correlator) Groups(r *Rule) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.corrs {
		if k.rule == r {
			return len(k.groups)
		}
	}
	return 0
}

// insertTime adds t to the sorted ts, after any equal times.
func insertTime(ts []time.Time, t time.Time) []time.Time {
	i := len(ts)
	for i > 0 && ts[i-1].After(t) { // events mostly come in order: look from the end
		i--
	}
	return slices.Insert(ts, i, t)
}

// orderedSteps returns how many of the rules, from the first, matched in
// their order within span: the longest chain t0 <= t1 <= ... with ti a
// time of rule i and every ti at most span after t0. From each start, the
// earliest next time is the best choice, so one pass per start suffices.
func orderedSteps(steps [][]time.Time, span time.Duration) int {
	best := 0
	for _, t0 := range steps[0] {
		n, cur := 1, t0
		for _, ts := range steps[1:] {
			j, _ := slices.BinarySearchFunc(ts, cur, func(a, b time.Time) int { return a.Compare(b) })
			if j == len(ts) || ts[j].Sub(t0) > span {
				break
			}
			cur = ts[j]
			n++
		}
		if n > best {
			best = n
			if best == len(steps) {
				break
			}
		}
	}
	return best
}

// pruneTimes drops the timestamps before since, keeping order. Nothing is
// copied when nothing expired, the common case of a busy group.
func pruneTimes(ts []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(since) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}

// seenAt is one observation of a value_count group: the value v was seen
// at t. The group's order holds them sorted by time; an entry whose time
// is no longer the value's latest (seen[v]) is stale and skipped.
type seenAt struct {
	t time.Time
	v string
}

// observeValue records value v seen at t in a value_count group whose
// window starts at since, keeping at most max distinct values (the
// oldest go first). Expired values leave from the front of the time
// order, so an event costs the values that expire, not a pass over all
// of them.
func (g *groupState) observeValue(v string, t, since time.Time, max int) {
	if g.seen == nil {
		g.seen = map[string]time.Time{}
	}
	for len(g.order) > 0 && g.order[0].t.Before(since) {
		g.dropFront()
	}
	if at, ok := g.seen[v]; ok && !t.After(at) {
		return // an earlier sighting of a value already counted
	}
	if _, ok := g.seen[v]; !ok {
		for len(g.seen) >= max && len(g.order) > 0 {
			g.dropFront()
		}
	}
	g.seen[v] = t
	i := len(g.order)
	for i > 0 && g.order[i-1].t.After(t) { // mostly in order: look from the end
		i--
	}
	g.order = slices.Insert(g.order, i, seenAt{t, v})
	// Stale entries are bounded: past twice the live values, the order is
	// rebuilt from them.
	if len(g.order) > 2*len(g.seen)+16 {
		g.order = g.order[:0]
		for val, at := range g.seen {
			g.order = append(g.order, seenAt{at, val})
		}
		slices.SortFunc(g.order, func(a, b seenAt) int { return a.t.Compare(b.t) })
	}
}

// dropFront removes the oldest observation, and its value when the
// observation is the value's latest.
func (g *groupState) dropFront() {
	e := g.order[0]
	g.order[0] = seenAt{}
	g.order = g.order[1:]
	if at, ok := g.seen[e.v]; ok && at.Equal(e.t) {
		delete(g.seen, e.v)
	}
}
