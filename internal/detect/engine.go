package detect

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"bulwark/internal/detect/decode"
	"bulwark/internal/detect/index"
	"bulwark/internal/sigma"
)

// Hit kinds: what raised an alert.
const (
	HitRule        = "rule"
	HitIndicator   = "indicator"
	HitCorrelation = "correlation"
)

// Hit is one reason an event is interesting: a Sigma rule that matched it,
// or an indicator one of its values hit.
type Hit struct {
	Kind string
	// Rule is set for rule and correlation hits.
	Rule *sigma.Rule
	// Indicator, IndicatorKind, Field and Value are set for indicator
	// hits: the indicator's id, its kind, and the event field and value
	// that hit it.
	Indicator     int64
	IndicatorKind index.Kind
	Field         string
	Value         string
	// Group holds a correlation's group-by values.
	Group []string
}

// Rules is a compiled, immutable rule set with its correlations, as the
// engine matches with it.
type Rules struct {
	Set *sigma.RuleSet
	// Correlator holds the correlation state of agency 0 (offline
	// hunting); each agency's events are correlated apart (CorrelatorFor).
	Correlator  *sigma.Correlator
	Correlating int // correlation rules loaded
	Rejects     []sigma.Reject

	correlations []*sigma.Rule
	compiled     []*sigma.CompiledRule
	// keys are Set's field names prepared for decode (sigma.FieldIDEvent).
	keys     []decode.FieldKey
	corrMu   sync.Mutex
	byAgency map[int64]*sigma.Correlator
	// seen holds, per agency, the keys of the last stream batches whose
	// events its windows counted (firstSight).
	seen map[int64]*recentKeys
}

// NewRules builds a Rules from a loaded collection. Correlation rules that
// do not compile are added to Rejects.
func NewRules(c *sigma.Collection) *Rules {
	r := &Rules{Set: sigma.NewRuleSet(c.Rules), Rejects: slices.Clone(c.Rejects)}
	for _, n := range r.Set.FieldNames() {
		r.keys = append(r.keys, decode.NewFieldKey(n))
	}
	if len(c.Correlations) > 0 {
		corr, err := sigma.NewCorrelator(c.Correlations, c.Rules, sigma.CorrelatorOptions{FieldMap: FieldMap})
		if err != nil {
			for _, cr := range c.Correlations {
				r.Rejects = append(r.Rejects, sigma.Reject{File: cr.Source, Index: -1, ID: cr.ID, Title: cr.Title, Err: err})
			}
		} else {
			r.Correlator, r.Correlating = corr, len(c.Correlations)
			r.correlations, r.compiled = c.Correlations, c.Rules
			r.byAgency = map[int64]*sigma.Correlator{0: corr}
			r.seen = map[int64]*recentKeys{}
		}
	}
	return r
}

// CorrelatorFor returns the correlation state of one agency's events, nil
// when no correlation rule is loaded. Agencies are kept apart: one
// agency's failed logons never complete another's brute-force count, and
// an alert never rests on events its agency may not see. Each agency's
// state is bounded by sigma's defaults (groups per rule, events per group).
func (r *Rules) CorrelatorFor(agency int64) *sigma.Correlator {
	if r == nil || r.Correlator == nil {
		return nil
	}
	r.corrMu.Lock()
	defer r.corrMu.Unlock()
	if c := r.byAgency[agency]; c != nil {
		return c
	}
	c, err := sigma.NewCorrelator(r.correlations, r.compiled, sigma.CorrelatorOptions{FieldMap: FieldMap})
	if err != nil { // compiled once already in NewRules
		return r.Correlator
	}
	r.byAgency[agency] = c
	return c
}

// adopt carries the correlation state of old, the rules these replace,
// over to these: each agency's windows of the correlations that did not
// change go on (sigma.Correlator.Adopt).
func (r *Rules) adopt(old *Rules) {
	if r == nil || r.Correlator == nil || old == nil || old.Correlator == nil {
		return
	}
	old.corrMu.Lock()
	agencies := make(map[int64]*sigma.Correlator, len(old.byAgency))
	for a, c := range old.byAgency {
		agencies[a] = c
	}
	seen := make(map[int64]*recentKeys, len(old.seen))
	for a, k := range old.seen {
		seen[a] = k.clone()
	}
	old.corrMu.Unlock()
	for a, c := range agencies {
		if nc := r.CorrelatorFor(a); nc != nil {
			nc.Adopt(c)
		}
	}
	r.corrMu.Lock()
	r.seen = seen
	r.corrMu.Unlock()
}

