// Package fraudintel hands the fraud capability's confirmed phishing
// domains and URLs to the threat-intelligence capability. It is the only
// place that knows both: fraud declares the IndicatorSink it needs, intel
// exposes Submit, and this adapter joins them, so neither capability
// reaches into the other's tables.
package fraudintel

import (
	"context"
	"fmt"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/fraud"
	"bulwark/internal/intel"
)

// Sink implements fraud.IndicatorSink over an intel service.
type Sink struct {
	Intel *intel.Service
	// Now is the clock (time.Now when nil); it should be intel's.
	Now func() time.Time
}

// ShareIndicator submits one confirmed indicator as TLP:CLEAR, owned by
// the confirming analyst's agency, tagged "fraud" and "phishing", with the
// warning lists acknowledged (a confirmed scam is a human decision). It
// acts as the system: the analyst who confirmed may not hold the right to
// share intelligence, and the decision is already audited in fraud.
func (s Sink) ShareIndicator(ctx context.Context, ind fraud.Indicator) error {
	sys := access.With(ctx, access.SystemPrincipal())
	outs, err := s.Intel.Submit(sys, []intel.Input{{
		Type: ind.Type, Value: ind.Value, TLP: access.Clear, Tags: []string{"fraud", "phishing"},
		Description: ind.Description, Source: "fraud", AgencyID: ind.AgencyID, Confirm: true,
		FirstSeen: &ind.ConfirmedAt,
	}})
	if err != nil {
		return fmt.Errorf("fraudintel: submit %s: %w", ind.Type, err)
	}
	if len(outs) == 1 && outs[0].Err != nil {
		return fmt.Errorf("fraudintel: submit %s: %w", ind.Type, outs[0].Err)
	}
	return nil
}

// WithdrawIndicator ends the fraud entry of an indicator (its validity is
// set to now), leaving other sources' entries alone. An indicator intel
// does not know is not an error.
func (s Sink) WithdrawIndicator(ctx context.Context, ind fraud.Indicator) error {
	sys := access.With(ctx, access.SystemPrincipal())
	got, err := s.Intel.Lookup(sys, ind.Type, ind.Value)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil
		}
		return fmt.Errorf("fraudintel: look up %s: %w", ind.Type, err)
	}
	now := time.Now().UTC()
	if s.Now != nil {
		now = s.Now().UTC()
	}
	for _, e := range got.Entries {
		if e.Source != "fraud" || (e.ValidUntil != nil && !e.ValidUntil.After(now)) {
			continue
		}
		if _, err := s.Intel.UpdateEntry(sys, e.ID, intel.EntryUpdate{ValidUntil: &now}); err != nil {
			return fmt.Errorf("fraudintel: withdraw %s: %w", ind.Type, err)
		}
	}
	return nil
}
