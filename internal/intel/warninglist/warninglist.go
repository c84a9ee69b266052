// Package warninglist reads warning lists in the MISP warninglists JSON
// format (known-good values that make false positives: public resolvers,
// big CDNs, top domains, private and reserved ranges) and matches indicator
// values against them. A Set is immutable once built, so the intel service
// swaps a whole new Set in when an admin adds a list and matching never
// takes a lock.
package warninglist

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// MaxListBytes bounds one list file; the largest MISP lists (top domains)
// are a few MiB.
const MaxListBytes = 16 << 20

// maxEntries bounds the entries of one list.
const maxEntries = 2_000_000

// List is one warning list as written in MISP's list.json.
type List struct {
	Name               string   `json:"name"`
	Version            int      `json:"version"`
	Description        string   `json:"description"`
	Type               string   `json:"type"` // string, substring, hostname, cidr, regex
	List               []string `json:"list"`
	MatchingAttributes []string `json:"matching_attributes"`
}

// Parse reads one list in MISP warninglists JSON, checking its type and
// size. Entries are kept as written; NewSet normalises them.
func Parse(r io.Reader) (*List, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("warninglist: read: %w", err)
	}
	if len(data) > MaxListBytes {
		return nil, fmt.Errorf("warninglist: list larger than %d bytes", MaxListBytes)
	}
	var l List
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("warninglist: decode: %w", err)
	}
	if strings.TrimSpace(l.Name) == "" {
		return nil, errors.New("warninglist: the list has no name")
	}
	if len(l.Name) > 200 {
		return nil, errors.New("warninglist: name longer than 200 bytes")
	}
	switch l.Type {
	case "string", "substring", "hostname", "cidr", "regex":
	case "":
		l.Type = "string"
	default:
		return nil, fmt.Errorf("warninglist %q: unknown type %q (string, substring, hostname, cidr or regex)", l.Name, l.Type)
	}
	if len(l.List) == 0 {
		return nil, fmt.Errorf("warninglist %q: the list is empty", l.Name)
	}
	if len(l.List) > maxEntries {
		return nil, fmt.Errorf("warninglist %q: more than %d entries", l.Name, maxEntries)
	}
	return &l, nil
}

//go:embed lists/*.json
var builtin embed.FS

// Builtin returns the lists shipped with Bulwark: private and reserved
// address ranges, well-known public DNS resolvers and well-known domains.
func Builtin() ([]*List, error) {
	names, err := fs.Glob(builtin, "lists/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*List
	for _, n := range names {
		f, err := builtin.Open(n)
		if err != nil {
			return nil, err
		}
		l, err := Parse(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(n), err)
		}
		out = append(out, l)
	}
	return out, nil
}

// Hit is one list an indicator value matched.
type Hit struct {
	List  string `json:"list"`
	Entry string `json:"entry"`
}

// Set matches values against many lists. Build it with NewSet; it is safe
// for concurrent use.
type Set struct {
	exact     map[string][]int // value -> lists (string and hostname lists)
	hostnames map[string][]int // hostname-list entries, matched with parents
	prefixes  []prefixEntry
	subs      []subEntry
	regexps   []reEntry
	names     []string
}

type prefixEntry struct {
	p    netip.Prefix
	list int
}

type subEntry struct {
	s    string
	list int
}

type reEntry struct {
	re   *regexp.Regexp
	list int
}

