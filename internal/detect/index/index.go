// Package index is the in-memory indicator index of the detection pipeline:
// it answers "which shared indicators, usable by this agency, does this
// event value hit" for IPs (exact and longest-prefix CIDR), domains (and
// their parent domains), URLs, file hashes, email addresses and phone
// numbers.
//
// An Index is immutable. It is built from a snapshot of indicators with a
// Builder, in the background, and published through a Holder whose atomic
// pointer the matching goroutines load, so the hot path takes no lock.
// Values are stored once in byte arenas and found through open-addressing
// tables of uint32 slots (no Go map, no pointer per indicator), which keeps
// a million indicators in well under 100 MB and the garbage collector idle.
// A lookup that misses allocates nothing.
package index

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

// Match is one indicator hit by a lookup.
type Match struct {
	ID   int64
	Kind Kind
}

// Index is an immutable snapshot of indicators, safe for concurrent lookups.
// The nil *Index is valid and matches nothing, so a Holder that was never
// stored into can be used as is.
type Index struct {
	ips, domains, urls, hashes, emails, phones strTable
	cidrs                                      prefixTable

	vis         visibility
	labels      uint64
	now         func() time.Time
	callingCode string
	builtAt     time.Time
	nextExpiry  time.Time
	count       [numKinds]int
	excluded    int
}

// appendVisible appends the postings of one key that agency may use and
// that have not expired since the build. now is read lazily, once per
// lookup, and only for postings that expire.
func (ix *Index) appendVisible(dst []Match, kind Kind, start []uint32, p *postings, k int, agency int64, now *int64) []Match {
	for i := start[k]; i < start[k+1]; i++ {
		if !ix.vis.allows(p.aud[i], agency) {
			continue
		}
		if e := p.exp[i]; e != 0 {
			if *now == 0 {
				*now = ix.now().Unix()
			}
			if *now >= int64(e) {
				continue
			}
		}
		dst = append(dst, Match{ID: p.ids[i], Kind: kind})
	}
	return dst
}

// MatchIP appends to dst the indicators agency may use that cover addr:
// every exact IPv4/IPv6 indicator equal to it, and the CIDR indicators of the
// longest prefix containing it among those the agency may use (a /24 shadows
// the /16 around it; an AMBER /24 of another agency does not). IPv4-mapped
// IPv6 addresses match IPv4 indicators.
func (ix *Index) MatchIP(addr netip.Addr, agency int64, dst []Match) []Match {
	if ix == nil || !addr.IsValid() {
		return dst
	}
	addr = addr.WithZone("").Unmap()
	var now int64
	if ix.ips.len() > 0 {
		kind := KindIPv6
		var k int
		if addr.Is4() {
			kind = KindIPv4
			b := addr.As4()
			k = ix.ips.findBytes(b[:])
		} else {
			b := addr.As16()
			k = ix.ips.findBytes(b[:])
		}
		if k >= 0 {
			dst = ix.appendVisible(dst, kind, ix.ips.start, &ix.ips.post, k, agency, &now)
		}
	}
	if ix.cidrs.len() > 0 {
		for p := ix.cidrs.find(addr); p >= 0; p = ix.cidrs.parent[p] {
			n := len(dst)
			dst = ix.appendVisible(dst, KindCIDR, ix.cidrs.start, &ix.cidrs.post, int(p), agency, &now)
			if len(dst) > n {
				break
			}
		}
	}
	return dst
}

// MatchDomain appends to dst the domain indicators agency may use on name or
// any of its parent domains: an indicator on "evil.example" matches
// "a.b.evil.example". name is taken as events carry it: any case, a
// trailing dot, Unicode (converted to punycode, which allocates).
func (ix *Index) MatchDomain(name string, agency int64, dst []Match) []Match {
	if ix == nil || ix.domains.len() == 0 {
		return dst
	}
	if domainIsFolded(name) {
		return ix.matchDomainString(name, agency, dst)
	}
	var buf [MaxDomainLen + 1]byte
	key, ok := appendDomain(buf[:0], name)
	if !ok {
		a, ok := idnaDomain(name)
		if !ok {
			return dst
		}
		return ix.matchDomainString(a, agency, dst)
	}
	var now int64
	labels := 1 + countDots(key)
	for {
		if labels >= 64 || ix.labels&(1<<labels) != 0 {
			if k := ix.domains.findBytes(key); k >= 0 {
				dst = ix.appendVisible(dst, KindDomain, ix.domains.start, &ix.domains.post, k, agency, &now)
			}
		}
		i := indexDot(key)
		if i < 0 {
			return dst
		}
		key = key[i+1:]
		labels--
	}
}

