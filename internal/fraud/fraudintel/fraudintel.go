// Package fraudintel hands the fraud capability's confirmed phishing
// domains and URLs to the threat-intelligence capability. It is the only
// place that knows both: fraud declares the IndicatorSink it needs, intel
// exposes Submit, and this adapter joins them, so neither capability
// reaches into the other's tables.
package fraudintel

import (
	"context"
	"fmt"

	"bulwark/internal/access"
	"bulwark/internal/fraud"
	"bulwark/internal/intel"
)

// Sink implements fraud.IndicatorSink over an intel service.
type Sink struct {
	Intel *intel.Service
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
