package detect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/detect/index"
	"bulwark/internal/intel"
)

// IndicatorSource is what detection needs from threat intelligence: the
// entries usable for matching, with their audience, and a place to record
// what sensors saw. *intel.Service implements it.
type IndicatorSource interface {
	EachMatchable(ctx context.Context, fn func(intel.Matchable) error) error
	RecordSightings(ctx context.Context, ins []intel.SightingInput) ([]int64, error)
}

// IndexStats describe one index build, for logs and the rules page.
type IndexStats struct {
	index.Stats
	Skipped int           // entries of a type the index does not hold, or unusable values
	Took    time.Duration // time to stream and build
}

// audienceOf maps an entry's TLP to who may raise alerts with it. RED names
// people, not agencies: automatic detection leaves it out.
func audienceOf(m *intel.Matchable) index.Audience {
	switch m.TLP {
	case access.Clear:
		return index.Everyone()
	case access.Green:
		return index.Members()
	case access.Amber:
		return index.Agencies(append([]int64{m.OwnerAgency}, m.SharedAgencies...)...)
	case access.AmberStrict:
		return index.Agencies(m.OwnerAgency)
	}
	return index.Audience{}
}

// BuildIndex streams the usable indicators from src into a new index. Each
// entry is added with the indicator's id and the entry's audience, so an
// indicator shared by several agencies under different TLPs reaches the
// union of their audiences. members are the agencies TLP:GREEN reaches.
func BuildIndex(ctx context.Context, src IndicatorSource, opts index.Options) (*index.Index, *indicatorMeta, IndexStats, error) {
	start := time.Now()
	b := index.NewBuilder(opts)
	var mb metaBuilder
	var st IndexStats
	err := src.EachMatchable(ctx, func(m intel.Matchable) error {
		kind, err := index.ParseKind(string(m.Type))
		if err != nil {
			st.Skipped++
			return nil
		}
		ind := index.Indicator{ID: m.IndicatorID, Kind: kind, Value: m.Value, Audience: audienceOf(&m)}
		if m.ValidUntil != nil {
			ind.ValidUntil = *m.ValidUntil
		}
		if err := b.Add(ind); err != nil {
			if errors.Is(err, index.ErrInvalid) {
				st.Skipped++
				return nil
			}
			return err
		}
		mb.add(m.IndicatorID, m.Confidence)
		return nil
	})
	if err != nil {
		return nil, nil, st, fmt.Errorf("detect: build indicator index: %w", err)
	}
	ix := b.Build()
	st.Stats, st.Took = ix.Stats(), time.Since(start)
	return ix, mb.build(), st, nil
}

// MaxIndicatorLine bounds one line of an indicator file.
const MaxIndicatorLine = 64 << 10

// ReadIndicatorList builds an index for offline hunting from a plain list:
// one indicator per line, its value first and anything after a tab, comma
// or space ignored (maltrail's TSV, a column of a CSV export, a plain
// list); lines starting with '#' are comments. Every indicator is usable
// by everyone (the analyst holds the file). Ids are line numbers. It
// returns the number of lines skipped because no kind fits them.
func ReadIndicatorList(r io.Reader) (*index.Index, []string, int, error) {
	b := index.NewBuilder(index.Options{CallingCode: "84"})
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxIndicatorLine)
	var values []string
	skipped, line := 0, 0
	for sc.Scan() {
		line++
		v := strings.TrimSpace(sc.Text())
		if v == "" || v[0] == '#' {
			continue
		}
		if i := strings.IndexAny(v, "\t, "); i >= 0 {
			v = v[:i]
		}
		kind, val, ok := guessKind(v)
		if !ok {
			skipped++
			continue
		}
		if err := b.Add(index.Indicator{ID: int64(len(values) + 1), Kind: kind, Value: val, Audience: index.Everyone()}); err != nil {
			skipped++
			continue
		}
		values = append(values, val)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, skipped, fmt.Errorf("detect: read indicators line %d: %w", line+1, err)
	}
	return b.Build(), values, skipped, nil
}

// guessKind reads a bare indicator as lists write them: URLs, CIDRs,
// addresses with or without a port, hashes by length, e-mail addresses,
// domains (with a port dropped).
func guessKind(v string) (index.Kind, string, bool) {
	switch {
	case v == "" || v[0] == '/':
		return 0, "", false
	case strings.Contains(v, "://"):
		return index.KindURL, v, true
	case strings.Contains(v, "@"):
		return index.KindEmail, v, true
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return index.KindCIDR, p.Masked().String(), true
	}
	if a, ok := index.ParseIP(v); ok {
		if a.Is4() {
			return index.KindIPv4, a.String(), true
		}
		return index.KindIPv6, a.String(), true
	}
	if isHex(v) {
		switch len(v) {
		case 32:
			return index.KindMD5, v, true
		case 40:
			return index.KindSHA1, v, true
		case 64:
			return index.KindSHA256, v, true
		}
	}
	if strings.Contains(v, "/") {
		return index.KindURL, "http://" + v, true
	}
	host, _, _ := strings.Cut(v, ":")
	if a, ok := index.ParseIP(host); ok {
		if a.Is4() {
			return index.KindIPv4, a.String(), true
		}
		return index.KindIPv6, a.String(), true
	}
	if d, ok := index.NormalizeDomain(host); ok && strings.Contains(d, ".") {
		return index.KindDomain, d, true
	}
	return 0, "", false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
