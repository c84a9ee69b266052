package intel

import (
	"context"
	"time"
)

// RelatedIncident is an incident that recorded an indicator's value as an
// observable.
type RelatedIncident struct {
	ID         int64     `json:"id"`
	Ref        string    `json:"ref"`
	Title      string    `json:"title"`
	Status     string    `json:"status"`
	Severity   string    `json:"severity"`
	ReportedAt time.Time `json:"reported_at"`
}

// IncidentFinder finds the incidents the caller of ctx may see whose
// observables hold a normalised value. The incident capability provides
// it (wired in internal/cli); it decides who sees what.
type IncidentFinder interface {
	IncidentsWithValue(ctx context.Context, typ, value string, limit int) ([]RelatedIncident, error)
}

type finderBox struct{ f IncidentFinder }

// SetIncidentFinder connects the incident capability.
func (s *Service) SetIncidentFinder(f IncidentFinder) { s.finder.Store(&finderBox{f}) }

// RelatedIncidents returns up to 20 incidents the caller sees that
// recorded the indicator's value; none when no finder is connected.
func (s *Service) RelatedIncidents(ctx context.Context, ind Indicator) ([]RelatedIncident, error) {
	b := s.finder.Load()
	if b == nil || b.f == nil {
		return nil, nil
	}
	return b.f.IncidentsWithValue(ctx, string(ind.Type), ind.Value, 20)
}
