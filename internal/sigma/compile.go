package sigma

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldMapper maps a rule's Sigma field name to the pipeline's field name
// for events of the rule's logsource, as Sigma processing pipelines do.
// It runs at compile time only.
type FieldMapper func(ls Logsource, field string) string

// MapFields returns a FieldMapper that renames the fields in m and keeps the
// others, whatever the logsource.
func MapFields(m map[string]string) FieldMapper {
	return func(_ Logsource, f string) string {
		if to, ok := m[f]; ok {
			return to
		}
		return f
	}
}

// CompileOptions adjust compilation. The zero value is usable.
type CompileOptions struct {
	// FieldMap renames rule fields; nil keeps them.
	FieldMap FieldMapper
	// Placeholders resolves the expand modifier's %name% placeholders.
	// A rule using a placeholder missing here is rejected with
	// ErrUnresolvedPlaceholder.
	Placeholders map[string][]string
}

// CompiledRule is a detection rule ready to match events. It is immutable
// and safe for concurrent use.
type CompiledRule struct {
	*Rule
	cond   cnode
	fields []string // local field id -> event field name
}

// CompileError is the error for a rule that cannot be compiled.
type CompileError struct {
	ID, Title string
	Err       error
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("rule %q (%s): %v", e.Title, e.ID, e.Err)
}

func (e *CompileError) Unwrap() error { return e.Err }

// Compile compiles a detection rule. Errors are *CompileError and name the
// rule and the problem: unknown modifiers, regular expressions Go's RE2
// engine cannot compile, unresolved placeholders, bad conditions.
func Compile(r *Rule, opts CompileOptions) (*CompiledRule, error) {
	cr, err := compile(r, opts)
	if err != nil {
		return nil, &CompileError{ID: r.ID, Title: r.Title, Err: err}
	}
	return cr, nil
}

func compile(r *Rule, opts CompileOptions) (*CompiledRule, error) {
	if r.Detection == nil {
		return nil, errors.New("not a detection rule")
	}
	c := &compiler{opts: opts, ls: r.Logsource, ids: map[string]int{}}
	sels := make(map[string]*selection, len(r.Detection.Names))
	for _, name := range r.Detection.Names {
		s, err := c.selection(name, r.Detection.nodes[name])
		if err != nil {
			return nil, fmt.Errorf("selection %q: %w", name, err)
		}
		sels[name] = s
	}
	var alts []cnode
	for _, cond := range r.Detection.Conditions {
		n, err := parseCondition(cond, r.Detection.Names, sels)
		if err != nil {
			return nil, fmt.Errorf("condition %q: %w", cond, err)
		}
		alts = append(alts, n)
	}
	var cond cnode = orNode(alts)
	if len(alts) == 1 {
		cond = alts[0]
	}
	return &CompiledRule{Rule: r, cond: cond, fields: c.names}, nil
}

// Match evaluates the rule alone against ev, without logsource checks. A
// [RuleSet] is much faster for many rules.
func (cr *CompiledRule) Match(ev Event) bool {
	c := &evalCtx{names: cr.fields, slots: make([]slot, len(cr.fields)), ids: make([]int32, len(cr.fields))}
	for i := range c.ids {
		c.ids[i] = int32(i)
	}
	c.reset(ev)
	// The rule's field ids are its own, not a RuleSet's: look up by name.
	c.idEv = nil
	return cr.cond.eval(c)
}

type compiler struct {
	opts  CompileOptions
	ls    Logsource
	ids   map[string]int
	names []string
}

// field returns the local id of a (mapped) field name.
func (c *compiler) field(name string) int {
	if c.opts.FieldMap != nil {
		name = c.opts.FieldMap(c.ls, name)
	}
	if id, ok := c.ids[name]; ok {
		return id
	}
	id := len(c.names)
	c.ids[name] = id
	c.names = append(c.names, name)
	return id
}

