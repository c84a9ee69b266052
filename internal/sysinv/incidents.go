package sysinv

import "context"

// RecentIncidents lists the newest incidents (at most limit) linked to a
// system the caller may read, keeping only those the caller may see in the
// incident capability, and how many the caller sees in all.
func (s *Service) RecentIncidents(ctx context.Context, systemID int64, limit int) ([]IncidentBrief, int, error) {
	if _, err := s.GetSystem(ctx, systemID); err != nil {
		return nil, 0, err
	}
	if s.incidents == nil {
		return []IncidentBrief{}, 0, nil
	}
	return s.incidents.SystemIncidents(ctx, systemID, limit)
}
