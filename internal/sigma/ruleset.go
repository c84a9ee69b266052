package sigma

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// maxBuckets bounds the logsource buckets a RuleSet caches; events with
// further logsources are still matched, without the prefilter.
const maxBuckets = 1024

// RuleSet matches events against many compiled rules. It indexes the rules
// by logsource and, per logsource, prefilters them with one Aho-Corasick
// automaton over each rule's most selective literal, so that an event only
// evaluates the few rules that could match it. A RuleSet is immutable and
// safe for concurrent use; per-logsource indexes are built on first use and
// published without locking the matching path.
type RuleSet struct {
	rules  []*CompiledRule
	names  []string    // global field names
	ids    [][]int32   // per rule: local -> global field id
	needs  [][]gLit    // per rule: prefilter literals (nil: always evaluate)
	always []bool      // per rule: no prefilter literal is known
	ls     []Logsource // per rule, folded

	mu      sync.Mutex // serialises bucket builds
	buckets atomic.Pointer[map[Logsource]*bucket]
	// multi holds the buckets of logsource sets (MatchSet), by setKey.
	multi atomic.Pointer[map[string]*bucket]
	pool  sync.Pool
}

// gLit is a prefilter literal on a global field.
type gLit struct {
	field int32
	lit   string
}

// bucket is the index for one event logsource.
type bucket struct {
	rules  []int32 // rule indexes that fit the logsource, in order
	always []int32 // positions in rules evaluated for every event
	// scans holds one automaton per field with literals, in field order,
	// then one for keyword literals (field anyField), scanned over every
	// value of the event. Small per-field automata stay in cache.
	scans []fieldScan
}

// fieldScan is the prefilter of one field: the automaton over the field's
// literals and, per literal, the bucket positions of the rules it marks.
type fieldScan struct {
	field int32
	ac    *acMachine
	// anchors finds the literals faster than ac in long texts when they
	// are few (nil: use ac): the keyword scan's concatenated values, and
	// long values of fields such as CallTrace or Hashes.
	anchors *anchorScan
	hits    [][]int32
}

// NewRuleSet indexes compiled rules. Rules keep their order in results.
func NewRuleSet(rules []*CompiledRule) *RuleSet {
	rs := &RuleSet{rules: rules}
	gid := map[string]int32{}
	for _, r := range rules {
		ids := make([]int32, len(r.fields))
		for i, name := range r.fields {
			id, ok := gid[name]
			if !ok {
				id = int32(len(rs.names))
				gid[name] = id
				rs.names = append(rs.names, name)
			}
			ids[i] = id
		}
		rs.ids = append(rs.ids, ids)
		n := needOf(r.cond)
		var lits []gLit
		if n.ok {
			for _, l := range n.lits {
				g := int32(anyField)
				if l.field != anyField {
					g = ids[l.field]
				}
				lits = append(lits, gLit{field: g, lit: l.lit})
			}
		}
		rs.needs = append(rs.needs, lits)
		rs.always = append(rs.always, !n.ok)
		rs.ls = append(rs.ls, foldLogsource(r.Logsource))
	}
	empty := map[Logsource]*bucket{}
	rs.buckets.Store(&empty)
	emptyMulti := map[string]*bucket{}
	rs.multi.Store(&emptyMulti)
	rs.pool.New = func() any { return rs.NewMatcher() }
	return rs
}

// Len returns the number of rules.
func (rs *RuleSet) Len() int { return len(rs.rules) }

// FieldNames returns the names of the fields the rules read, indexed by
// the ids a FieldIDEvent is asked for. The slice must not be modified.
func (rs *RuleSet) FieldNames() []string { return rs.names }

// Rules returns the rules, in order. The slice must not be modified.
func (rs *RuleSet) Rules() []*CompiledRule { return rs.rules }

func foldLogsource(l Logsource) Logsource {
	return Logsource{Product: strings.ToLower(l.Product), Category: strings.ToLower(l.Category), Service: strings.ToLower(l.Service)}
}

// registryCategories are the categories that rules of the umbrella
// category registry_event also apply to.
var registryCategories = map[string]bool{"registry_add": true, "registry_delete": true, "registry_set": true, "registry_rename": true, "registry_event": true}

// Fits reports whether a rule with logsource rule applies to events tagged
// ev: every field the rule names must equal the event's (case-insensitive).
// The rule category registry_event covers registry_add, registry_delete,
// registry_set and registry_rename events.
func Fits(rule, ev Logsource) bool {
	return fitsFolded(foldLogsource(rule), foldLogsource(ev))
}