// NewSet compiles lists into a Set. Entries that do not parse for their
// list's type (a bad CIDR, a regular expression RE2 refuses) are skipped
// and counted in skipped.
func NewSet(lists []*List) (s *Set, skipped int) {
	s = &Set{exact: map[string][]int{}, hostnames: map[string][]int{}}
	for li, l := range lists {
		s.names = append(s.names, l.Name)
		for _, raw := range l.List {
			e := strings.TrimSpace(raw)
			if e == "" {
				continue
			}
			switch l.Type {
			case "cidr":
				p, err := parsePrefix(e)
				if err != nil {
					skipped++
					continue
				}
				s.prefixes = append(s.prefixes, prefixEntry{p, li})
			case "hostname":
				h := strings.Trim(strings.ToLower(e), ".")
				s.hostnames[h] = appendOnce(s.hostnames[h], li)
			case "substring":
				s.subs = append(s.subs, subEntry{strings.ToLower(e), li})
			case "regex":
				re, err := compileMISPRegex(e)
				if err != nil {
					skipped++
					continue
				}
				s.regexps = append(s.regexps, reEntry{re, li})
			default:
				k := strings.ToLower(strings.TrimSuffix(e, "."))
				s.exact[k] = appendOnce(s.exact[k], li)
			}
		}
	}
	// Longest prefixes first would not change the answer; keep file order.
	return s, skipped
}

func appendOnce(s []int, v int) []int {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func parsePrefix(e string) (netip.Prefix, error) {
	if strings.Contains(e, "/") {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(e)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// compileMISPRegex turns MISP's PCRE-style "/pattern/flags" into RE2.
func compileMISPRegex(e string) (*regexp.Regexp, error) {
	if len(e) > 1000 {
		return nil, errors.New("regular expression too long")
	}
	if strings.HasPrefix(e, "/") {
		if i := strings.LastIndexByte(e, '/'); i > 0 {
			flags := e[i+1:]
			e = e[1:i]
			if strings.Contains(flags, "i") {
				e = "(?i)" + e
			}
		}
	}
	return regexp.Compile(e)
}

// Lists is the number of lists in the set.
func (s *Set) Lists() int { return len(s.names) }

// Names returns the lists' names in order.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// Match returns the lists that value (already normalised, of the Bulwark
// type typ) hits. Addresses and networks are checked against CIDR lists;
// domains, the host of URLs and the domain of e-mail addresses against
// hostname lists (parents included) and string lists; every value against
// string, substring and regex lists.
func (s *Set) Match(typ, value string) []Hit {
	if s == nil {
		return nil
	}
	var hits []Hit
	seen := map[int]bool{}
	add := func(li int, entry string) {
		if !seen[li] {
			seen[li] = true
			hits = append(hits, Hit{List: s.names[li], Entry: entry})
		}
	}
	v := strings.ToLower(value)
	for _, li := range s.exact[v] {
		add(li, v)
	}
	switch typ {
	case "ipv4", "ipv6", "cidr":
		var p netip.Prefix
		var err error
		if typ == "cidr" {
			p, err = netip.ParsePrefix(value)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(value)
			if err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err == nil {
			for _, pe := range s.prefixes {
				// A network hits a list when it lies inside a listed one.
				if pe.p.Addr().BitLen() == p.Addr().BitLen() && pe.p.Bits() <= p.Bits() && pe.p.Contains(p.Addr()) {
					add(pe.list, pe.p.String())
				}
			}
		}
	case "domain", "url", "email":
		host := v
		switch typ {
		case "url":
			host = urlHost(v)
		case "email":
			if i := strings.LastIndexByte(v, '@'); i >= 0 {
				host = v[i+1:]
			}
		}
		if host != v {
			for _, li := range s.exact[host] {
				add(li, host)
			}
		}
		for h := host; h != ""; {
			for _, li := range s.hostnames[h] {
				add(li, h)
			}
			i := strings.IndexByte(h, '.')
			if i < 0 {
				break
			}
			h = h[i+1:]
		}
	}
	for _, se := range s.subs {
		if strings.Contains(v, se.s) {
			add(se.list, se.s)
		}
	}
	for _, re := range s.regexps {
		if re.re.MatchString(value) {
			add(re.list, re.re.String())
		}
	}
	return hits
}

func urlHost(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	if strings.HasPrefix(u, "[") {
		if i := strings.IndexByte(u, ']'); i > 0 {
			return u[1:i]
		}
	}
	if i := strings.LastIndexByte(u, ':'); i >= 0 {
		u = u[:i]
	}
	return u
}
