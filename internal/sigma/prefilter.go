package sigma

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// maxLiteral caps prefilter literals: any substring of a necessary literal
// is still necessary, and short literals keep the automaton small. The
// tail is kept because paths and file names differ most at their end.
const maxLiteral = 12

// anyField is the pseudo field of keyword searches, local and global.
const anyField = -1

// fieldLit says "field (local id) must contain lit (folded)"; the field
// anyField stands for any value of the event (keyword searches).
type fieldLit struct {
	field int
	lit   string
}

// need is a necessary condition of an expression: if the expression
// matches, then at least one of lits occurs in its field's folded text.
// ok=false means no such condition is known (the rule is always evaluated).
type need struct {
	lits []fieldLit
	ok   bool
}

// score ranks needs for an AND: the shortest literal decides how often the
// automaton fires, then the number of literals.
func (n need) score() int {
	if !n.ok {
		return -1
	}
	min := maxLiteral
	for _, l := range n.lits {
		if len(l.lit) < min {
			min = len(l.lit)
		}
	}
	return min*1000 - len(n.lits)
}

func union(ns []need) need {
	var out need
	for _, n := range ns {
		if !n.ok {
			return need{}
		}
		out.lits = append(out.lits, n.lits...)
	}
	out.ok = len(ns) > 0
	return out
}

func best(ns []need) need {
	var out need
	for _, n := range ns {
		if n.score() > out.score() {
			out = n
		}
	}
	return out
}

func needOf(n cnode) need {
	switch x := n.(type) {
	case andNode:
		ns := make([]need, len(x))
		for i, c := range x {
			ns[i] = needOf(c)
		}
		return best(ns)
	case orNode:
		ns := make([]need, len(x))
		for i, c := range x {
			ns[i] = needOf(c)
		}
		return union(ns)
	case selNode:
		return x.s.need()
	case ofNode:
		ns := make([]need, len(x.sels))
		for i, s := range x.sels {
			ns[i] = s.need()
		}
		if x.min == len(x.sels) {
			return best(ns)
		}
		return union(ns)
	}
	return need{} // not: nothing is necessary
}

func (s *selection) need() need {
	ns := make([]need, len(s.branches))
	for i, b := range s.branches {
		bs := make([]need, len(b))
		for j := range b {
			bs[j] = b[j].need()
		}
		ns[i] = best(bs)
	}
	return union(ns)
}

func (fm *fieldMatcher) need() need {
	if fm.exists != 0 || fm.absent {
		return need{}
	}
	group := func(from, to int) need {
		var out need
		for i := from; i < to; i++ {
			lit := fm.vals[i].literal()
			if lit == "" {
				return need{}
			}
			out.lits = append(out.lits, fieldLit{field: fm.field, lit: lit})
		}
		out.ok = true
		return out
	}
	if !fm.all {
		return group(0, len(fm.vals))
	}
	var gs []need
	start := 0
	for g := range fm.numGroups() {
		end := fm.groupEnd(g)
		gs = append(gs, group(start, end))
		start = end
	}
	return best(gs)
}

// literal returns a folded string that every matching value contains, or
// "" when there is none.
func (vm *valueMatcher) literal() string {
	var lit string
	switch vm.op {
	case opEq, opPrefix, opSuffix, opContains, opGlob:
		lit = vm.needle
	case opRegexp:
		lit = regexpLiteral(vm.re.String())
		if strings.ContainsRune(lit, utf8.RuneError) {
			return "" // could stand for an invalid byte in the text
		}
	default:
		return ""
	}
	lit = fold(lit)
	if len(lit) > maxLiteral {
		lit = lit[len(lit)-maxLiteral:]
	}
	return lit
}

// regexpLiteral returns the longest literal that every match of expr must
// contain: a top-level literal, or the longest literal of a top-level
// concatenation.
func regexpLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	lit := func(r *syntax.Regexp) string {
		if r.Op == syntax.OpLiteral {
			return string(r.Rune)
		}
		return ""
	}
	for re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	switch re.Op {
	case syntax.OpLiteral:
		return lit(re)
	case syntax.OpConcat:
		best := ""
		for _, s := range re.Sub {
			for s.Op == syntax.OpCapture && len(s.Sub) == 1 {
				s = s.Sub[0]
			}
			if l := lit(s); len(l) > len(best) {
				best = l
			}
		}
		return strings.Clone(best)
	}
	return ""
}
