package stix

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// MaxPatternBytes bounds the length of a pattern ParsePattern accepts. Real
// patterns are a few hundred bytes; a large bound still stops a hostile
// bundle from making the parser chew on megabytes.
const MaxPatternBytes = 256 << 10

// maxDepth bounds nesting of brackets and parentheses so that a hostile
// pattern cannot exhaust the stack.
const maxDepth = 100

// Pattern is a parsed STIX 2.1 pattern (STIX 2.1 part 9).
type Pattern struct {
	Expr ObservationExpr
}

// String renders the pattern in canonical form; ParsePattern(p.String())
// yields an equal pattern.
func (p *Pattern) String() string { return p.Expr.String() }

// ObservationExpr is an observation expression: an Observation, an
// ObservationOp or a Qualified expression.
type ObservationExpr interface {
	String() string
	observationExpr()
}

// ComparisonExpr is the content of an observation: a Comparison or a
// ComparisonOp.
type ComparisonExpr interface {
	String() string
	comparisonExpr()
}

// Observation is one bracketed observation, [ comparison expression ].
type Observation struct {
	Pos  int
	Expr ComparisonExpr
}

// ObsOperator joins two observation expressions.
type ObsOperator int

// Observation operators, by increasing precedence: FOLLOWEDBY binds
// loosest, AND tightest.
const (
	ObsFollowedBy ObsOperator = iota + 1
	ObsOr
	ObsAnd
)

// String renders the ObsOperator in the form it is written in.
func (o ObsOperator) String() string {
	switch o {
	case ObsFollowedBy:
		return "FOLLOWEDBY"
	case ObsOr:
		return "OR"
	case ObsAnd:
		return "AND"
	}
	return "?"
}

// ObservationOp is Left Op Right at the observation level.
type ObservationOp struct {
	Op          ObsOperator
	Left, Right ObservationExpr
}

// QualifierKind says which qualifier a Qualified expression carries.
type QualifierKind int

// Qualifier kinds.
const (
	QualWithin QualifierKind = iota + 1
	QualRepeats
	QualStartStop
)

// Qualifier is WITHIN n SECONDS, REPEATS n TIMES or START t STOP t.
type Qualifier struct {
	Kind        QualifierKind
	Seconds     Constant // QualWithin: an int or float constant
	Times       int64    // QualRepeats
	Start, Stop Constant // QualStartStop: timestamp constants
}

// Qualified is an observation expression with a qualifier applied.
type Qualified struct {
	Expr      ObservationExpr
	Qualifier Qualifier
}

// BoolOperator joins two comparison expressions inside an observation.
type BoolOperator int

// Comparison-level boolean operators; AND binds tighter than OR.
const (
	BoolOr BoolOperator = iota + 1
	BoolAnd
)

// String renders the BoolOperator in the form it is written in.
func (o BoolOperator) String() string {
	if o == BoolAnd {
		return "AND"
	}
	return "OR"
}

// ComparisonOp is Left Op Right inside an observation.
type ComparisonOp struct {
	Op          BoolOperator
	Left, Right ComparisonExpr
}

// Operator is a comparison operator.
type Operator int

// Comparison operators.
const (
	OpEq Operator = iota + 1
	OpNeq
	OpLt
	OpLe
	OpGt
	OpGe
	OpIn
	OpLike
	OpMatches
	OpIsSubset
	OpIsSuperset
	OpExists
)

var opNames = [...]string{OpEq: "=", OpNeq: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=",
	OpIn: "IN", OpLike: "LIKE", OpMatches: "MATCHES", OpIsSubset: "ISSUBSET",
	OpIsSuperset: "ISSUPERSET", OpExists: "EXISTS"}

// String renders the Operator in the form it is written in.
func (o Operator) String() string {
	if o > 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "?"
}

// Comparison is one test on an object path, such as file:name = 'x'. For
// OpExists, Negated is false and Value is the zero Constant.
type Comparison struct {
	Pos     int
	Path    ObjectPath
	Negated bool
	Op      Operator
	Value   Constant
}

// ObjectPath is object-type:property followed by key and index steps.
type ObjectPath struct {
	ObjectType string
	Steps      []PathStep // Steps[0] is the first property; never empty
}

// PathStep is one step of an object path: a key (.name or .'quoted') or an
// index ([n] or [*]).
type PathStep struct {
	Key      string
	IsIndex  bool
	Index    int64
	AnyIndex bool // [*]
}

// ConstKind is the type of a Constant.
type ConstKind int

// Constant kinds.
const (
	ConstString ConstKind = iota + 1
	ConstInt
	ConstFloat
	ConstBool
	ConstTimestamp
	ConstHex
	ConstBinary
	ConstSet
)