// firstSight records that agency's correlation windows count the events
// of the stream batch key and reports whether they did not already: a
// batch that comes again (stored, but its ack was lost; or its storing
// failed) is matched again, and its events must not count twice.
func (r *Rules) firstSight(agency int64, key string) bool {
	r.corrMu.Lock()
	defer r.corrMu.Unlock()
	k := r.seen[agency]
	if k == nil {
		k = &recentKeys{}
		r.seen[agency] = k
	}
	return k.add(key)
}

// maxSeenBatches bounds the batch keys remembered per agency: far more
// than a stream redelivers within its ack wait.
const maxSeenBatches = 1024

// recentKeys is a set of the last maxSeenBatches keys added.
type recentKeys struct {
	set  map[string]struct{}
	ring []string
	next int
}

// add adds key and reports whether it was not in the set.
func (k *recentKeys) add(key string) bool {
	if _, ok := k.set[key]; ok {
		return false
	}
	if k.set == nil {
		k.set = map[string]struct{}{}
	}
	if len(k.ring) < maxSeenBatches {
		k.ring = append(k.ring, key)
	} else {
		delete(k.set, k.ring[k.next])
		k.ring[k.next] = key
		k.next = (k.next + 1) % maxSeenBatches
	}
	k.set[key] = struct{}{}
	return true
}

// keys returns the keys, oldest first.
func (k *recentKeys) keys() []string {
	return append(slices.Clone(k.ring[k.next:]), k.ring[:k.next]...)
}

func (k *recentKeys) clone() *recentKeys { return newRecentKeys(k.keys()) }

// newRecentKeys returns the set of keys, oldest first.
func newRecentKeys(keys []string) *recentKeys {
	n := &recentKeys{}
	for _, key := range keys {
		n.add(key)
	}
	return n
}

// exportAgencies encodes the correlation windows of the agencies part
// selects and, with forget, forgets them. It returns nil when they hold
// none.
func (r *Rules) exportAgencies(part func(agency int64) bool, forget bool) ([]byte, error) {
	if r == nil || r.Correlator == nil {
		return nil, nil
	}
	r.corrMu.Lock()
	defer r.corrMu.Unlock()
	st := correlationHandover{Agencies: map[int64]json.RawMessage{}, Batches: map[int64][]string{}}
	for a, c := range r.byAgency {
		if a == 0 || !part(a) {
			continue
		}
		data, err := c.MarshalState()
		if err != nil {
			return nil, err
		}
		if data != nil {
			st.Agencies[a] = data
		}
	}
	for a, k := range r.seen {
		if a != 0 && part(a) {
			st.Batches[a] = k.keys()
		}
	}
	if forget {
		r.forgetAgencies(part)
	}
	if len(st.Agencies) == 0 && len(st.Batches) == 0 {
		return nil, nil
	}
	return json.Marshal(st)
}

// importAgencies replaces the correlation windows of the agencies part
// selects with those data holds (exportAgencies; nil: none). The whole
// state is checked before anything is replaced.
func (r *Rules) importAgencies(part func(agency int64) bool, data []byte) error {
	if r == nil || r.Correlator == nil {
		return nil
	}
	var st correlationHandover
	if len(data) > 0 {
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("detect: correlation handover: %w", err)
		}
	}
	outside := func(a int64) error {
		if a == 0 || !part(a) {
			return fmt.Errorf("detect: correlation handover: agency %d is not in the partition taken", a)
		}
		return nil
	}
	restored := map[int64]*sigma.Correlator{}
	for a, state := range st.Agencies {
		if err := outside(a); err != nil {
			return err
		}
		c, err := sigma.NewCorrelator(r.correlations, r.compiled, sigma.CorrelatorOptions{FieldMap: FieldMap})
		if err != nil {
			return err
		}
		if err := c.RestoreState(state); err != nil {
			return fmt.Errorf("detect: correlation handover of agency %d: %w", a, err)
		}
		restored[a] = c
	}
	seen := map[int64]*recentKeys{}
	for a, keys := range st.Batches {
		if err := outside(a); err != nil {
			return err
		}
		seen[a] = newRecentKeys(keys)
	}
	r.corrMu.Lock()
	defer r.corrMu.Unlock()
	r.forgetAgencies(part)
	for a, c := range restored {
		r.byAgency[a] = c
	}
	maps.Copy(r.seen, seen)
	return nil
}

// forgetAgencies drops the windows and batch keys of the agencies part
// selects (never agency 0, offline hunting's). corrMu must be held.
func (r *Rules) forgetAgencies(part func(agency int64) bool) {
	for a := range r.byAgency {
		if a != 0 && part(a) {
			delete(r.byAgency, a)
		}
	}
	for a := range r.seen {
		if a != 0 && part(a) {
			delete(r.seen, a)
		}
	}
}

