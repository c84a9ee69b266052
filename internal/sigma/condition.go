package sigma

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// maxConditionDepth bounds parenthesis and not nesting, so that a hostile
// condition cannot exhaust the stack.
const maxConditionDepth = 64

// cnode is a compiled condition expression.
type cnode interface {
	eval(c *evalCtx) bool
}

type andNode []cnode
type orNode []cnode
type notNode struct{ x cnode }
type selNode struct{ s *selection }

// ofNode is "1 of x*" (min 1) or "all of x*" (min len(sels)).
type ofNode struct {
	min  int
	sels []*selection
}

func (n andNode) eval(c *evalCtx) bool {
	for _, x := range n {
		if !x.eval(c) {
			return false
		}
	}
	return true
}

func (n orNode) eval(c *evalCtx) bool {
	for _, x := range n {
		if x.eval(c) {
			return true
		}
	}
	return false
}

func (n notNode) eval(c *evalCtx) bool { return !n.x.eval(c) }

func (n selNode) eval(c *evalCtx) bool { return n.s.eval(c) }

func (n ofNode) eval(c *evalCtx) bool {
	hit, left := 0, len(n.sels)
	for _, s := range n.sels {
		left--
		if s.eval(c) {
			hit++
			if hit >= n.min {
				return true
			}
		} else if hit+left < n.min {
			return false
		}
	}
	return hit >= n.min
}

func (s *selection) eval(c *evalCtx) bool {
	for _, b := range s.branches {
		if b.eval(c) {
			return true
		}
	}
	return false
}

func (b branch) eval(c *evalCtx) bool {
	for i := range b {
		if !b[i].eval(c) {
			return false
		}
	}
	return true
}

// condParser is a recursive-descent parser for the condition grammar:
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" expr ")" | quant "of" target | name
//	quant   = "1" | "all" | "any" | positive integer
//	target  = "them" | name-pattern
//
// "not" binds tighter than "and", which binds tighter than "or".
type condParser struct {
	toks  []string
	pos   int
	depth int
	names []string
	sels  map[string]*selection
}

func parseCondition(cond string, names []string, sels map[string]*selection) (cnode, error) {
	toks, err := tokenize(cond)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errors.New("empty condition")
	}
	p := &condParser{toks: toks, names: names, sels: sels}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	return n, nil
}

func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, s[i:i+1])
			i++
		case c == '|':
			return nil, fmt.Errorf("%w: aggregation expressions (| count() ...) are deprecated; use a correlation rule", ErrUnsupported)
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()|", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) isWord(w string) bool { return strings.EqualFold(p.peek(), w) }

func (p *condParser) expr() (cnode, error) {
	var alts orNode
	for {
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
		if !p.isWord("or") {
			break
		}
		p.pos++
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return alts, nil
}

func (p *condParser) and() (cnode, error) {
	var all andNode
	for {
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		all = append(all, n)
		if !p.isWord("and") {
			break
		}
		p.pos++
	}
	if len(all) == 1 {
		return all[0], nil
	}
	return all, nil
}

func (p *condParser) unary() (cnode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxConditionDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxConditionDepth)
	}
	if p.isWord("not") {
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (cnode, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, errors.New("unexpected end")
	case t == "(":
		p.pos++
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, errors.New("missing )")
		}
		p.pos++
		return n, nil
	case t == ")":
		return nil, errors.New("unexpected )")
	}
	lower := strings.ToLower(t)
	if p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of") {
		min := 0 // 0 means all
		switch lower {
		case "all":
		case "any":
			min = 1
		default:
			n, err := strconv.Atoi(t)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad quantifier %q", t)
			}
			min = n
		}
		p.pos += 2
		target := p.peek()
		if target == "" || target == "(" || target == ")" {
			return nil, errors.New("missing target after of")
		}
		p.pos++
		sels, err := p.match(target)
		if err != nil {
			return nil, err
		}
		if min == 0 || min > len(sels) {
			if min > len(sels) {
				return nil, fmt.Errorf("%d of %s: only %d selections", min, target, len(sels))
			}
			min = len(sels)
		}
		return ofNode{min: min, sels: sels}, nil
	}
	switch lower {
	case "and", "or", "of", "them":
		return nil, fmt.Errorf("unexpected %q", t)
	}
	s, ok := p.sels[t]
	if !ok {
		return nil, fmt.Errorf("unknown selection %q", t)
	}
	p.pos++
	return selNode{s}, nil
}

// match returns the selections named by target: "them" (all, except names
// starting with an underscore) or a name pattern with '*' wildcards.
func (p *condParser) match(target string) ([]*selection, error) {
	var out []*selection
	them := strings.EqualFold(target, "them")
	for _, name := range p.names {
		if them {
			if !strings.HasPrefix(name, "_") {
				out = append(out, p.sels[name])
			}
			continue
		}
		ok, err := path.Match(target, name)
		if err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", target, err)
		}
		if ok {
			out = append(out, p.sels[name])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q matches no selection", target)
	}
	return out, nil
}
