package stix

import (
	"fmt"
	"strings"
)

// tokKind is the kind of a lexical token of the patterning language.
type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tFloat
	tTimestamp
	tHex
	tBinary
	tBool
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tStar
	tEq
	tNeq
	tLt
	tLe
	tGt
	tGe
	// Keywords. The grammar is case-sensitive: only upper case is a keyword.
	tAnd
	tOr
	tNot
	tFollowedBy
	tLike
	tMatches
	tIsSubset
	tIsSuperset
	tExists
	tIn
	tStart
	tStop
	tSeconds
	tWithin
	tRepeats
	tTimes
)

var keywords = map[string]tokKind{
	"AND": tAnd, "OR": tOr, "NOT": tNot, "FOLLOWEDBY": tFollowedBy,
	"LIKE": tLike, "MATCHES": tMatches, "ISSUBSET": tIsSubset,
	"ISSUPERSET": tIsSuperset, "EXISTS": tExists, "IN": tIn,
	"START": tStart, "STOP": tStop, "SECONDS": tSeconds,
	"WITHIN": tWithin, "REPEATS": tRepeats, "TIMES": tTimes,
}

// String renders the tokKind in the form it is written in.
func (k tokKind) String() string {
	switch k {
	case tEOF:
		return "end of pattern"
	case tIdent:
		return "identifier"
	case tString:
		return "string"
	case tInt:
		return "integer"
	case tFloat:
		return "float"
	case tTimestamp:
		return "timestamp"
	case tHex:
		return "hex literal"
	case tBinary:
		return "binary literal"
	case tBool:
		return "boolean"
	case tLBrack:
		return "'['"
	case tRBrack:
		return "']'"
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	case tColon:
		return "':'"
	case tDot:
		return "'.'"
	case tComma:
		return "','"
	case tStar:
		return "'*'"
	case tEq:
		return "'='"
	case tNeq:
		return "'!='"
	case tLt:
		return "'<'"
	case tLe:
		return "'<='"
	case tGt:
		return "'>'"
	case tGe:
		return "'>='"
	}
	for s, kk := range keywords {
		if kk == k {
			return s
		}
	}
	return fmt.Sprintf("token(%d)", int(k))
}

// token is one lexeme. text is the source text; val is the decoded content
// of string-like literals (string, timestamp, hex, binary bodies).
type token struct {
	kind tokKind
	pos  int
	text string
	val  string
}

// lexer splits a pattern into tokens on demand.
type lexer struct {
	src  string
	pos  int
	prev tokKind
}

// SyntaxError reports a malformed pattern. Pos is the byte offset in the
// pattern where the problem was found.
type SyntaxError struct {
	Pos int
	Msg string
}

// Error describes the problem.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("stix pattern: offset %d: %s", e.Pos, e.Msg)
}

func errAt(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '-' }

func (l *lexer) next() (token, error) {
	t, err := l.scan()
	if err == nil {
		l.prev = t.kind
	}
	return t, err
}

func (l *lexer) scan() (token, error) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	single := func(k tokKind) (token, error) {
		l.pos++
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	switch c {
	case '[':
		return single(tLBrack)
	case ']':
		return single(tRBrack)
	case '(':
		return single(tLParen)
	case ')':
		return single(tRParen)
	case ':':
		return single(tColon)
	case ',':
		return single(tComma)
	case '*':
		return single(tStar)
	case '=':
		if strings.HasPrefix(l.src[l.pos:], "==") {
			l.pos += 2
			return token{kind: tEq, pos: start, text: "=="}, nil
		}
		return single(tEq)
	case '!':
		if strings.HasPrefix(l.src[l.pos:], "!=") {
			l.pos += 2
			return token{kind: tNeq, pos: start, text: "!="}, nil
		}
		return token{}, errAt(start, "unexpected '!'")
	case '<':
		switch {
		case strings.HasPrefix(l.src[l.pos:], "<="):
			l.pos += 2
			return token{kind: tLe, pos: start, text: "<="}, nil
		case strings.HasPrefix(l.src[l.pos:], "<>"):
			l.pos += 2
			return token{kind: tNeq, pos: start, text: "<>"}, nil
		}
		return single(tLt)
	case '>':
		if strings.HasPrefix(l.src[l.pos:], ">=") {
			l.pos += 2
			return token{kind: tGe, pos: start, text: ">="}, nil
		}
		return single(tGt)
	case '\'':
		s, err := l.quoted()
		if err != nil {
			return token{}, err
		}
		return token{kind: tString, pos: start, text: l.src[start:l.pos], val: s}, nil
	case '.':
		// A dot after a path element is a path separator; elsewhere it
		// starts a float such as .5.
		if l.prev != tIdent && l.prev != tString && l.prev != tRBrack &&
			l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]) {
			return l.number(start)
		}
		return single(tDot)
	case '+', '-':
		return l.number(start)
	}
	if isDigit(c) {
		return l.number(start)
	}
	if isIdentStart(c) {
		// t'...', h'...' and b'...' are typed literals, not identifiers.
		if (c == 't' || c == 'h' || c == 'b') && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'' {
			l.pos++
			body, err := l.quoted()
			if err != nil {
				return token{}, err
			}
			kind := tTimestamp
			switch c {
			case 'h':
				kind = tHex
			case 'b':
				kind = tBinary
			}
			return token{kind: kind, pos: start, text: l.src[start:l.pos], val: body}, nil
		}
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		word := l.src[start:l.pos]
		if k, ok := keywords[word]; ok {
			return token{kind: k, pos: start, text: word}, nil
		}
		if word == "true" || word == "false" {
			return token{kind: tBool, pos: start, text: word}, nil
		}
		return token{kind: tIdent, pos: start, text: word}, nil
	}
	return token{}, errAt(start, "unexpected character %q", c)
}

// quoted reads a single-quoted string starting at l.pos. Only \' and \\ are
// valid escapes, as the grammar says.
func (l *lexer) quoted() (string, error) {
	start := l.pos
	l.pos++ // opening quote
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '\'':
			l.pos++
			return b.String(), nil
		case '\\':
			if l.pos+1 >= len(l.src) {
				return "", errAt(l.pos, "unterminated escape")
			}
			n := l.src[l.pos+1]
			if n != '\'' && n != '\\' {
				return "", errAt(l.pos, "invalid escape \\%c (only \\' and \\\\ are allowed)", n)
			}
			b.WriteByte(n)
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return "", errAt(start, "unterminated string")
}

// number reads an integer or float with an optional sign.
func (l *lexer) number(start int) (token, error) {
	if l.src[l.pos] == '+' || l.src[l.pos] == '-' {
		l.pos++
	}
	digits := l.pos
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	intPart := l.src[digits:l.pos]
	if l.pos < len(l.src) && l.src[l.pos] == '.' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]) {
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tFloat, pos: start, text: l.src[start:l.pos]}, nil
	}
	if intPart == "" {
		return token{}, errAt(start, "expected a number")
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return token{}, errAt(start, "integer %q has a leading zero", l.src[start:l.pos])
	}
	if l.pos < len(l.src) && isIdentStart(l.src[l.pos]) {
		return token{}, errAt(l.pos, "unexpected character %q after number", l.src[l.pos])
	}
	return token{kind: tInt, pos: start, text: l.src[start:l.pos]}, nil
}