func fitsFolded(rule, ev Logsource) bool {
	if rule.Product != "" && rule.Product != ev.Product {
		return false
	}
	if rule.Service != "" && rule.Service != ev.Service {
		return false
	}
	if rule.Category != "" && rule.Category != ev.Category {
		if !(rule.Category == "registry_event" && registryCategories[ev.Category]) {
			return false
		}
	}
	return true
}

// bucketFor returns the index for an event logsource, building it on
// first use. It returns nil when the cache is full.
func (rs *RuleSet) bucketFor(ls Logsource) *bucket {
	if b := (*rs.buckets.Load())[ls]; b != nil {
		return b
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	cur := *rs.buckets.Load()
	if b := cur[ls]; b != nil {
		return b
	}
	if len(cur)+len(*rs.multi.Load()) >= maxBuckets {
		return nil
	}
	b := rs.buildBucket([]Logsource{ls})
	next := make(map[Logsource]*bucket, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[ls] = b
	rs.buckets.Store(&next)
	return b
}

// bucketForSet returns the index for the rules that fit any of lss,
// stored under key, building it on first use. It returns nil when the
// cache is full.
func (rs *RuleSet) bucketForSet(key []byte, lss []Logsource) *bucket {
	if b := (*rs.multi.Load())[string(key)]; b != nil {
		return b
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	cur := *rs.multi.Load()
	if b := cur[string(key)]; b != nil {
		return b
	}
	if len(cur)+len(*rs.buckets.Load()) >= maxBuckets {
		return nil
	}
	b := rs.buildBucket(lss)
	next := make(map[string]*bucket, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[string(key)] = b
	rs.multi.Store(&next)
	return b
}

// buildBucket indexes the rules that fit any of the (folded) logsources.
func (rs *RuleSet) buildBucket(lss []Logsource) *bucket {
	b := &bucket{}
	type fieldLits struct {
		ids  map[string]int32
		pats []string
		hits [][]int32
	}
	byField := map[int32]*fieldLits{}
	for i := range rs.rules {
		if !slices.ContainsFunc(lss, func(ls Logsource) bool { return fitsFolded(rs.ls[i], ls) }) {
			continue
		}
		pos := int32(len(b.rules))
		b.rules = append(b.rules, int32(i))
		if rs.always[i] {
			b.always = append(b.always, pos)
			continue
		}
		for _, l := range rs.needs[i] {
			fl := byField[l.field]
			if fl == nil {
				fl = &fieldLits{ids: map[string]int32{}}
				byField[l.field] = fl
			}
			id, ok := fl.ids[l.lit]
			if !ok {
				id = int32(len(fl.pats))
				fl.ids[l.lit] = id
				fl.pats = append(fl.pats, l.lit)
				fl.hits = append(fl.hits, nil)
			}
			if !slices.Contains(fl.hits[id], pos) {
				fl.hits[id] = append(fl.hits[id], pos)
			}
		}
	}
	for f, fl := range byField {
		sc := fieldScan{field: f, ac: newACMachine(fl.pats), hits: fl.hits}
		sc.anchors = newAnchorScan(fl.pats)
		b.scans = append(b.scans, sc)
	}
	// Fields in id order, the keyword pseudo field (-1) last.
	slices.SortFunc(b.scans, func(x, y fieldScan) int {
		return int(uint32(x.field)) - int(uint32(y.field))
	})
	return b
}

// Matcher holds the per-goroutine scratch state of matching. Use one per
// goroutine (or RuleSet.Match, which pools them); it is not safe for
// concurrent use.
type Matcher struct {
	rs    *RuleSet
	ctx   evalCtx
	mark  []uint32 // per bucket position: epoch when marked as candidate
	cands []int32
	scan  *fieldScan // the field being scanned by the prefilter
	hitFn func(int32)
	// hay is the concatenation of the event's values for the keyword
	// scan, hayFold its folded form; both are reused across events.
	hay     []byte
	hayFold []byte
	hayFn   func(Value) bool
	// The bucket of the previous event: consecutive events of one
	// logsource skip the index lookup.
	lastLS Logsource
	lastB  *bucket
	// The same for MatchSet: the key of the last logsource set.
	setKey  []byte
	lastKey []byte
	lastSet *bucket
	lss     []Logsource
	// evaluated counts full rule evaluations, for benchmarks.
	evaluated int
}

// NewMatcher returns a Matcher for rs.
func (rs *RuleSet) NewMatcher() *Matcher {
	m := &Matcher{rs: rs, mark: make([]uint32, len(rs.rules))}
	m.ctx.names = rs.names
	m.ctx.slots = make([]slot, len(rs.names))
	m.hitFn = m.hit
	m.hayFn = m.addHay
	return m
}

// Match appends to dst the rules that fit ls and match ev, in rule order.
func (rs *RuleSet) Match(ev Event, ls Logsource, dst []*Rule) []*Rule {
	m := rs.pool.Get().(*Matcher)
	dst = m.Match(ev, ls, dst)
	m.ctx.ev, m.ctx.idEv = nil, nil
	rs.pool.Put(m)
	return dst
}

// Match appends to dst the rules that fit ls and match ev, in rule order.
func (m *Matcher) Match(ev Event, ls Logsource, dst []*Rule) []*Rule {
	var b *bucket
	if m.lastB != nil && ls == m.lastLS {
		b = m.lastB
	} else {
		ls = foldLogsource(ls)
		b = m.rs.bucketFor(ls)
		m.lastLS, m.lastB = ls, b
	}
	m.ctx.reset(ev)
	if b == nil {
		return m.evalLogsource(ls, dst)
	}
	return m.matchBucket(b, dst)
}

// MatchSet appends to dst, in rule order and each once, the rules that fit
// the event's product with any of its categories and any of its services
// (an empty list stands for ""), and match ev. An event can fall under
// several categories (a Sysmon registry event is registry_set and
// registry_event); one MatchSet scans the event once where a Match per
// combination would scan it once per combination.
func (m *Matcher) MatchSet(ev Event, product string, categories, services []string, dst []*Rule) []*Rule {
	key := append(m.setKey[:0], product...)
	key = append(key, 0)
	for _, c := range categories {
		key = append(key, c...)
		key = append(key, 1)
	}
	key = append(key, 0)
	for _, sv := range services {
		key = append(key, sv...)
		key = append(key, 1)
	}
	m.setKey = key
	var b *bucket
	if m.lastSet != nil && string(key) == string(m.lastKey) {
		b = m.lastSet
	} else {
		m.lss = m.lss[:0]
		cats, svcs := categories, services
		if len(cats) == 0 {
			cats = []string{""}
		}
		if len(svcs) == 0 {
			svcs = []string{""}
		}
		for _, c := range cats {
			for _, sv := range svcs {
				m.lss = append(m.lss, foldLogsource(Logsource{Product: product, Category: c, Service: sv}))
			}
		}
		b = m.rs.bucketForSet(key, m.lss)
		m.lastKey = append(m.lastKey[:0], key...)
		m.lastSet = b
	}
	m.ctx.reset(ev)
	if b == nil {
		lss := m.lss
		return m.evalAll(func(rl Logsource) bool {
			return slices.ContainsFunc(lss, func(ls Logsource) bool { return fitsFolded(rl, ls) })
		}, dst)
	}
	return m.matchBucket(b, dst)
}

// matchBucket runs the prefilter of b over the current event and
// evaluates the candidate rules.
func (m *Matcher) matchBucket(b *bucket, dst []*Rule) []*Rule {
	rs := m.rs
	m.cands = append(m.cands[:0], b.always...)
	epoch := m.ctx.epoch
	for _, pos := range b.always {
		m.mark[pos] = epoch
	}
	for i := range b.scans {
		m.scan = &b.scans[i]
		if m.scan.field == anyField {
			m.scanKeywords()
			continue
		}
		s := m.ctx.slotG(m.scan.field)
		if !s.present {
			continue
		}
		if s.v.Kind == KindList {
			for _, e := range s.v.List {
				m.scanValue(e)
			}
			continue
		}
		m.scanText(m.ctx.rawOf(s))
	}
	slices.Sort(m.cands)
	m.evaluated += len(m.cands)
	for _, pos := range m.cands {
		i := b.rules[pos]
		m.ctx.ids = rs.ids[i]
		if rs.rules[i].cond.eval(&m.ctx) {
			dst = append(dst, rs.rules[i].Rule)
		}
	}
	return dst
}

// scanKeywords runs the keyword prefilter over every value of the event
// at once: the values' texts are concatenated, each followed by a NUL
// byte, so the scan pays its set-up once per event rather than once per
// value. A literal found across two values only costs a needless rule
// evaluation; the NUL keeps folding the concatenation equal to
// concatenating the folded values (it ends any broken UTF-8 sequence).
func (m *Matcher) scanKeywords() {
	m.hay = m.hay[:0]
	if te, ok := m.ctx.ev.(TextEvent); ok {
		m.hay = te.AppendTexts(m.hay)
	} else {
		m.ctx.ev.Values(m.hayFn)
	}
	if len(m.hay) == 0 {
		return
	}
	ascii := lowerASCII(m.hay)
	hay := unsafe.String(&m.hay[0], len(m.hay)) // valid until the next event
	a := m.scan.anchors
	if a != nil && (ascii || (a.ascii && asciiFoldable(hay))) {
		a.scanFolded(hay, m.hitFn)
		return
	}
	if a == nil && m.scan.ac.scanASCII(hay, m.hitFn) {
		return
	}
	m.hayFold = appendFold(m.hayFold[:0], hay)
	folded := unsafe.String(&m.hayFold[0], len(m.hayFold))
	if a != nil {
		a.scanFolded(folded, m.hitFn)
	} else {
		m.scan.ac.scan(folded, m.hitFn)
	}
}

// addHay appends the text of a value (each element of a list) to the
// keyword haystack.
func (m *Matcher) addHay(v Value) bool {
	switch v.Kind {
	case KindNull:
	case KindList:
		for _, e := range v.List {
			m.addHay(e)
		}
	default:
		m.hay = appendText(m.hay, v)
		m.hay = append(m.hay, 0)
	}
	return true
}

// evalAll evaluates every rule whose (folded) logsource fits, without the
// prefilter: the fallback when the bucket cache is full, and the reference
// in tests.
func (m *Matcher) evalAll(fits func(Logsource) bool, dst []*Rule) []*Rule {
	rs := m.rs
	for i, r := range rs.rules {
		if fits(rs.ls[i]) {
			m.ctx.ids = rs.ids[i]
			if r.cond.eval(&m.ctx) {
				dst = append(dst, r.Rule)
			}
		}
	}
	return dst
}

// evalLogsource is evalAll for the rules that fit one folded logsource.
func (m *Matcher) evalLogsource(ls Logsource, dst []*Rule) []*Rule {
	return m.evalAll(func(rl Logsource) bool { return fitsFolded(rl, ls) }, dst)
}

// anchorMinText is the text length from which a field's anchor scan,
// when it has one, replaces the automaton: each anchor byte costs a
// vectorised pass, the automaton a dependent table load per byte, so
// short texts stay with the automaton.
func anchorMinText(a *anchorScan) int { return 32 + 16*len(a.foldedBytes) }

// scanText runs the prefilter over one text of the current field.
func (m *Matcher) scanText(t string) {
	if a := m.scan.anchors; a != nil && len(t) >= anchorMinText(a) {
		m.hay = append(m.hay[:0], t...)
		ascii := lowerASCII(m.hay)
		low := unsafe.String(&m.hay[0], len(m.hay))
		if ascii || (a.ascii && asciiFoldable(low)) {
			a.scanFolded(low, m.hitFn)
			return
		}
	}
	if !m.scan.ac.scanASCII(t, m.hitFn) {
		m.scan.ac.scan(m.ctx.folded(t), m.hitFn)
	}
}

// scanValue runs the prefilter over a value and the elements of a list.
func (m *Matcher) scanValue(v Value) bool {
	switch v.Kind {
	case KindNull:
	case KindList:
		for _, e := range v.List {
			m.scanValue(e)
		}
	default:
		m.scanText(m.ctx.text(v))
	}
	return true
}

// hit marks the rules whose literal pat was found in the scanned field.
func (m *Matcher) hit(pat int32) {
	epoch := m.ctx.epoch
	for _, pos := range m.scan.hits[pat] {
		if m.mark[pos] != epoch {
			m.mark[pos] = epoch
			m.cands = append(m.cands, pos)
		}
	}
}

// Stats describes the index built for one logsource, for capacity
// planning and benchmarks.
type Stats struct {
	Rules, Always, Literals, States, Fields, MemBytes int
}

// Stats builds (or reuses) the index for ls and describes it.
func (rs *RuleSet) Stats(ls Logsource) Stats {
	b := rs.bucketFor(foldLogsource(ls))
	if b == nil {
		return Stats{}
	}
	st := Stats{Rules: len(b.rules), Always: len(b.always), Fields: len(b.scans)}
	for _, sc := range b.scans {
		st.Literals += len(sc.hits)
		st.States += sc.ac.states
		st.MemBytes += sc.ac.memBytes()
	}
	return st
}
