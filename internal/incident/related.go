package incident

import (
	"context"
	"fmt"

	"bulwark/internal/ioc"
)

// WithObservable returns up to limit incidents the caller sees that
// recorded an observable of type t with the normalised value v, newest
// first. Observables marked TLP:RED are left out (they stay with the
// incident's named people). Threat intelligence shows them beside an
// indicator.
func (s *Service) WithObservable(ctx context.Context, t ioc.Type, v string, limit int) ([]Incident, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	cond, args := visibleCond(p)
	obs := `EXISTS (SELECT 1 FROM incident_observables o WHERE o.incident_id = i.id AND o.type = ? AND o.value = ? AND o.tlp <> 'RED')`
	args = append([]any{string(t), v}, args...)
	rows, err := s.db.Query(ctx, `SELECT `+incidentCols+incidentFrom+` WHERE `+obs+` AND `+cond+` ORDER BY i.reported_at DESC, i.id DESC LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("incident: with observable: %w", err)
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		inc, err := s.scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, rows.Err()
}
