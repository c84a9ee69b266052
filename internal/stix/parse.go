package stix

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParsePattern parses a STIX 2.1 pattern. It returns a *SyntaxError (with
// the byte offset) for malformed input and never panics.
func ParsePattern(src string) (*Pattern, error) {
	if len(src) > MaxPatternBytes {
		return nil, errAt(0, "pattern is %d bytes, more than the limit of %d", len(src), MaxPatternBytes)
	}
	p := &parser{lex: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	expr, err := p.obsFollowedBy()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("FOLLOWEDBY, OR, AND, a qualifier or the end of the pattern")
	}
	return &Pattern{Expr: expr}, nil
}

type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) unexpected(want string) error {
	got := p.tok.kind.String()
	if p.tok.text != "" {
		got = fmt.Sprintf("%q", p.tok.text)
	}
	return errAt(p.tok.pos, "expected %s, found %s", want, got)
}

func (p *parser) expect(k tokKind) (token, error) {
	if p.tok.kind != k {
		return token{}, p.unexpected(k.String())
	}
	t := p.tok
	return t, p.advance()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return errAt(p.tok.pos, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// obsBinary parses a left-associative chain of operand (op operand)*.
func (p *parser) obsBinary(tk tokKind, op ObsOperator, operand func() (ObservationExpr, error)) (ObservationExpr, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tk {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = ObservationOp{Op: op, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) obsFollowedBy() (ObservationExpr, error) {
	return p.obsBinary(tFollowedBy, ObsFollowedBy, p.obsOr)
}

func (p *parser) obsOr() (ObservationExpr, error) { return p.obsBinary(tOr, ObsOr, p.obsAnd) }

func (p *parser) obsAnd() (ObservationExpr, error) { return p.obsBinary(tAnd, ObsAnd, p.obsUnit) }

// obsUnit parses [ ... ] or ( ... ) followed by any number of qualifiers.
func (p *parser) obsUnit() (ObservationExpr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var expr ObservationExpr
	switch p.tok.kind {
	case tLBrack:
		pos := p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.cmpOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRBrack); err != nil {
			return nil, err
		}
		expr = Observation{Pos: pos, Expr: c}
	case tLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		inner, err := p.obsFollowedBy()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		expr = inner
	default:
		return nil, p.unexpected("'[' or '('")
	}
	for {
		var q Qualifier
		var err error
		switch p.tok.kind {
		case tWithin:
			q, err = p.within()
		case tRepeats:
			q, err = p.repeats()
		case tStart:
			q, err = p.startStop()
		default:
			return expr, nil
		}
		if err != nil {
			return nil, err
		}
		expr = Qualified{Expr: expr, Qualifier: q}
	}
}

func (p *parser) within() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	t := p.tok
	if t.kind != tInt && t.kind != tFloat {
		return Qualifier{}, p.unexpected("a number of seconds")
	}
	c, err := numberConst(t)
	if err != nil {
		return Qualifier{}, err
	}
	if (c.Kind == ConstInt && c.Int <= 0) || (c.Kind == ConstFloat && !(c.Float > 0)) {
		return Qualifier{}, errAt(t.pos, "WITHIN needs a positive number of seconds")
	}
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	if _, err := p.expect(tSeconds); err != nil {
		return Qualifier{}, err
	}
	return Qualifier{Kind: QualWithin, Seconds: c}, nil
}

func (p *parser) repeats() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	t := p.tok
	if t.kind != tInt {
		return Qualifier{}, p.unexpected("an integer")
	}
	c, err := numberConst(t)
	if err != nil {
		return Qualifier{}, err
	}
	if c.Int <= 0 {
		return Qualifier{}, errAt(t.pos, "REPEATS needs a positive count")
	}
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	if _, err := p.expect(tTimes); err != nil {
		return Qualifier{}, err
	}
	return Qualifier{Kind: QualRepeats, Times: c.Int}, nil
}

func (p *parser) startStop() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return Qualifier{}, err
	}
	st, err := p.expect(tTimestamp)
	if err != nil {
		return Qualifier{}, err
	}
	start, err := timestampConst(st)
	if err != nil {
		return Qualifier{}, err
	}
	if _, err := p.expect(tStop); err != nil {
		return Qualifier{}, err
	}
	sp, err := p.expect(tTimestamp)
	if err != nil {
		return Qualifier{}, err
	}
	stop, err := timestampConst(sp)
	if err != nil {
		return Qualifier{}, err
	}
	if !stop.Time.After(start.Time) {
		return Qualifier{}, errAt(sp.pos, "STOP must be later than START")
	}
	return Qualifier{Kind: QualStartStop, Start: start, Stop: stop}, nil
}

