package decode

import (
	"bytes"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// AccessLogDecoder decodes web server access log lines in the combined log
// format (%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i", Apache's
// and nginx's default) and the common log format (the first seven fields).
// Fields after the user agent (nginx's $http_x_forwarded_for, timings) are
// ignored. Quoted fields are kept as written, with the server's escaping
// (\" or \x22) left in place: rules match on what the server logged.
type AccessLogDecoder struct {
	o Options
}

// NewAccessLogDecoder returns an access log decoder.
func NewAccessLogDecoder(o Options) *AccessLogDecoder {
	return &AccessLogDecoder{o: o.withDefaults()}
}

// Decode decodes one access log line. A line that does not have the
// common log format's shape is rejected with ReasonSyntax.
func (d *AccessLogDecoder) Decode(line []byte) (Event, error) { return d.DecodeWith(line, nil) }

// DecodeWith is Decode with storage from m (see Memory).
func (d *AccessLogDecoder) DecodeWith(line []byte, m *Memory) (Event, error) {
	if len(line) > d.o.MaxLineBytes {
		return Event{}, errAt(ReasonLineTooLong, d.o.MaxLineBytes, "line longer than the limit")
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return Event{}, errAt(ReasonEmpty, 0, "blank line")
	}
	e := newEvent(line, FormatAccessLog, 64, m)
	if err := parseAccessLog(e, e.raw, &d.o); err != nil {
		return Event{}, err
	}
	return e.finish(), nil
}

type clfScanner struct {
	s   string
	pos int
}

func (c *clfScanner) token() (string, bool) {
	s := c.s[c.pos:]
	i := strings.IndexByte(s, ' ')
	if i <= 0 {
		return "", false
	}
	c.pos += i
	c.spaces()
	return s[:i], true
}

func (c *clfScanner) spaces() {
	for c.pos < len(c.s) && c.s[c.pos] == ' ' {
		c.pos++
	}
}

// bracketed reads "[...]".
func (c *clfScanner) bracketed() (string, bool) {
	s := c.s[c.pos:]
	if len(s) == 0 || s[0] != '[' {
		return "", false
	}
	i := strings.IndexByte(s, ']')
	if i < 0 {
		return "", false
	}
	c.pos += i + 1
	c.spaces()
	return s[1:i], true
}

// quoted reads "..." where \" does not end the string.
func (c *clfScanner) quoted() (string, bool) {
	s := c.s[c.pos:]
	if len(s) == 0 || s[0] != '"' {
		return "", false
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			c.pos += i + 1
			c.spaces()
			return s[1:i], true
		}
	}
	return "", false
}

// last reads a token that may end the line.
func (c *clfScanner) last() (string, bool) {
	if t, ok := c.token(); ok {
		return t, true
	}
	s := c.s[c.pos:]
	if s == "" || strings.IndexByte(s, ' ') >= 0 {
		return "", false
	}
	c.pos = len(c.s)
	return s, true
}

func parseAccessLog(e *Event, s string, o *Options) error {
	if !utf8.ValidString(s) {
		if o.UTF8 == UTF8Reject {
			return errAt(ReasonInvalidUTF8, 0, "invalid UTF-8")
		}
		s = replaceInvalidUTF8(e, s)
	}
	bad := func(c *clfScanner, what string) error {
		return errAt(ReasonSyntax, c.pos, "access log: expected "+what)
	}
	c := &clfScanner{s: s}
	host, ok := c.token()
	if !ok {
		return bad(c, "client address")
	}
	if _, ok = c.token(); !ok {
		return bad(c, "ident")
	}
	user, ok := c.token()
	if !ok {
		return bad(c, "user")
	}
	ts, ok := c.bracketed()
	if !ok {
		return bad(c, "[time]")
	}
	req, ok := c.quoted()
	if !ok {
		return bad(c, `"request"`)
	}
	status, ok := c.token()
	if !ok || !isDigits(status) {
		return bad(c, "status")
	}
	size, ok := c.last()
	if !ok {
		return bad(c, "size")
	}
	var referrer, agent string
	if c.pos < len(c.s) {
		if referrer, ok = c.quoted(); ok {
			agent, _ = c.quoted()
		}
	}

	e.fields = e.mem.reuseFields(20)
	if e.fields == nil {
		e.fields = make([]Field, 0, 20)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		e.add(FieldSourceIP, String(host))
	} else {
		e.add("source.domain", String(host))
	}
	if user != "-" {
		e.add(FieldUserName, String(user))
	}
	e.add(FieldTimestamp, String(ts))
	e.add(FieldMessage, String(s))
	if req != "-" {
		method, rest, ok1 := strings.Cut(req, " ")
		target, version, ok2 := strings.Cut(rest, " ")
		if ok1 && method != "" && isToken(method) {
			e.add(FieldHTTPMethod, String(method))
			if !ok2 {
				target = rest
			} else {
				e.add(FieldHTTPVersion, String(strings.TrimPrefix(version, "HTTP/")))
			}
			e.add(FieldURLOriginal, String(target))
			urlParts(e, "http", "", "", target)
		} else {
			e.add(FieldURLOriginal, String(req))
		}
	}
	e.add(FieldHTTPStatus, Number(status))
	if isDigits(size) {
		e.add(FieldHTTPBytes, Number(size))
	}
	if referrer != "" && referrer != "-" {
		e.add(FieldHTTPReferrer, String(referrer))
	}
	if agent != "" && agent != "-" {
		e.add(FieldUserAgent, String(agent))
	}
	e.add(FieldEventCategory, String("web"))
	e.add(FieldEventDataset, String("accesslog"))
	return nil
}

// isToken reports whether s is an HTTP method token (letters, mostly).
func isToken(s string) bool {
	if len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