// correlationHandover is the encoded correlation state of a set of
// agencies: each one's windows (a sigma.Correlator's MarshalState) and the
// keys of the stream batches they counted (firstSight), oldest first.
type correlationHandover struct {
	Agencies map[int64]json.RawMessage `json:"agencies"`
	Batches  map[int64][]string        `json:"batches,omitempty"`
}

// FieldMap maps a Sigma rule's field names onto decoded events' field
// names per logsource (decode.MapField), for compiling rules.
func FieldMap(ls sigma.Logsource, field string) string {
	return decode.MapField(ls.Product, ls.Category, ls.Service, field)
}

// LoadOptions are the sigma load options rules are compiled with so that
// they read decoded events.
func LoadOptions() sigma.LoadOptions {
	return sigma.LoadOptions{Compile: sigma.CompileOptions{FieldMap: FieldMap}}
}

// Engine matches decoded events against the current indicator index and
// rule set. Both are swapped atomically while matching goes on: a batch
// loads each once and sees one snapshot. An Engine is safe for concurrent
// use; it touches no database.
type Engine struct {
	index index.Holder
	rules atomic.Pointer[Rules]
	meta  atomic.Pointer[indicatorMeta]
}

// NewEngine returns an engine with no rules and no indicators.
func NewEngine() *Engine { return &Engine{} }

// SetRules publishes a new rule set (nil: no rules).
func (e *Engine) SetRules(r *Rules) { e.rules.Store(r) }

// Rules returns the current rule set, possibly nil.
func (e *Engine) Rules() *Rules { return e.rules.Load() }

// SetIndex publishes a new indicator index and the confidence of its
// indicators.
func (e *Engine) SetIndex(ix *index.Index, meta *indicatorMeta) {
	e.meta.Store(meta)
	e.index.Store(ix)
}

// Index returns the current indicator index, possibly nil.
func (e *Engine) Index() *index.Index { return e.index.Load() }

// Confidence returns the confidence (0-100) of an indicator of the current
// index, or -1 when unknown.
func (e *Engine) Confidence(id int64) int { return e.meta.Load().confidence(id) }

// Snapshot is what one batch matches with: the index and rules loaded once.
type Snapshot struct {
	Index   *index.Index
	Rules   *Rules
	matcher *sigma.Matcher
	ibuf    []index.Match
	rbuf    []*sigma.Rule
	// se is the event being matched, as the matcher sees it; passed by
	// pointer so that it costs no allocation.
	se keyedEvent
	// replay is set for a batch whose events the correlation windows
	// counted before (firstSight): they are matched, but not counted again.
	replay bool
}

// Snapshot loads the current index and rules for one goroutine's batch.
// The Snapshot is not safe for concurrent use.
func (e *Engine) Snapshot() *Snapshot {
	s := &Snapshot{Index: e.index.Load(), Rules: e.rules.Load()}
	if s.Rules != nil {
		s.matcher = s.Rules.Set.NewMatcher()
	}
	return s
}

// Match appends to dst the hits of one event for a source of the given
// agency: indicators it may use, then Sigma rules of the event's logsource,
// then correlation rules the rule matches complete within the agency's
// events (t is the event's time for correlation windows). Each indicator
// and rule appears once; rules that only feed correlations (generate:
// false) are left out.
func (s *Snapshot) Match(ev *decode.Event, agency int64, t time.Time, dst []Hit) []Hit {
	dst = s.matchIndicators(ev, agency, dst)
	if s.Rules == nil || s.Rules.Set.Len() == 0 {
		return dst
	}
	ls := decode.LogsourceOf(ev)
	se := sigmaEvent{ev}
	s.se = keyedEvent{se, s.Rules.keys}
	start := len(dst)
	s.rbuf = s.matcher.MatchSet(&s.se, ls.Product, ls.Categories, ls.Services, s.rbuf[:0])
	s.se = keyedEvent{}
	for _, r := range s.rbuf {
		dst = append(dst, Hit{Kind: HitRule, Rule: r})
	}
	if corr := s.Rules.CorrelatorFor(agency); corr != nil {
		end := len(dst)
		if s.replay {
			end = start
		}
		for _, h := range dst[start:end] {
			for _, a := range corr.Observe(h.Rule, se, t) {
				dst = append(dst, Hit{Kind: HitCorrelation, Rule: a.Rule, Group: a.Group})
			}
		}
		// A rule that correlations use with generate: false (Sigma's
		// default) raises no alert of its own.
		kept := start
		for _, h := range dst[start:] {
			if h.Kind != HitRule || corr.Generates(h.Rule) {
				dst[kept] = h
				kept++
			}
		}
		dst = dst[:kept]
	}
	return dst
}

