package index

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Indicator is one shared indicator as the index needs it.
type Indicator struct {
	ID   int64
	Kind Kind
	// Value is the normalised value (lower-case punycode domain without a
	// trailing dot, canonical CIDR, E.164 phone, hex hash, canonical URL).
	// Add applies the lookup-side normalisation again, so a value that is
	// slightly off (upper case, "1.2.3.4/24") still ends up in the form
	// lookups use.
	Value    string
	Audience Audience
	// ValidUntil is when the indicator stops being usable; zero means never.
	ValidUntil time.Time
	Revoked    bool
}

// Options configure a Builder.
type Options struct {
	// Now is the clock for expiry, at build time and at match time (from
	// many goroutines, so it must be safe for concurrent use); nil means
	// time.Now.
	Now func() time.Time
	// Members are the agencies that may use TLP:GREEN (Members) indicators.
	Members []int64
	// CallingCode is the country calling code (digits, "84" for Viet Nam)
	// used to read national phone numbers ("0912...") in Add and MatchPhone.
	// Empty means national numbers do not match.
	CallingCode string
}

// Builder collects indicators for a new Index. It is meant to run in the
// background while the previous Index serves lookups; it is not safe for
// concurrent use. A Builder is used once: Build hands its memory to the
// Index.
type Builder struct {
	opts    Options
	now     time.Time
	seed    maphash.Seed
	ips     tableBuilder // 4-byte (IPv4) and 16-byte (IPv6) keys
	domains tableBuilder
	urls    tableBuilder
	hashes  tableBuilder // raw digest bytes; the length tells the kind
	emails  tableBuilder
	phones  tableBuilder
	cidrs   prefixBuilder
	aud     audienceTable
	labels  uint64 // bit n set: some domain has n labels (n < 64)
	count   [numKinds]int
	// excluded counts indicators left out: expired, revoked or no audience.
	excluded   int
	nextExpiry time.Time
	built      bool
	scratch    []byte
}

// NewBuilder returns an empty Builder. Expiry is judged against opts.Now()
// read once here, which becomes the index's BuiltAt.
func NewBuilder(opts Options) *Builder {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.CallingCode = strings.TrimPrefix(opts.CallingCode, "+")
	if !allDigits(opts.CallingCode) {
		opts.CallingCode = ""
	}
	seed := maphash.MakeSeed()
	b := &Builder{opts: opts, now: opts.Now(), seed: seed}
	for _, t := range []*tableBuilder{&b.ips, &b.domains, &b.urls, &b.hashes, &b.emails, &b.phones} {
		t.seed = seed
	}
	return b
}

// ErrInvalid is wrapped by Add errors for values that are not a usable
// indicator of their kind.
var ErrInvalid = errors.New("invalid indicator")

// Add loads one indicator. Expired, revoked and nobody-audience indicators
// are accepted and left out (counted in Stats.Excluded). It returns an error
// wrapping ErrInvalid for a value that does not parse as its kind, and an
// error after Build.
func (b *Builder) Add(ind Indicator) error {
	if b.built {
		return fmt.Errorf("index: add indicator %d: builder already built", ind.ID)
	}
	if ind.Revoked || ind.Audience.scope == scopeNobody ||
		(!ind.ValidUntil.IsZero() && !ind.ValidUntil.After(b.now)) {
		if _, err := b.key(ind.Kind, ind.Value); err != nil {
			return fmt.Errorf("index: add indicator %d: %w", ind.ID, err)
		}
		b.excluded++
		return nil
	}
	var exp uint32
	if !ind.ValidUntil.IsZero() {
		exp = uint32(min(ind.ValidUntil.Unix(), math.MaxUint32))
		if b.nextExpiry.IsZero() || ind.ValidUntil.Before(b.nextExpiry) {
			b.nextExpiry = ind.ValidUntil
		}
	}
	aud := b.aud.intern(ind.Audience)
	if ind.Kind == KindCIDR {
		p, err := parsePrefix(ind.Value)
		if err != nil {
			return fmt.Errorf("index: add indicator %d: %w", ind.ID, err)
		}
		b.cidrs.add(p, ind.ID, aud, exp)
		b.count[KindCIDR]++
		return nil
	}
	key, err := b.key(ind.Kind, ind.Value)
	if err != nil {
		return fmt.Errorf("index: add indicator %d: %w", ind.ID, err)
	}
	t := b.table(ind.Kind)
	if !t.add(key, ind.ID, aud, exp) {
		return fmt.Errorf("index: add indicator %d: %s table full", ind.ID, ind.Kind)
	}
	if ind.Kind == KindDomain {
		if n := 1 + strings.Count(string(key), "."); n < 64 {
			b.labels |= 1 << n
		} else {
			b.labels |= 1 << 63
		}
	}
	b.count[ind.Kind]++
	return nil
}