func (c *compiler) selection(name string, n *yaml.Node) (*selection, error) {
	s := &selection{name: name}
	switch n.Kind {
	case yaml.MappingNode:
		b, err := c.branch(n)
		if err != nil {
			return nil, err
		}
		s.branches = append(s.branches, b)
	case yaml.SequenceNode:
		var keywords []*yaml.Node
		for _, e := range n.Content {
			switch e.Kind {
			case yaml.MappingNode:
				b, err := c.branch(e)
				if err != nil {
					return nil, err
				}
				s.branches = append(s.branches, b)
			case yaml.ScalarNode:
				keywords = append(keywords, e)
			default:
				return nil, fmt.Errorf("line %d: list items must be mappings or keywords, got a %s", e.Line, kindName(e))
			}
		}
		if len(keywords) > 0 {
			fm, err := c.fieldMatcher("", nil, keywords)
			if err != nil {
				return nil, err
			}
			s.branches = append(s.branches, branch{fm})
		}
	case yaml.ScalarNode:
		fm, err := c.fieldMatcher("", nil, []*yaml.Node{n})
		if err != nil {
			return nil, err
		}
		s.branches = append(s.branches, branch{fm})
	default:
		return nil, fmt.Errorf("line %d: unexpected %s", n.Line, kindName(n))
	}
	if len(s.branches) == 0 {
		return nil, errors.New("empty selection")
	}
	return s, nil
}

func (c *compiler) branch(n *yaml.Node) (branch, error) {
	var b branch
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		parts := strings.Split(k.Value, "|")
		var vals []*yaml.Node
		switch v.Kind {
		case yaml.ScalarNode:
			vals = []*yaml.Node{v}
		case yaml.SequenceNode:
			for _, e := range v.Content {
				if e.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("line %d: field %q: values must be scalars, got a %s", e.Line, parts[0], kindName(e))
				}
			}
			vals = v.Content
		default:
			return nil, fmt.Errorf("line %d: field %q: values must be scalars, got a %s", v.Line, parts[0], kindName(v))
		}
		fm, err := c.fieldMatcher(parts[0], parts[1:], vals)
		if err != nil {
			if parts[0] != "" {
				return nil, fmt.Errorf("field %q: %w", parts[0], err)
			}
			return nil, err
		}
		b = append(b, fm)
	}
	if len(b) == 0 {
		return nil, errors.New("empty mapping")
	}
	return b, nil
}

// scalarText returns a scalar's value in the form event text is compared
// against: integers in decimal (YAML allows 0x10), null as ok=false.
func scalarText(n *yaml.Node) (string, bool) {
	switch n.ShortTag() {
	case "!!null":
		return "", false
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return strconv.FormatInt(i, 10), true
		}
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return "true", true
		case "false", "no", "off", "n":
			return "false", true
		}
	}
	return n.Value, true
}

func (c *compiler) fieldMatcher(field string, modNames []string, vals []*yaml.Node) (fieldMatcher, error) {
	mods, err := parseModifiers(modNames)
	if err != nil {
		return fieldMatcher{}, err
	}
	fm := fieldMatcher{field: -1, name: field, all: mods.all}
	if field != "" {
		fm.field = c.field(field)
	}
	if len(vals) == 0 {
		return fm, errors.New("empty value list")
	}
	if mods.exists {
		if fm.field < 0 || len(vals) != 1 || vals[0].ShortTag() != "!!bool" {
			return fm, errors.New("exists needs a field and one boolean value")
		}
		t, _ := scalarText(vals[0])
		fm.exists = -1
		if t == "true" {
			fm.exists = 1
		}
		fm.absent = fm.exists < 0
		return fm, nil
	}
	for _, v := range vals {
		text, ok := scalarText(v)
		if !ok {
			if fm.field < 0 {
				return fm, errors.New("null is not a keyword")
			}
			fm.vals = append(fm.vals, valueMatcher{op: opNull})
			fm.groups = append(fm.groups, len(fm.vals))
			continue
		}
		vms, err := c.values(text, mods, fm.field < 0)
		if err != nil {
			return fm, fmt.Errorf("value %q: %w", text, err)
		}
		// Alternatives of one value (windash, expand, base64offset) stay
		// an OR group even under all.
		fm.vals = append(fm.vals, vms...)
		fm.groups = append(fm.groups, len(fm.vals))
		if len(fm.vals) > maxFieldValues {
			return fm, fmt.Errorf("more than %d values", maxFieldValues)
		}
	}
	// A null value in the list matches a missing field; under all, a
	// missing field can only satisfy a list of nothing but nulls.
	for _, vm := range fm.vals {
		if vm.op == opNull {
			fm.absent = true
		} else if fm.all {
			fm.absent = false
			break
		}
	}
	if len(fm.groups) == len(fm.vals) {
		fm.groups = nil // no alternatives: all is plain AND over vals
	}
	return fm, nil
}