// indicatorFields are the event fields looked up in the index, per lookup
// kind, from decode's lists.
// It is computed once and never changed.
var indicatorFields = func() []typedField {
	var out []typedField
	for _, t := range decode.IndicatorTypes() {
		for _, f := range decode.IndicatorFields(t) {
			out = append(out, typedField{t, f, decode.NewFieldKey(f)})
		}
	}
	return out
}()

type typedField struct {
	typ   decode.IndicatorType
	field string
	key   decode.FieldKey // field, hashed once
}

func (s *Snapshot) matchIndicators(ev *decode.Event, agency int64, dst []Hit) []Hit {
	if s.Index == nil {
		return dst
	}
	start := len(dst)
	for _, tf := range indicatorFields {
		t, field := tf.typ, tf.field
		v, ok := ev.GetKey(tf.key)
		if !ok {
			continue
		}
		for x := range v.Scalars() {
			text := x.Text()
			if text == "" {
				continue
			}
			s.ibuf = s.ibuf[:0]
			switch t {
			case decode.IndicatorIP:
				if a, ok := index.ParseIP(text); ok {
					s.ibuf = s.Index.MatchIP(a, agency, s.ibuf)
				}
			case decode.IndicatorDomain:
				s.ibuf = s.Index.MatchHost(text, agency, s.ibuf)
			case decode.IndicatorURL:
				s.ibuf = s.Index.MatchURL(text, agency, s.ibuf)
				if h := index.URLHost(text); h != "" {
					s.ibuf = s.Index.MatchHost(h, agency, s.ibuf)
				}
			case decode.IndicatorHash:
				s.ibuf = s.Index.MatchHash(text, agency, s.ibuf)
			case decode.IndicatorEmail:
				s.ibuf = s.Index.MatchEmail(text, agency, s.ibuf)
			}
			for _, m := range s.ibuf {
				if !hasIndicator(dst[start:], m.ID) {
					dst = append(dst, Hit{Kind: HitIndicator, Indicator: m.ID, IndicatorKind: m.Kind, Field: field, Value: text})
				}
			}
		}
	}
	return dst
}

func hasIndicator(hits []Hit, id int64) bool {
	for _, h := range hits {
		if h.Kind == HitIndicator && h.Indicator == id {
			return true
		}
	}
	return false
}

// sigmaEvent shows a decoded event to the Sigma matcher. It holds one
// pointer, so converting it to the sigma.Event interface does not allocate.
type sigmaEvent struct{ ev *decode.Event }

func (s sigmaEvent) Field(name string) (sigma.Value, bool) {
	v, ok := s.ev.Get(name)
	if !ok {
		return sigma.Value{}, false
	}
	return sigmaValue(v), true
}

// keyedEvent is a sigmaEvent that looks fields up by the rule set's
// prepared keys (sigma.FieldIDEvent).
type keyedEvent struct {
	sigmaEvent
	keys []decode.FieldKey
}

func (k *keyedEvent) FieldID(id int32, name string) (sigma.Value, bool) {
	if int(id) >= len(k.keys) {
		return k.Field(name)
	}
	v, ok := k.ev.GetKey(k.keys[id])
	if !ok {
		return sigma.Value{}, false
	}
	return sigmaValue(v), true
}

func (s sigmaEvent) Values(yield func(sigma.Value) bool) {
	for _, f := range s.ev.Fields() {
		if !yield(sigmaValue(f.Value)) {
			return
		}
	}
}

// AppendTexts implements [sigma.TextEvent]: the keyword prefilter gets
// the values' texts without a sigma.Value (and a list copy) per field.
// Long texts are written once: decoders copy fields into their common
// names (Message into message, CommandLine into process.command_line),
// and scanning the same text twice finds nothing new.
func (s sigmaEvent) AppendTexts(dst []byte) []byte {
	var seen [16]string
	n := 0
	for _, f := range s.ev.Fields() {
		if t := f.Value.Text(); len(t) >= minDedupText && f.Value.Kind() == decode.KindString {
			if slices.Contains(seen[:n], t) {
				continue
			}
			if n < len(seen) {
				seen[n] = t
				n++
			}
		}
		dst = appendSigmaText(dst, f.Value)
	}
	return dst
}

