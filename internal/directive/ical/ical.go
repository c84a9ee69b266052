// Package ical writes iCalendar (RFC 5545) feeds: a VCALENDAR of all-day or
// timed VEVENTs with UID and DTSTAMP, TEXT values escaped (backslash,
// semicolon, comma, line breaks) and content lines folded at 75 octets
// without splitting a UTF-8 sequence, each ended by CRLF. It only writes;
// Bulwark publishes deadlines and meetings, it reads no calendars.
package ical

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one VEVENT. Date (YYYY-MM-DD) makes an all-day event; otherwise
// Start (and End, default one hour later) make a timed one, written in
// UTC.
type Event struct {
	UID         string
	Stamp       time.Time
	Date        string
	Start, End  time.Time
	Summary     string
	Description string
	Location    string
	URL         string
	Categories  []string
	// Status is CONFIRMED, TENTATIVE or CANCELLED ("" leaves it out).
	Status string
}

// Calendar is a VCALENDAR.
type Calendar struct {
	ProdID string
	Name   string
	Events []Event
}

// MaxLine is the longest content line in octets, CRLF excluded (RFC 5545
// section 3.1).
const MaxLine = 75

// Write encodes c to w.
func Write(w io.Writer, c Calendar) error {
	bw := bufio.NewWriter(w)
	e := encoder{w: bw}
	e.line("BEGIN:VCALENDAR")
	e.line("VERSION:2.0")
	e.line("PRODID:" + Escape(c.ProdID))
	e.line("CALSCALE:GREGORIAN")
	e.line("METHOD:PUBLISH")
	if c.Name != "" {
		e.line("X-WR-CALNAME:" + Escape(c.Name))
	}
	for _, ev := range c.Events {
		if err := e.event(ev); err != nil {
			return err
		}
	}
	e.line("END:VCALENDAR")
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

type encoder struct {
	w   *bufio.Writer
	err error
}

func (e *encoder) event(ev Event) error {
	if ev.UID == "" {
		return fmt.Errorf("ical: event %q has no UID", ev.Summary)
	}
	e.line("BEGIN:VEVENT")
	e.line("UID:" + Escape(ev.UID))
	e.line("DTSTAMP:" + ev.Stamp.UTC().Format("20060102T150405Z"))
	if ev.Date != "" {
		d, err := time.Parse("2006-01-02", ev.Date)
		if err != nil {
			return fmt.Errorf("ical: event %s: bad date %q", ev.UID, ev.Date)
		}
		e.line("DTSTART;VALUE=DATE:" + d.Format("20060102"))
		e.line("DTEND;VALUE=DATE:" + d.AddDate(0, 0, 1).Format("20060102"))
	} else {
		end := ev.End
		if end.IsZero() || !end.After(ev.Start) {
			end = ev.Start.Add(time.Hour)
		}
		e.line("DTSTART:" + ev.Start.UTC().Format("20060102T150405Z"))
		e.line("DTEND:" + end.UTC().Format("20060102T150405Z"))
	}
	e.line("SUMMARY:" + Escape(ev.Summary))
	if ev.Description != "" {
		e.line("DESCRIPTION:" + Escape(ev.Description))
	}
	if ev.Location != "" {
		e.line("LOCATION:" + Escape(ev.Location))
	}
	if ev.URL != "" {
		// URL is of type URI: not TEXT-escaped, but it must stay on its
		// logical line.
		e.line("URL:" + stripControls(ev.URL))
	}
	if len(ev.Categories) > 0 {
		cs := make([]string, len(ev.Categories))
		for i, c := range ev.Categories {
			cs[i] = Escape(c)
		}
		e.line("CATEGORIES:" + strings.Join(cs, ","))
	}
	switch ev.Status {
	case "CONFIRMED", "TENTATIVE", "CANCELLED":
		e.line("STATUS:" + ev.Status)
	}
	e.line("END:VEVENT")
	return e.err
}

// line writes one content line folded to MaxLine octets: a long line
// continues on lines that start with a space, cut only between UTF-8
// sequences.
func (e *encoder) line(s string) {
	if e.err != nil {
		return
	}
	for _, l := range Fold(s) {
		if _, err := e.w.WriteString(l + "\r\n"); err != nil {
			e.err = err
			return
		}
	}
}

// Fold splits a content line into physical lines of at most MaxLine
// octets; every line after the first begins with the single space that
// unfolding removes.
func Fold(s string) []string {
	var out []string
	limit := MaxLine
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if len(out) == 0 {
			out = append(out, s[:cut])
		} else {
			out = append(out, " "+s[:cut])
		}
		s = s[cut:]
		limit = MaxLine - 1 // room for the leading space
	}
	if len(out) == 0 {
		return []string{s}
	}
	return append(out, " "+s)
}

// Escape makes s a TEXT value: backslash, semicolon and comma escaped,
// line breaks as \n, other control characters and invalid UTF-8 dropped.
func Escape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == utf8.RuneError, r < 0x20 && r != '\t', r == 0x7f:
			// dropped: not allowed in a content line
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}