// values compiles one rule value into its alternatives.
func (c *compiler) values(text string, mods modifiers, keyword bool) ([]valueMatcher, error) {
	switch {
	case mods.re:
		if len(text) > maxRegexpLen {
			return nil, fmt.Errorf("regular expression longer than %d bytes", maxRegexpLen)
		}
		expr := text
		if mods.reFlags != "" {
			expr = "(?" + mods.reFlags + ")" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("regular expression not supported by Go's RE2 engine: %w", err)
		}
		return []valueMatcher{{op: opRegexp, re: re, cased: true}}, nil
	case mods.cidr:
		p, err := netip.ParsePrefix(strings.TrimSpace(text))
		if err != nil {
			return nil, fmt.Errorf("cidr: %w", err)
		}
		return []valueMatcher{{op: opCIDR, prefix: p.Masked()}}, nil
	case mods.cmp != "":
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("%s needs a number", mods.cmp)
		}
		op := map[string]opKind{"lt": opLT, "lte": opLTE, "gt": opGT, "gte": opGTE}[mods.cmp]
		return []valueMatcher{{op: op, num: f}}, nil
	case mods.fieldref:
		if keyword {
			return nil, errors.New("fieldref needs a field")
		}
		op := opEq
		switch {
		case mods.contains:
			op = opContains
		case mods.startswith:
			op = opPrefix
		case mods.endswith:
			op = opSuffix
		}
		return []valueMatcher{{op: opFieldRef, ref: c.field(text), refOp: op, cased: mods.cased}}, nil
	}

	pats := []pattern{parsePattern(text)}
	if mods.expand {
		var err error
		if pats, err = expandPlaceholders(pats[0], c.opts.Placeholders); err != nil {
			return nil, err
		}
	}
	if mods.windash {
		var out []pattern
		for _, p := range pats {
			ps, err := expandWindash(p)
			if err != nil {
				return nil, err
			}
			out = append(out, ps...)
			if len(out) > maxValuesPerField {
				return nil, fmt.Errorf("more than %d values", maxValuesPerField)
			}
		}
		pats = out
	}
	cased := mods.cased
	if mods.encoding != "" || mods.base64 || mods.base64offset {
		var out []pattern
		for _, p := range pats {
			if p.hasWildcards() {
				return nil, errors.New("wildcards cannot be encoded (wide/utf16/base64)")
			}
			s := encodeText(p.literal(), mods.encoding)
			switch {
			case mods.base64:
				out = append(out, literalPattern(b64(s)))
			case mods.base64offset:
				for _, e := range base64Offsets(s) {
					out = append(out, literalPattern(e))
				}
			default:
				out = append(out, literalPattern(s))
			}
		}
		pats = out
		// Base64 text is case-significant.
		cased = cased || mods.base64 || mods.base64offset
	}
	lead := mods.contains || mods.endswith || keyword
	trail := mods.contains || mods.startswith || keyword
	vms := make([]valueMatcher, 0, len(pats))
	for _, p := range pats {
		vms = append(vms, compilePattern(p.wrap(lead, trail), cased))
	}
	return vms, nil
}

// compilePattern picks the cheapest string test equivalent to p.
func compilePattern(p pattern, cased bool) valueMatcher {
	if !cased {
		p = p.mapLiterals(fold)
	}
	vm := valueMatcher{cased: cased}
	lead := len(p) > 0 && p[0].wild == '*'
	trail := len(p) > 0 && p[len(p)-1].wild == '*'
	inner := p
	if lead {
		inner = inner[1:]
	}
	if trail && len(inner) > 0 {
		inner = inner[:len(inner)-1]
	}
	switch {
	case len(p) == 1 && p[0].wild == '*':
		vm.op = opAnyString
	case !inner.hasWildcards():
		vm.needle = inner.literal()
		switch {
		case lead && trail:
			vm.op = opContains
		case lead:
			vm.op = opSuffix
		case trail:
			vm.op = opPrefix
		default:
			vm.op = opEq
		}
	default:
		vm.op = opGlob
		vm.glob = newGlob(p)
		vm.needle = p.longestLiteral()
	}
	return vm
}