func (ix *Index) matchDomainString(key string, agency int64, dst []Match) []Match {
	var now int64
	labels := 1 + strings.Count(key, ".")
	for {
		if labels >= 64 || ix.labels&(1<<labels) != 0 {
			if k := ix.domains.findString(key); k >= 0 {
				dst = ix.appendVisible(dst, KindDomain, ix.domains.start, &ix.domains.post, k, agency, &now)
			}
		}
		i := strings.IndexByte(key, '.')
		if i < 0 {
			return dst
		}
		key = key[i+1:]
		labels--
	}
}

func countDots(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '.' {
			n++
		}
	}
	return n
}

func indexDot(b []byte) int {
	for i, c := range b {
		if c == '.' {
			return i
		}
	}
	return -1
}

// MatchHost matches a host name as found in a URL, an HTTP Host header or a
// TLS SNI: an IP literal (brackets and port allowed) goes to MatchIP,
// anything else to MatchDomain.
func (ix *Index) MatchHost(host string, agency int64, dst []Match) []Match {
	if ix == nil {
		return dst
	}
	if a, ok := ParseIP(host); ok {
		return ix.MatchIP(a, agency, dst)
	}
	return ix.MatchDomain(host, agency, dst)
}

// MatchURL appends to dst the URL indicators agency may use that equal u
// in the canonical form of NormalizeURL. It checks the URL only: callers
// also pass URLHost(u) to MatchHost to catch indicators on the site. A URL
// whose canonical form is longer than 512 bytes, or whose host needs
// percent-decoding or IDNA, costs an allocation.
func (ix *Index) MatchURL(u string, agency int64, dst []Match) []Match {
	if ix == nil || ix.urls.len() == 0 {
		return dst
	}
	var buf [urlStackBuf]byte
	key, ok := appendURL(buf[:0], u)
	if !ok {
		return ix.matchURLSlow(u, agency, dst)
	}
	k := ix.urls.findBytes(key)
	if k < 0 {
		return dst
	}
	var now int64
	return ix.appendVisible(dst, KindURL, ix.urls.start, &ix.urls.post, k, agency, &now)
}

func (ix *Index) matchURLSlow(u string, agency int64, dst []Match) []Match {
	key, ok := slowURL(u)
	if !ok {
		return dst
	}
	k := ix.urls.findString(key)
	if k < 0 {
		return dst
	}
	var now int64
	return ix.appendVisible(dst, KindURL, ix.urls.start, &ix.urls.post, k, agency, &now)
}

// MatchHash appends to dst the MD5, SHA-1 or SHA-256 indicators agency may
// use equal to the hex digest h (either case; the length picks the kind).
func (ix *Index) MatchHash(h string, agency int64, dst []Match) []Match {
	if ix == nil || ix.hashes.len() == 0 {
		return dst
	}
	var buf [32]byte
	kind, key := decodeHash(&buf, h)
	if kind == KindInvalid {
		return dst
	}
	k := ix.hashes.findBytes(key)
	if k < 0 {
		return dst
	}
	var now int64
	return ix.appendVisible(dst, kind, ix.hashes.start, &ix.hashes.post, k, agency, &now)
}

// MatchEmail appends to dst the email indicators agency may use equal to
// addr, compared case-insensitively; "Name <a@b>" and "mailto:" forms are
// accepted. It does not match the address's domain: pass that to
// MatchDomain if wanted.
func (ix *Index) MatchEmail(addr string, agency int64, dst []Match) []Match {
	if ix == nil || ix.emails.len() == 0 {
		return dst
	}
	var buf [MaxEmailLen + 2]byte
	key, ok := appendEmail(buf[:0], addr)
	var k int
	if ok {
		k = ix.emails.findBytes(key)
	} else {
		if !hasNonASCII(addr) {
			return dst
		}
		s, ok := idnaEmail(addr)
		if !ok {
			return dst
		}
		k = ix.emails.findString(s)
	}
	if k < 0 {
		return dst
	}
	var now int64
	return ix.appendVisible(dst, KindEmail, ix.emails.start, &ix.emails.post, k, agency, &now)
}