// Constant is a literal in a pattern. Exactly the field for its Kind is set;
// Text keeps the source spelling of numbers so they render unchanged.
type Constant struct {
	Kind  ConstKind
	Str   string    // ConstString
	Int   int64     // ConstInt
	Float float64   // ConstFloat
	Bool  bool      // ConstBool
	Time  time.Time // ConstTimestamp, UTC
	Bytes []byte    // ConstHex, ConstBinary
	Set   []Constant
	Text  string // source text of ConstInt, ConstFloat, ConstTimestamp
}

func (Observation) observationExpr()   {}
func (ObservationOp) observationExpr() {}
func (Qualified) observationExpr()     {}
func (Comparison) comparisonExpr()     {}
func (ComparisonOp) comparisonExpr()   {}

// String renders the Observation in the form it is written in.
func (o Observation) String() string { return "[" + o.Expr.String() + "]" }

// String renders the ObservationOp in the form it is written in.
func (o ObservationOp) String() string {
	return obsOperand(o.Left, o.Op, false) + " " + o.Op.String() + " " + obsOperand(o.Right, o.Op, true)
}

// obsOperand parenthesises a child when the parse would otherwise group it
// differently: lower precedence on the left, lower or equal on the right.
func obsOperand(e ObservationExpr, parent ObsOperator, right bool) string {
	if op, ok := e.(ObservationOp); ok && (op.Op < parent || (right && op.Op == parent)) {
		return "(" + op.String() + ")"
	}
	return e.String()
}

// String renders the Qualified in the form it is written in.
func (q Qualified) String() string {
	inner := q.Expr.String()
	if _, ok := q.Expr.(ObservationOp); ok {
		inner = "(" + inner + ")"
	}
	return inner + " " + q.Qualifier.String()
}

// String renders the Qualifier in the form it is written in.
func (q Qualifier) String() string {
	switch q.Kind {
	case QualWithin:
		return "WITHIN " + q.Seconds.String() + " SECONDS"
	case QualRepeats:
		return "REPEATS " + strconv.FormatInt(q.Times, 10) + " TIMES"
	case QualStartStop:
		return "START " + q.Start.String() + " STOP " + q.Stop.String()
	}
	return "?"
}

// String renders the ComparisonOp in the form it is written in.
func (c ComparisonOp) String() string {
	l, r := c.Left.String(), c.Right.String()
	if op, ok := c.Left.(ComparisonOp); ok && op.Op < c.Op {
		l = "(" + l + ")"
	}
	if op, ok := c.Right.(ComparisonOp); ok && op.Op <= c.Op {
		r = "(" + r + ")"
	}
	return l + " " + c.Op.String() + " " + r
}

// String renders the Comparison in the form it is written in.
func (c Comparison) String() string {
	if c.Op == OpExists {
		return "EXISTS " + c.Path.String()
	}
	var b strings.Builder
	b.WriteString(c.Path.String())
	if c.Negated {
		b.WriteString(" NOT")
	}
	b.WriteByte(' ')
	b.WriteString(c.Op.String())
	b.WriteByte(' ')
	b.WriteString(c.Value.String())
	return b.String()
}

// String renders the path, quoting keys that are not plain identifiers.
func (p ObjectPath) String() string {
	var b strings.Builder
	b.WriteString(p.ObjectType)
	b.WriteByte(':')
	for i, s := range p.Steps {
		switch {
		case s.IsIndex && s.AnyIndex:
			b.WriteString("[*]")
		case s.IsIndex:
			b.WriteByte('[')
			b.WriteString(strconv.FormatInt(s.Index, 10))
			b.WriteByte(']')
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if isPlainKey(s.Key) {
				b.WriteString(s.Key)
			} else {
				b.WriteString(QuoteString(s.Key))
			}
		}
	}
	return b.String()
}

// Property returns the path without its object type, e.g. hashes.'SHA-256'.
func (p ObjectPath) Property() string {
	s := p.String()
	return s[len(p.ObjectType)+1:]
}

func isPlainKey(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentStart(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	if _, kw := keywords[s]; kw || s == "true" || s == "false" {
		return false
	}
	return true
}

// QuoteString renders s as a pattern string literal, escaping ' and \.
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// String renders the constant as pattern source.
func (c Constant) String() string {
	switch c.Kind {
	case ConstString:
		return QuoteString(c.Str)
	case ConstInt:
		if c.Text != "" {
			return c.Text
		}
		return strconv.FormatInt(c.Int, 10)
	case ConstFloat:
		if c.Text != "" {
			return c.Text
		}
		s := strconv.FormatFloat(c.Float, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	case ConstBool:
		return strconv.FormatBool(c.Bool)
	case ConstTimestamp:
		if c.Text != "" {
			return "t'" + c.Text + "'"
		}
		return "t'" + c.Time.UTC().Format(time.RFC3339Nano) + "'"
	case ConstHex:
		return "h'" + hex.EncodeToString(c.Bytes) + "'"
	case ConstBinary:
		return "b'" + base64.StdEncoding.EncodeToString(c.Bytes) + "'"
	case ConstSet:
		parts := make([]string, len(c.Set))
		for i, e := range c.Set {
			parts[i] = e.String()
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return "?"
}