func (p *parser) cmpBinary(tk tokKind, op BoolOperator, operand func() (ComparisonExpr, error)) (ComparisonExpr, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tk {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = ComparisonOp{Op: op, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) cmpOr() (ComparisonExpr, error) { return p.cmpBinary(tOr, BoolOr, p.cmpAnd) }

func (p *parser) cmpAnd() (ComparisonExpr, error) { return p.cmpBinary(tAnd, BoolAnd, p.propTest) }

func (p *parser) propTest() (ComparisonExpr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	switch p.tok.kind {
	case tLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.cmpOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return c, nil
	case tExists:
		pos := p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		path, err := p.objectPath()
		if err != nil {
			return nil, err
		}
		return Comparison{Pos: pos, Path: path, Op: OpExists}, nil
	case tIdent:
	default:
		return nil, p.unexpected("an object path, EXISTS or '('")
	}
	pos := p.tok.pos
	path, err := p.objectPath()
	if err != nil {
		return nil, err
	}
	c := Comparison{Pos: pos, Path: path}
	if p.tok.kind == tNot {
		c.Negated = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	opTok := p.tok
	switch opTok.kind {
	case tEq, tNeq:
		c.Op = OpEq
		if opTok.kind == tNeq {
			c.Op = OpNeq
		}
	case tLt:
		c.Op = OpLt
	case tLe:
		c.Op = OpLe
	case tGt:
		c.Op = OpGt
	case tGe:
		c.Op = OpGe
	case tIn:
		c.Op = OpIn
	case tLike:
		c.Op = OpLike
	case tMatches:
		c.Op = OpMatches
	case tIsSubset:
		c.Op = OpIsSubset
	case tIsSuperset:
		c.Op = OpIsSuperset
	default:
		return nil, p.unexpected("a comparison operator")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch c.Op {
	case OpIn:
		c.Value, err = p.setLiteral()
	case OpLike, OpMatches, OpIsSubset, OpIsSuperset:
		if p.tok.kind != tString {
			return nil, p.unexpected(fmt.Sprintf("a string after %s", c.Op))
		}
		c.Value, err = p.literal()
	case OpLt, OpLe, OpGt, OpGe:
		if p.tok.kind == tBool {
			return nil, errAt(p.tok.pos, "%s cannot compare a boolean", c.Op)
		}
		c.Value, err = p.literal()
	default:
		c.Value, err = p.literal()
	}
	if err != nil {
		return nil, err
	}
	if c.Op == OpMatches {
		// MATCHES takes a PCRE; we only check that it is not empty since
		// Go's regexp syntax differs from PCRE and must not reject valid
		// patterns.
		if c.Value.Str == "" {
			return nil, errAt(opTok.pos, "MATCHES needs a non-empty regular expression")
		}
	}
	return c, nil
}

func (p *parser) objectPath() (ObjectPath, error) {
	typeTok, err := p.expect(tIdent)
	if err != nil {
		return ObjectPath{}, err
	}
	path := ObjectPath{ObjectType: typeTok.text}
	if _, err := p.expect(tColon); err != nil {
		return ObjectPath{}, err
	}
	first, err := p.pathKey()
	if err != nil {
		return ObjectPath{}, err
	}
	path.Steps = append(path.Steps, first)
	for {
		switch p.tok.kind {
		case tDot:
			if err := p.advance(); err != nil {
				return ObjectPath{}, err
			}
			k, err := p.pathKey()
			if err != nil {
				return ObjectPath{}, err
			}
			path.Steps = append(path.Steps, k)
		case tLBrack:
			if err := p.advance(); err != nil {
				return ObjectPath{}, err
			}
			step := PathStep{IsIndex: true}
			switch p.tok.kind {
			case tStar:
				step.AnyIndex = true
			case tInt:
				c, err := numberConst(p.tok)
				if err != nil {
					return ObjectPath{}, err
				}
				step.Index = c.Int
			default:
				return ObjectPath{}, p.unexpected("an index or '*'")
			}
			if err := p.advance(); err != nil {
				return ObjectPath{}, err
			}
			if _, err := p.expect(tRBrack); err != nil {
				return ObjectPath{}, err
			}
			path.Steps = append(path.Steps, step)
		default:
			return path, nil
		}
	}
}

func (p *parser) pathKey() (PathStep, error) {
	t := p.tok
	switch t.kind {
	case tIdent:
		if strings.Contains(t.text, "-") {
			return PathStep{}, errAt(t.pos, "property %q contains '-' and must be quoted: '%s'", t.text, t.text)
		}
		return PathStep{Key: t.text}, p.advance()
	case tString:
		return PathStep{Key: t.val}, p.advance()
	}
	return PathStep{}, p.unexpected("a property name")
}

func (p *parser) setLiteral() (Constant, error) {
	if _, err := p.expect(tLParen); err != nil {
		return Constant{}, err
	}
	set := Constant{Kind: ConstSet, Set: []Constant{}}
	if p.tok.kind == tRParen {
		return set, p.advance()
	}
	for {
		c, err := p.literal()
		if err != nil {
			return Constant{}, err
		}
		set.Set = append(set.Set, c)
		if p.tok.kind == tRParen {
			return set, p.advance()
		}
		if _, err := p.expect(tComma); err != nil {
			return Constant{}, err
		}
	}
}

// literal parses one primitive literal at the current token.
func (p *parser) literal() (Constant, error) {
	t := p.tok
	var c Constant
	var err error
	switch t.kind {
	case tString:
		c = Constant{Kind: ConstString, Str: t.val}
	case tInt, tFloat:
		c, err = numberConst(t)
	case tBool:
		c = Constant{Kind: ConstBool, Bool: t.text == "true"}
	case tTimestamp:
		c, err = timestampConst(t)
	case tHex:
		if len(t.val)%2 != 0 {
			return Constant{}, errAt(t.pos, "hex literal has an odd number of digits")
		}
		b, herr := hex.DecodeString(t.val)
		if herr != nil {
			return Constant{}, errAt(t.pos, "invalid hex literal")
		}
		c = Constant{Kind: ConstHex, Bytes: b}
	case tBinary:
		if t.val == "" || len(t.val)%4 != 0 {
			return Constant{}, errAt(t.pos, "invalid base64 literal")
		}
		b, berr := base64.StdEncoding.Strict().DecodeString(t.val)
		if berr != nil {
			return Constant{}, errAt(t.pos, "invalid base64 literal")
		}
		c = Constant{Kind: ConstBinary, Bytes: b}
	default:
		return Constant{}, p.unexpected("a literal")
	}
	if err != nil {
		return Constant{}, err
	}
	return c, p.advance()
}

func numberConst(t token) (Constant, error) {
	if t.kind == tFloat {
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(f, 0) {
			return Constant{}, errAt(t.pos, "invalid float %q", t.text)
		}
		return Constant{Kind: ConstFloat, Float: f, Text: t.text}, nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(t.text, "+"), 10, 64)
	if err != nil {
		return Constant{}, errAt(t.pos, "integer %q out of range", t.text)
	}
	return Constant{Kind: ConstInt, Int: n, Text: t.text}, nil
}

// timestampConst checks the t'...' body: RFC 3339 in UTC with a Z suffix,
// as the grammar requires.
func timestampConst(t token) (Constant, error) {
	s := t.val
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[10] != 'T' {
		return Constant{}, errAt(t.pos, "timestamp %q is not YYYY-MM-DDTHH:MM:SS[.s+]Z", s)
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Constant{}, errAt(t.pos, "timestamp %q: %v", s, err)
	}
	return Constant{Kind: ConstTimestamp, Time: ts.UTC(), Text: s}, nil
}
