package stix

import (
	"fmt"
	"strconv"
	"strings"
)

// Reason explains why part of a pattern could not become simple indicators.
// Expr is the canonical text of that part, so an analyst can find it.
type Reason struct {
	Expr string
	Why  string
}

// String renders the Reason in the form it is written in.
func (r Reason) String() string { return r.Why + ": " + r.Expr }

// Extraction is what Extract found in a pattern: the simple indicators and,
// for every part that could not be represented as one, the reason. A
// pattern is fully represented only when Reasons is empty.
type Extraction struct {
	Observables []Observable
	Reasons     []Reason
}

// Extract parses pattern and turns it into simple indicators. It returns a
// *SyntaxError when the pattern does not parse.
//
// What counts as simple: an OR (at the observation or comparison level) of
// equality or IN comparisons on ipv4-addr:value, ipv6-addr:value (a value
// with a '/' is a cidr), domain-name:value, url:value, file:hashes (MD5,
// SHA-1, SHA-256), file:name, email-addr:value and autonomous-system:number.
// An AND inside one observation of hashes of the same file yields each hash,
// since any one of them identifies the file; other conditions ANDed with
// those hashes are reported as dropped. Everything else (AND of different
// objects, FOLLOWEDBY, qualifiers, NOT, !=, LIKE, MATCHES, other object
// paths) is reported as a Reason, never silently dropped.
func Extract(pattern string) (Extraction, error) {
	p, err := ParsePattern(pattern)
	if err != nil {
		return Extraction{}, err
	}
	return ExtractPattern(p), nil
}

// ExtractPattern is Extract for an already parsed pattern.
func ExtractPattern(p *Pattern) Extraction {
	var x extractor
	x.seen = map[Observable]bool{}
	x.observation(p.Expr)
	return x.out
}

type extractor struct {
	out  Extraction
	seen map[Observable]bool
}

func (x *extractor) add(o Observable) {
	if !x.seen[o] {
		x.seen[o] = true
		x.out.Observables = append(x.out.Observables, o)
	}
}

func (x *extractor) reason(expr fmt.Stringer, why string) {
	x.out.Reasons = append(x.out.Reasons, Reason{Expr: expr.String(), Why: why})
}

func (x *extractor) observation(e ObservationExpr) {
	switch e := e.(type) {
	case Observation:
		x.comparison(e.Expr)
	case ObservationOp:
		if e.Op == ObsOr {
			x.observation(e.Left)
			x.observation(e.Right)
			return
		}
		x.reason(e, fmt.Sprintf("observations joined by %s need correlation, not a single indicator", e.Op))
	case Qualified:
		x.reason(e, "qualified observations (WITHIN, REPEATS, START/STOP) need correlation, not a single indicator")
	}
}

func (x *extractor) comparison(e ComparisonExpr) {
	switch e := e.(type) {
	case Comparison:
		obs, why := simple(e)
		if why != "" {
			x.reason(e, why)
			return
		}
		for _, o := range obs {
			x.add(o)
		}
	case ComparisonOp:
		if e.Op == BoolOr {
			x.comparison(e.Left)
			x.comparison(e.Right)
			return
		}
		x.conjunction(e)
	}
}

// conjunction handles an AND inside one observation. Only hashes of one
// file survive: each is an exact identifier of the file on its own.
func (x *extractor) conjunction(e ComparisonOp) {
	var leaves []Comparison
	if !flattenAnd(e, &leaves) {
		x.reason(e, "AND over an OR inside an observation is not a simple indicator")
		return
	}
	var hashes []Observable
	var rest []Comparison
	for _, c := range leaves {
		if c.Path.ObjectType == "file" && isHashPath(c.Path) {
			if obs, why := simple(c); why == "" {
				hashes = append(hashes, obs...)
				continue
			}
		}
		rest = append(rest, c)
	}
	if len(hashes) == 0 {
		x.reason(e, "AND of conditions inside an observation is not a simple indicator")
		return
	}
	for _, c := range rest {
		if c.Path.ObjectType != "file" {
			x.reason(e, "AND across object types is not a simple indicator")
			return
		}
	}
	for _, h := range hashes {
		x.add(h)
	}
	for _, c := range rest {
		x.reason(c, "condition ANDed with file hashes dropped; the hashes were kept")
	}
}

func flattenAnd(e ComparisonExpr, out *[]Comparison) bool {
	switch e := e.(type) {
	case Comparison:
		*out = append(*out, e)
		return true
	case ComparisonOp:
		if e.Op != BoolAnd {
			return false
		}
		return flattenAnd(e.Left, out) && flattenAnd(e.Right, out)
	}
	return false
}

func isHashPath(p ObjectPath) bool {
	return len(p.Steps) == 2 && p.Steps[0].Key == "hashes" && !p.Steps[0].IsIndex && !p.Steps[1].IsIndex
}

// hashType maps a STIX hash algorithm name (and the common unhyphenated
// spellings seen in the wild) to a Bulwark type.
func hashType(alg string) string {
	switch strings.ToUpper(alg) {
	case "MD5":
		return TypeMD5
	case "SHA-1", "SHA1":
		return TypeSHA1
	case "SHA-256", "SHA256":
		return TypeSHA256
	}
	return ""
}

// simple maps one comparison to observables, or says why it cannot.
func simple(c Comparison) ([]Observable, string) {
	if c.Negated {
		return nil, "negated comparison is not a simple indicator"
	}
	var values []Constant
	switch c.Op {
	case OpEq:
		values = []Constant{c.Value}
	case OpIn:
		values = c.Value.Set
	default:
		return nil, fmt.Sprintf("operator %s is not a simple indicator", c.Op)
	}
	typ, why := pathType(c.Path)
	if why != "" {
		return nil, why
	}
	out := make([]Observable, 0, len(values))
	for _, v := range values {
		var s string
		switch {
		case typ == TypeASN && v.Kind == ConstInt && v.Int >= 0 && v.Int <= 1<<32-1:
			s = strconv.FormatInt(v.Int, 10)
		case typ != TypeASN && v.Kind == ConstString && v.Str != "":
			s = v.Str
		default:
			return nil, fmt.Sprintf("value %s does not fit %s", v, c.Path)
		}
		t := typ
		if (t == TypeIPv4 || t == TypeIPv6) && strings.Contains(s, "/") {
			t = TypeCIDR
		}
		out = append(out, Observable{Type: t, Value: s})
	}
	if len(out) == 0 {
		return nil, "empty set"
	}
	return out, ""
}

func pathType(p ObjectPath) (string, string) {
	single := func(prop string) bool {
		return len(p.Steps) == 1 && !p.Steps[0].IsIndex && p.Steps[0].Key == prop
	}
	switch p.ObjectType {
	case "ipv4-addr":
		if single("value") {
			return TypeIPv4, ""
		}
	case "ipv6-addr":
		if single("value") {
			return TypeIPv6, ""
		}
	case "domain-name":
		if single("value") {
			return TypeDomain, ""
		}
	case "url":
		if single("value") {
			return TypeURL, ""
		}
	case "email-addr":
		if single("value") {
			return TypeEmail, ""
		}
	case "autonomous-system":
		if single("number") {
			return TypeASN, ""
		}
	case "file":
		if single("name") {
			return TypeFilename, ""
		}
		if isHashPath(p) {
			if t := hashType(p.Steps[1].Key); t != "" {
				return t, ""
			}
			return "", fmt.Sprintf("hash algorithm %q is not supported", p.Steps[1].Key)
		}
	}
	return "", fmt.Sprintf("object path %s is not a simple indicator", p)
}
