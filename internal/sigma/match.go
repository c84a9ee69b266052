package sigma

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unsafe"
)

// opKind is what a compiled value matcher tests.
type opKind uint8

const (
	opEq opKind = iota
	opPrefix
	opSuffix
	opContains
	opGlob
	opAnyString // the pattern "*": any non-null value
	opRegexp
	opCIDR
	opLT
	opLTE
	opGT
	opGTE
	opNull // the YAML value null: the field is absent or null
	opFieldRef
)

// valueMatcher is one compiled rule value.
type valueMatcher struct {
	op     opKind
	cased  bool   // compare the raw text instead of the folded text
	needle string // folded unless cased
	glob   *glob
	re     *regexp.Regexp
	prefix netip.Prefix
	num    float64
	ref    int    // fieldref: the local id of the other field
	refOp  opKind // fieldref: opEq, opPrefix, opSuffix or opContains
}

// fieldMatcher is one "Field|modifiers: values" entry; field < 0 marks a
// keyword search over every value of the event.
type fieldMatcher struct {
	field  int
	name   string
	all    bool
	exists int8 // 1: exists true, -1: exists false, 0: not an exists test
	vals   []valueMatcher
	// groups, when not nil, holds the end index in vals of each rule
	// value's alternatives; all then means every group has a match.
	groups []int
	// absent is the result when the field is missing or null.
	absent bool
}

// branch is the AND of its field matchers (one YAML mapping).
type branch []fieldMatcher

// selection is the OR of its branches (a list of mappings, or keywords).
type selection struct {
	name     string
	branches []branch
}

// slot caches one field of the current event for the rule evaluations and
// the prefilter, so each value is fetched and folded at most once.
type slot struct {
	epoch   uint32
	present bool
	hasRaw  bool
	hasFold bool
	v       Value
	raw     string
	folded  string
}

// evalCtx is the per-event state of a match. It belongs to one goroutine.
type evalCtx struct {
	ev    Event
	idEv  FieldIDEvent // ev, when it looks fields up by id
	names []string     // global field names
	slots []slot       // by global field id
	ids   []int32      // the current rule's local -> global field ids
	epoch uint32
	arena []byte
	// Every scalar value of the event, raw and folded, for keyword
	// searches; valid when kwEpoch == epoch.
	kwEpoch uint32
	kwRaw   []string
	kwFold  []string
	kwVisit func(Value) bool
}

func (c *evalCtx) reset(ev Event) {
	c.ev = ev
	c.idEv, _ = ev.(FieldIDEvent)
	c.epoch++
	if c.epoch == 0 { // wrapped: stale slots could look fresh
		for i := range c.slots {
			c.slots[i].epoch = 0
		}
		c.epoch = 1
	}
	c.arena = c.arena[:0]
}

// slotG returns the slot of global field g, fetching it on first use.
func (c *evalCtx) slotG(g int32) *slot {
	s := &c.slots[g]
	if s.epoch != c.epoch {
		s.epoch = c.epoch
		s.hasRaw, s.hasFold = false, false
		if c.idEv != nil {
			s.v, s.present = c.idEv.FieldID(g, c.names[g])
		} else {
			s.v, s.present = c.ev.Field(c.names[g])
		}
		if s.present && s.v.Kind == KindNull {
			s.present = false
		}
	}
	return s
}

// text returns the arena-backed text of a scalar value. Arena strings are
// valid until the next reset; they never leave the package.
func (c *evalCtx) text(v Value) string {
	if v.Kind == KindString {
		return v.Str
	}
	start := len(c.arena)
	c.arena = appendText(c.arena, v)
	return c.arenaString(start)
}

func (c *evalCtx) folded(s string) string {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b >= 0x80 || ('A' <= b && b <= 'Z') {
			start := len(c.arena)
			c.arena = appendFold(c.arena, s)
			return c.arenaString(start)
		}
	}
	return s
}

func (c *evalCtx) arenaString(start int) string {
	if len(c.arena) == start {
		return ""
	}
	// The arena may be reallocated by a later append; the old backing
	// array then stays alive for as long as this string does.
	return unsafe.String(&c.arena[start], len(c.arena)-start)
}

func (c *evalCtx) rawOf(s *slot) string {
	if !s.hasRaw {
		s.raw = c.text(s.v)
		s.hasRaw = true
	}
	return s.raw
}

func (c *evalCtx) foldOf(s *slot) string {
	if !s.hasFold {
		s.folded = c.folded(c.rawOf(s))
		s.hasFold = true
	}
	return s.folded
}

func (fm *fieldMatcher) eval(c *evalCtx) bool {
	if fm.field < 0 {
		return fm.evalKeywords(c)
	}
	s := c.slotG(c.ids[fm.field])
	if !s.present {
		return fm.absent
	}
	if fm.exists != 0 {
		return fm.exists > 0
	}
	if s.v.Kind == KindList {
		return fm.evalGroups(c, func(vm *valueMatcher) bool { return matchList(c, vm, s.v.List) })
	}
	if !fm.all {
		for i := range fm.vals {
			if fm.vals[i].matchSlot(c, s) {
				return true
			}
		}
		return false
	}
	if fm.groups == nil {
		for i := range fm.vals {
			if !fm.vals[i].matchSlot(c, s) {
				return false
			}
		}
		return true
	}
	return fm.evalGroups(c, func(vm *valueMatcher) bool { return vm.matchSlot(c, s) })
}

