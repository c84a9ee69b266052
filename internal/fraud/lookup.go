package fraud

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/ioc"
)

// Verdicts of the public look-up.
const (
	VerdictConfirmed    = "confirmed"     // a confirmed scam
	VerdictReported     = "reported"      // reported, under review
	VerdictNotConfirmed = "not_confirmed" // reviewed, not confirmed
	VerdictNone         = "no_reports"
)

// LookupResult is the public answer about one pasted value. It carries no
// reporter data and no report text, by construction.
type LookupResult struct {
	Query     string     `json:"query"`
	Kind      string     `json:"kind,omitempty"`
	Value     string     `json:"value,omitempty"`
	Verdict   string     `json:"verdict"`
	Reports   int        `json:"reports"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// lookupKeys normalises a pasted value into the keys subjects are indexed
// under: every plausible reading (a digit string is both a phone and an
// account number; a URL stands for its registered domain).
func lookupKeys(q string) ([]string, error) {
	ms, err := ioc.DetectAll(q)
	if err != nil {
		return nil, err
	}
	var keys []string
	add := func(k string) {
		for _, x := range keys {
			if x == k {
				return
			}
		}
		keys = append(keys, k)
	}
	for _, m := range ms {
		switch m.Type {
		case ioc.TypePhone, ioc.TypeSocial, ioc.TypeSender:
			add(m.Value)
		case ioc.TypeAccount:
			if _, digits, ok := ioc.SplitAccount(m.Value); ok {
				add(digits)
			} else {
				add(m.Value)
			}
		case ioc.TypeURL, ioc.TypeDomain:
			host, _, err := siteOf(m.Value)
			if err != nil {
				continue
			}
			if reg, err := ioc.RegisteredDomain(host); err == nil {
				add(reg)
			}
		}
	}
	return keys, nil
}

// Lookup answers the public "is this number, site or account a scam?"
// question. clientIP is used only for the rate limit. A value that is not
// a phone, site, account or profile is an Invalid error.
func (s *Service) Lookup(ctx context.Context, q, clientIP string) (LookupResult, error) {
	if !s.lookupLim.Allow("ip:" + clientIP) {
		return LookupResult{}, errs.E(errs.RateLimited, "too many look-ups from your address; wait a minute")
	}
	q = strings.TrimSpace(q)
	if q == "" {
		return LookupResult{}, errs.Field("q", "type a phone number, website or account number")
	}
	if len(q) > 2048 {
		return LookupResult{}, errs.Field("q", "is too long")
	}
	res := LookupResult{Query: q, Verdict: VerdictNone}
	keys, err := lookupKeys(q)
	if err != nil || len(keys) == 0 {
		return LookupResult{}, errs.Field("q", "this is not a phone number, website, account number or profile link")
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",")
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := s.db.Query(ctx, `SELECT kind, value, status, report_count, updated_at FROM fraud_subjects WHERE lookup_key IN (`+ph+`)`, args...)
	if err != nil {
		return LookupResult{}, fmt.Errorf("fraud: lookup: %w", err)
	}
	defer rows.Close()
	rank := map[string]int{VerdictNone: 0, VerdictNotConfirmed: 1, VerdictReported: 2, VerdictConfirmed: 3}
	for rows.Next() {
		var kind, value, status string
		var n int
		var upd time.Time
		if err := rows.Scan(&kind, &value, &status, &n, &upd); err != nil {
			return LookupResult{}, fmt.Errorf("fraud: lookup: %w", err)
		}
		v := VerdictReported
		switch Status(status) {
		case StatusConfirmed:
			v = VerdictConfirmed
		case StatusCleared, StatusInsufficient:
			v = VerdictNotConfirmed
		}
		if rank[v] > rank[res.Verdict] || (rank[v] == rank[res.Verdict] && n > res.Reports) {
			u := upd
			res.Verdict, res.Kind, res.Reports, res.UpdatedAt = v, kind, n, &u
			// The canonical value of a subject is what was typed, in
			// canonical form; an account shows only its bank and digits.
			res.Value = value
		}
	}
	if err := rows.Err(); err != nil {
		return LookupResult{}, fmt.Errorf("fraud: lookup: %w", err)
	}
	if res.Verdict == VerdictNone {
		res.Value = keys[0]
	}
	return res, nil
}