// MatchPhone appends to dst the phone indicators agency may use equal to the
// number after reading it as E.164 the way NormalizePhone does with
// Options.CallingCode (separators dropped, "00" as "+", national numbers of
// that country).
func (ix *Index) MatchPhone(number string, agency int64, dst []Match) []Match {
	if ix == nil || ix.phones.len() == 0 {
		return dst
	}
	var buf [maxPhoneInput + 8]byte
	key, ok := appendPhone(buf[:0], number, ix.callingCode)
	if !ok {
		return dst
	}
	k := ix.phones.findBytes(key)
	if k < 0 {
		return dst
	}
	var now int64
	return ix.appendVisible(dst, KindPhone, ix.phones.start, &ix.phones.post, k, agency, &now)
}

// Match looks value up as a value of kind and appends the hits to dst: IP
// kinds and CIDR parse value with ParseIP and call MatchIP; the hash kinds
// call MatchHash (the digest length decides); the others call the Match
// method of their kind. An unknown kind matches nothing.
func (ix *Index) Match(kind Kind, value string, agency int64, dst []Match) []Match {
	switch kind {
	case KindIPv4, KindIPv6, KindCIDR:
		a, ok := ParseIP(value)
		if !ok {
			return dst
		}
		return ix.MatchIP(a, agency, dst)
	case KindDomain:
		return ix.MatchDomain(value, agency, dst)
	case KindURL:
		return ix.MatchURL(value, agency, dst)
	case KindMD5, KindSHA1, KindSHA256:
		return ix.MatchHash(value, agency, dst)
	case KindEmail:
		return ix.MatchEmail(value, agency, dst)
	case KindPhone:
		return ix.MatchPhone(value, agency, dst)
	}
	return dst
}

// BuiltAt is the time the index judged expiry against (Options.Now when the
// Builder was made). The zero time for a nil Index.
func (ix *Index) BuiltAt() time.Time {
	if ix == nil {
		return time.Time{}
	}
	return ix.builtAt
}

// NextExpiry is the soonest ValidUntil among the loaded indicators; ok is
// false when none expires. Lookups already skip indicators past their
// ValidUntil, so rebuilding then only gives the memory back; a caller
// rebuilds at NextExpiry or on its regular schedule, whichever is first.
func (ix *Index) NextExpiry() (t time.Time, ok bool) {
	if ix == nil || ix.nextExpiry.IsZero() {
		return time.Time{}, false
	}
	return ix.nextExpiry, true
}

// Stats describe an Index for logs, metrics and the admin page.
type Stats struct {
	BuiltAt time.Time
	// NextExpiry is zero when no loaded indicator expires.
	NextExpiry time.Time
	// Loaded is the number of indicators in the index; ByKind splits it.
	Loaded int
	ByKind map[Kind]int
	// Excluded counts indicators given to Add but left out: expired,
	// revoked, or with an audience of nobody.
	Excluded int
	// Values counts distinct stored values (indicators of several agencies
	// on one value share it), CIDR prefixes included.
	Values int
	// Ranges is the number of address ranges of the CIDR table.
	Ranges int
	// Bytes is the memory held by the index's arrays.
	Bytes int
}

// Stats returns counts and size. It allocates the ByKind map.
func (ix *Index) Stats() Stats {
	if ix == nil {
		return Stats{ByKind: map[Kind]int{}}
	}
	s := Stats{
		BuiltAt:    ix.builtAt,
		NextExpiry: ix.nextExpiry,
		ByKind:     make(map[Kind]int),
		Excluded:   ix.excluded,
		Ranges:     ix.cidrs.ranges(),
	}
	for k := KindIPv4; k < numKinds; k++ {
		if n := ix.count[k]; n > 0 {
			s.ByKind[k] = n
			s.Loaded += n
		}
	}
	for _, t := range []*strTable{&ix.ips, &ix.domains, &ix.urls, &ix.hashes, &ix.emails, &ix.phones} {
		s.Values += t.len()
		s.Bytes += t.bytes()
	}
	s.Values += ix.cidrs.len()
	s.Bytes += ix.cidrs.bytes() + ix.vis.bytes()
	return s
}

// Holder publishes the current Index to the matching goroutines. The zero
// Holder is ready and holds nil (which matches nothing).
type Holder struct {
	p atomic.Pointer[Index]
}

// Load returns the current Index, possibly nil. Callers load once per batch
// of events so a batch sees one snapshot.
func (h *Holder) Load() *Index { return h.p.Load() }

// Store publishes ix; lookups that already loaded the previous Index finish
// on it, and it is freed when the last of them drops it.
func (h *Holder) Store(ix *Index) { h.p.Store(ix) }