// evalGroups combines per-value results: without all, any value; with all,
// some value of every group.
func (fm *fieldMatcher) evalGroups(c *evalCtx, one func(*valueMatcher) bool) bool {
	if !fm.all {
		for i := range fm.vals {
			if one(&fm.vals[i]) {
				return true
			}
		}
		return false
	}
	start := 0
	for g := range fm.numGroups() {
		end := fm.groupEnd(g)
		ok := false
		for i := start; i < end && !ok; i++ {
			ok = one(&fm.vals[i])
		}
		if !ok {
			return false
		}
		start = end
	}
	return true
}

func (fm *fieldMatcher) numGroups() int {
	if fm.groups == nil {
		return len(fm.vals)
	}
	return len(fm.groups)
}

func (fm *fieldMatcher) groupEnd(g int) int {
	if fm.groups == nil {
		return g + 1
	}
	return fm.groups[g]
}

// matchList reports whether any scalar element of a multi-valued field
// matches vm.
func matchList(c *evalCtx, vm *valueMatcher, list []Value) bool {
	for _, e := range list {
		if e.Kind == KindNull || e.Kind == KindList {
			continue
		}
		tmp := slot{present: true, v: e}
		if vm.matchSlot(c, &tmp) {
			return true
		}
	}
	return false
}

func (fm *fieldMatcher) evalKeywords(c *evalCtx) bool {
	return fm.evalGroups(c, func(vm *valueMatcher) bool { return keywordAny(c, vm) })
}

// keywordValues returns every scalar value of the event, raw and folded,
// computing them once per event.
func (c *evalCtx) keywordValues() (raw, folded []string) {
	if c.kwEpoch != c.epoch {
		c.kwEpoch = c.epoch
		c.kwRaw, c.kwFold = c.kwRaw[:0], c.kwFold[:0]
		if c.kwVisit == nil {
			c.kwVisit = c.addKeywordValue
		}
		c.ev.Values(c.kwVisit)
	}
	return c.kwRaw, c.kwFold
}

func (c *evalCtx) addKeywordValue(v Value) bool {
	switch v.Kind {
	case KindNull:
	case KindList:
		for _, e := range v.List {
			c.addKeywordValue(e)
		}
	default:
		t := c.text(v)
		c.kwRaw = append(c.kwRaw, t)
		c.kwFold = append(c.kwFold, c.folded(t))
	}
	return true
}

// keywordAny reports whether any value of the event matches vm.
func keywordAny(c *evalCtx, vm *valueMatcher) bool {
	raw, folded := c.keywordValues()
	for i := range raw {
		tmp := slot{present: true, hasRaw: true, hasFold: true, v: String(raw[i]), raw: raw[i], folded: folded[i]}
		if vm.matchSlot(c, &tmp) {
			return true
		}
	}
	return false
}

func (vm *valueMatcher) matchSlot(c *evalCtx, s *slot) bool {
	switch vm.op {
	case opNull:
		return false // the field is present and not null
	case opAnyString:
		return true
	case opRegexp:
		return vm.re.MatchString(c.rawOf(s))
	case opCIDR:
		a, err := netip.ParseAddr(strings.TrimSpace(c.rawOf(s)))
		return err == nil && vm.prefix.Contains(a.Unmap().WithZone(""))
	case opLT, opLTE, opGT, opGTE:
		var f float64
		switch s.v.Kind {
		case KindNumber:
			f = s.v.Num
		case KindString:
			var err error
			if f, err = strconv.ParseFloat(strings.TrimSpace(s.v.Str), 64); err != nil {
				return false
			}
		default:
			return false
		}
		switch vm.op {
		case opLT:
			return f < vm.num
		case opLTE:
			return f <= vm.num
		case opGT:
			return f > vm.num
		}
		return f >= vm.num
	case opFieldRef:
		o := c.slotG(c.ids[vm.ref])
		if !o.present || o.v.Kind == KindList {
			return false
		}
		var hay, needle string
		if vm.cased {
			hay, needle = c.rawOf(s), c.rawOf(o)
		} else {
			hay, needle = c.foldOf(s), c.foldOf(o)
		}
		return matchOp(vm.refOp, hay, needle)
	}
	var t string
	if vm.cased {
		t = c.rawOf(s)
	} else {
		t = c.foldOf(s)
	}
	if vm.op == opGlob {
		return vm.glob.match(t)
	}
	return matchOp(vm.op, t, vm.needle)
}

func matchOp(op opKind, t, needle string) bool {
	switch op {
	case opEq:
		return t == needle
	case opPrefix:
		return strings.HasPrefix(t, needle)
	case opSuffix:
		return strings.HasSuffix(t, needle)
	case opContains:
		return strings.Contains(t, needle)
	}
	return false
}