func (b *Builder) table(k Kind) *tableBuilder {
	switch k {
	case KindIPv4, KindIPv6:
		return &b.ips
	case KindDomain:
		return &b.domains
	case KindURL:
		return &b.urls
	case KindMD5, KindSHA1, KindSHA256:
		return &b.hashes
	case KindEmail:
		return &b.emails
	case KindPhone:
		return &b.phones
	}
	return nil
}

func parsePrefix(v string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(trimSpace(v))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("cidr %q: %w", v, ErrInvalid)
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// key returns the table key for a value of kind k. The key may live in the
// builder's scratch buffer, valid until the next call.
func (b *Builder) key(k Kind, v string) ([]byte, error) {
	if b.scratch == nil {
		b.scratch = make([]byte, 0, MaxURLLen+16)
	}
	buf := b.scratch[:0]
	bad := func() ([]byte, error) { return nil, fmt.Errorf("%s %q: %w", k, clip(v), ErrInvalid) }
	switch k {
	case KindIPv4, KindIPv6:
		a, err := netip.ParseAddr(trimSpace(v))
		if err != nil {
			return bad()
		}
		a = a.WithZone("").Unmap()
		if a.Is4() != (k == KindIPv4) {
			return bad()
		}
		return a.AsSlice(), nil
	case KindCIDR:
		if _, err := parsePrefix(v); err != nil {
			return nil, err
		}
		return nil, nil
	case KindDomain:
		d, ok := appendDomain(buf, v)
		if !ok {
			a, ok := idnaDomain(v)
			if !ok {
				return bad()
			}
			d = append(buf, a...)
		}
		if !validDomain(d) {
			return bad()
		}
		return d, nil
	case KindURL:
		u, ok := appendURL(buf, v)
		if !ok {
			s, ok := slowURL(v)
			if !ok {
				return bad()
			}
			u = append(buf, s...)
		}
		return u, nil
	case KindMD5, KindSHA1, KindSHA256:
		var d [32]byte
		hk, key := decodeHash(&d, v)
		if hk != k {
			return bad()
		}
		return append(buf, key...), nil
	case KindEmail:
		e, ok := appendEmail(buf, v)
		if !ok {
			if !hasNonASCII(v) {
				return bad()
			}
			s, ok := idnaEmail(v)
			if !ok {
				return bad()
			}
			e = append(buf, s...)
		}
		return e, nil
	case KindPhone:
		p, ok := appendPhone(buf, v, b.opts.CallingCode)
		if !ok {
			return bad()
		}
		return p, nil
	}
	return nil, fmt.Errorf("kind %d: %w", k, ErrInvalid)
}

// clip keeps error messages short when a huge value is rejected.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Build returns the Index of everything added. The Builder is empty
// afterwards and refuses further Adds.
func (b *Builder) Build() *Index {
	b.built = true
	members := slices.Clone(b.opts.Members)
	slices.Sort(members)
	ix := &Index{
		ips:         b.ips.build(),
		domains:     b.domains.build(),
		urls:        b.urls.build(),
		hashes:      b.hashes.build(),
		emails:      b.emails.build(),
		phones:      b.phones.build(),
		cidrs:       b.cidrs.build(),
		vis:         visibility{members: slices.Compact(members), lists: b.aud.lists},
		labels:      b.labels,
		now:         b.opts.Now,
		callingCode: b.opts.CallingCode,
		builtAt:     b.now,
		nextExpiry:  b.nextExpiry,
		count:       b.count,
		excluded:    b.excluded,
	}
	b.aud = audienceTable{}
	return ix
}