// minDedupText is the length from which AppendTexts writes a text once.
const minDedupText = 24

// appendSigmaText appends what sigma.AppendText writes for sigmaValue(v),
// and a NUL, for a scalar and for each element of a list.
func appendSigmaText(dst []byte, v decode.Value) []byte {
	switch v.Kind() {
	case decode.KindString, decode.KindBool:
		dst = append(dst, v.Text()...)
	case decode.KindNumber:
		if t := v.Text(); plainInteger(t) {
			dst = append(dst, t...)
		} else {
			dst = sigma.AppendText(dst, sigmaValue(v))
		}
	case decode.KindList:
		for _, x := range v.List() {
			dst = appendSigmaText(dst, x)
		}
		return dst
	default:
		return dst
	}
	return append(dst, 0)
}

// plainInteger reports whether t is an integer that sigma.AppendText
// writes back unchanged: at most 15 digits (exact as a float64), an
// optional minus sign, no leading zero (and no "-0").
func plainInteger(t string) bool {
	d := t
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
		if d == "0" {
			return false
		}
	}
	if len(d) == 0 || len(d) > 15 || (d[0] == '0' && len(d) > 1) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

func sigmaValue(v decode.Value) sigma.Value {
	switch v.Kind() {
	case decode.KindString:
		return sigma.Value{Kind: sigma.KindString, Str: v.Text()}
	case decode.KindNumber:
		if f, ok := v.Float(); ok {
			return sigma.Value{Kind: sigma.KindNumber, Num: f}
		}
		return sigma.Value{Kind: sigma.KindString, Str: v.Text()}
	case decode.KindBool:
		b, _ := v.Bool()
		return sigma.Value{Kind: sigma.KindBool, Bool: b}
	case decode.KindList:
		l := v.List()
		out := make([]sigma.Value, len(l))
		for i, x := range l {
			out[i] = sigmaValue(x)
		}
		return sigma.Value{Kind: sigma.KindList, List: out}
	}
	return sigma.Value{Kind: sigma.KindNull}
}

// indicatorMeta keeps the confidence of every indexed indicator in two
// sorted parallel slices (9 bytes per indicator), for alert severity; a
// map would cost several times that for a million indicators.
type indicatorMeta struct {
	ids  []int64
	conf []uint8
}

func (m *indicatorMeta) confidence(id int64) int {
	if m == nil {
		return -1
	}
	i, ok := slices.BinarySearch(m.ids, id)
	if !ok {
		return -1
	}
	return int(m.conf[i])
}

// metaBuilder collects confidences in any order.
type metaBuilder struct {
	pairs []idConf
}

type idConf struct {
	id   int64
	conf uint8
}

func (b *metaBuilder) add(id int64, conf int) {
	b.pairs = append(b.pairs, idConf{id, uint8(min(max(conf, 0), 100))})
}

func (b *metaBuilder) build() *indicatorMeta {
	slices.SortFunc(b.pairs, func(x, y idConf) int {
		switch {
		case x.id < y.id:
			return -1
		case x.id > y.id:
			return 1
		}
		return int(y.conf) - int(x.conf) // highest first among duplicates
	})
	m := &indicatorMeta{ids: make([]int64, 0, len(b.pairs)), conf: make([]uint8, 0, len(b.pairs))}
	for _, p := range b.pairs {
		if n := len(m.ids); n > 0 && m.ids[n-1] == p.id {
			continue
		}
		m.ids = append(m.ids, p.id)
		m.conf = append(m.conf, p.conf)
	}
	b.pairs = nil
	return m
}

// Severities, lowest first; Sigma's levels.
var Severities = []string{"informational", "low", "medium", "high", "critical"}

func severityRank(s string) int { return slices.Index(Severities, s) }

// RuleSeverity is the severity of an alert raised by a rule: its level,
// or medium when it has none.
func RuleSeverity(r *sigma.Rule) string {
	if severityRank(r.Level) >= 0 {
		return r.Level
	}
	return "medium"
}

// IndicatorSeverity maps an indicator's confidence to an alert severity.
func IndicatorSeverity(confidence int) string {
	switch {
	case confidence >= 90:
		return "critical"
	case confidence >= 70:
		return "high"
	case confidence >= 40 || confidence < 0:
		return "medium"
	}
	return "low"
}

// matchKey names what raised a hit, for deduplication.
func (h *Hit) matchKey() string {
	switch h.Kind {
	case HitIndicator:
		return strconv.FormatInt(h.Indicator, 10)
	default:
		if h.Rule.ID != "" {
			return h.Rule.ID
		}
		return h.Rule.Title
	}
}
