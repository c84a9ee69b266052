package intel

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/intel/warninglist"
	"bulwark/internal/store"
)

// WarningError is the cause of the Conflict error of a single report that
// hits warning lists without Confirm; errors.As finds it for the hits.
type WarningError struct {
	Hits []warninglist.Hit
}

func (e *WarningError) Error() string {
	var names []string
	for _, h := range e.Hits {
		names = append(names, h.List)
	}
	return "on warning lists: " + strings.Join(names, "; ")
}

// Hits returns the warning lists the value of the given type hits; the
// value is normalised first (an invalid value hits nothing).
func (s *Service) Hits(typ, value string) []warninglist.Hit {
	c, err := validate(Input{Type: typ, Value: value, TLP: access.Clear}, s.now(), access.Clear)
	if err != nil {
		return nil
	}
	return s.wl.Load().Match(string(c.typ), c.value)
}

// Create records one report by the caller (analysts, coordinators,
// admins). A value on a warning list is refused with a Conflict error
// wrapping *WarningError unless in.Confirm is set. A report of an
// indicator that exists merges into it. It returns the indicator as the
// caller now sees it and whether it was created.
func (s *Service) Create(ctx context.Context, in Input) (Indicator, bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return Indicator{}, false, err
	}
	if !access.CanShareIntel(p) {
		return Indicator{}, false, s.deny(ctx, "share indicators", "indicator", "")
	}
	c, err := validate(in, s.now(), access.Amber)
	if err != nil {
		return Indicator{}, false, err
	}
	c.hits = s.wl.Load().Match(string(c.typ), c.value)
	if len(c.hits) > 0 && !in.Confirm {
		we := &WarningError{Hits: c.hits}
		return Indicator{}, false, &errs.Error{Kind: errs.Conflict, Field: "confirm",
			Msg: "the value is on a warning list (" + strings.TrimPrefix(we.Error(), "on warning lists: ") + "); confirm to record it anyway", Err: we}
	}
	var o Outcome
	err = s.transact(ctx, func(tx *store.Tx) error {
		if c.agency, err = ownerAgency(ctx, tx, p, c.agency); err != nil {
			return err
		}
		if err := checkAudience(ctx, tx, c); err != nil {
			return err
		}
		outs, err := s.upsert(ctx, tx, []clean{c}, p.UserID)
		if err != nil {
			return err
		}
		o = outs[0]
		detail := fmt.Sprintf("%s %s tlp=%s source=%s", c.typ, c.value, c.tlp, c.source)
		if len(c.hits) > 0 {
			detail += " (warning list confirmed)"
		}
		return s.record(ctx, tx, "indicator.report", "indicator", o.IndicatorID, detail)
	})
	if err != nil {
		if errs.KindOf(err) == errs.Forbidden {
			_ = s.deny(ctx, "report indicators for another agency", "indicator", "")
		}
		return Indicator{}, false, err
	}
	s.changed()
	ind, err := s.Get(ctx, o.IndicatorID)
	return ind, o.Created, err
}

// checkAudience checks that the agencies and people named exist.
func checkAudience(ctx context.Context, q store.Querier, c clean) error {
	for _, a := range c.shares {
		var ok int
		if err := q.QueryRow(ctx, `SELECT 1 FROM agencies WHERE id = ?`, a).Scan(&ok); err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.Field("share_with", "no agency has id %d", a)
			}
			return fmt.Errorf("intel: check agency: %w", err)
		}
	}
	for _, u := range c.people {
		var ok int
		if err := q.QueryRow(ctx, `SELECT 1 FROM users WHERE id = ?`, u).Scan(&ok); err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.Field("people", "no user has id %d", u)
			}
			return fmt.Errorf("intel: check user: %w", err)
		}
	}
	return nil
}

// Submit stores a batch of reports in one transaction, for other
// capabilities (fraud hands confirmed phishing domains and URLs as
// TLP:CLEAR; incidents hand flagged observables) and the API's bulk path.
// Invalid items get an Outcome with Err and are skipped; warning-list hits
// are reported in the outcome and stored (the caller decided). The caller
// must be allowed to share indicators (the system is). Sharing lists and
// named people are not checked here, only ids.
func (s *Service) Submit(ctx context.Context, ins []Input) ([]Outcome, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !access.CanShareIntel(p) {
		return nil, s.deny(ctx, "share indicators", "indicator", "")
	}
	if len(ins) > 100_000 {
		return nil, errs.E(errs.TooLarge, "at most 100000 indicators per call")
	}
	outs := make([]Outcome, len(ins))
	var good []clean
	var where []int
	now := s.now()
	set := s.wl.Load()
	err = s.transact(ctx, func(tx *store.Tx) error {
		owners := map[int64]int64{}
		for i, in := range ins {
			outs[i].Index = i
			c, err := validate(in, now, access.Amber)
			if err == nil {
				owner, ok := owners[c.agency]
				if !ok {
					owner, err = ownerAgency(ctx, tx, p, c.agency)
					if err == nil {
						owners[c.agency] = owner
					}
				}
				c.agency = owner
			}
			if err != nil {
				if errs.KindOf(err) == errs.Internal {
					return err
				}
				outs[i].Err, outs[i].Type, outs[i].Value = err, in.Type, truncate(in.Value, 200)
				continue
			}
			c.hits = set.Match(string(c.typ), c.value)
			good = append(good, c)
			where = append(where, i)
		}
		res, err := s.upsert(ctx, tx, good, p.UserID)
		if err != nil {
			return err
		}
		created, merged := 0, 0
		for j, o := range res {
			o.Index = where[j]
			outs[where[j]] = o
			if o.Created {
				created++
			} else {
				merged++
			}
		}
		return s.record(ctx, tx, "indicator.submit", "indicator", "", fmt.Sprintf("%d submitted: %d created, %d merged, %d rejected", len(ins), created, merged, len(ins)-len(good)))
	})
	if err != nil {
		return nil, err
	}
	s.changed()
	return outs, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// asWarning returns the warning-list hits of a refused Create.
func asWarning(err error) ([]warninglist.Hit, bool) {
	var we *WarningError
	if errors.As(err, &we) {
		return we.Hits, true
	}
	return nil, false
}

// WarningHits returns the hits of an error returned by Create, for pages
// and the API that show what to confirm.
func WarningHits(err error) []warninglist.Hit {
	h, _ := asWarning(err)
	return h
}
