package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// SystemRef is an information system of the inventory (internal/sysinv)
// that an incident hit, as shown on the incident.
type SystemRef struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	OwnerAgency string `json:"owner_agency"` // the owner agency's code
	// ApprovedLevel is the security level approved by decision (0: none
	// yet); ProposedLevel the one the owner proposes.
	ApprovedLevel int    `json:"approved_level"`
	ProposedLevel int    `json:"proposed_level"`
	Status        string `json:"status"`
}

// SystemCatalog gives the inventory systems the caller may see, for
// linking. The information systems capability provides it (wired in
// internal/cli); without it incidents name their systems as free text only.
type SystemCatalog interface {
	// VisibleSystem returns the system, or errs.NotFound when the caller
	// (access.From(ctx)) may not see it.
	VisibleSystem(ctx context.Context, id int64) (SystemRef, error)
	// VisibleSystems lists the systems the caller may see, by name.
	VisibleSystems(ctx context.Context) ([]SystemRef, error)
}

// SetSystemCatalog connects the information systems inventory (it is
// wired after incidents). Call it before serving.
func (s *Service) SetSystemCatalog(c SystemCatalog) { s.systems = c }

// LinkableSystems lists the inventory systems the caller may link to an
// incident (none when no inventory is connected).
func (s *Service) LinkableSystems(ctx context.Context) ([]SystemRef, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	if s.systems == nil {
		return []SystemRef{}, nil
	}
	return s.systems.VisibleSystems(ctx)
}

// maxSystems bounds the systems linked to one incident.
const maxSystems = 50

// checkSystems verifies, before the transaction, that the caller may see
// every system in ids that is not already linked (keep). A system linked
// by someone else stays even when the editor cannot see it in the
// inventory.
func (s *Service) checkSystems(ctx context.Context, ids, keep []int64) ([]int64, error) {
	if len(ids) > maxSystems {
		return nil, errs.Field("system_ids", "at most %d systems", maxSystems)
	}
	var out []int64
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		out = append(out, id)
		if slices.Contains(keep, id) {
			continue
		}
		if id <= 0 {
			return nil, errs.Field("system_ids", "no information system has id %d", id)
		}
		if s.systems == nil {
			return nil, errs.Field("system_ids", "the information systems inventory is not available; describe the systems in words")
		}
		if _, err := s.systems.VisibleSystem(ctx, id); err != nil {
			if errs.Is(err, errs.NotFound) {
				return nil, errs.Field("system_ids", "no information system you may see has id %d", id)
			}
			return nil, err
		}
	}
	return out, nil
}

// setSystems replaces the incident's linked systems and recomputes its
// serious flag, which uses their approved level.
func (s *Service) setSystems(ctx context.Context, tx *store.Tx, id int64, ids []int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM incident_systems WHERE incident_id = ?`, id); err != nil {
		return fmt.Errorf("incident: systems: %w", err)
	}
	for _, sid := range ids {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_systems (incident_id, system_id) VALUES (?, ?)`, id, sid); err != nil {
			return fmt.Errorf("incident: link system: %w", err)
		}
	}
	return s.refreshSerious(ctx, tx, id)
}

// refreshSerious stores the serious flag from the level in force: the
// highest approved level of the linked systems, else the declared one.
func (s *Service) refreshSerious(ctx context.Context, tx *store.Tx, id int64) error {
	inc, err := s.load(ctx, tx, id)
	if err != nil {
		return err
	}
	serious := IsSerious(inc.Level(), inc.Effects, inc.Beyond)
	if serious == inc.Serious {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE incidents SET serious = ? WHERE id = ?`, serious, id); err != nil {
		return fmt.Errorf("incident: serious flag: %w", err)
	}
	return nil
}

// Level is the security level the serious-incident criterion uses: the
// highest approved level of the linked inventory systems when one has
// been approved, else the level the reporter declared.
func (inc *Incident) Level() int {
	if inc.InventoryLevel > 0 {
		return inc.InventoryLevel
	}
	return inc.SystemLevel
}

// loadSystems reads the incident's linked systems (the sysinv_systems
// table is read here, never written).
func loadSystems(ctx context.Context, q store.Querier, inc *Incident) error {
	rows, err := q.Query(ctx, `SELECT s.id, s.name, a.code, s.approved_level, s.proposed_level, s.status
		FROM incident_systems x JOIN sysinv_systems s ON s.id = x.system_id JOIN agencies a ON a.id = s.owner_agency_id
		WHERE x.incident_id = ? ORDER BY s.name, s.id`, inc.ID)
	if err != nil {
		return fmt.Errorf("incident: linked systems: %w", err)
	}
	defer rows.Close()
	inc.Systems = []SystemRef{}
	for rows.Next() {
		var r SystemRef
		if err := rows.Scan(&r.ID, &r.Name, &r.OwnerAgency, &r.ApprovedLevel, &r.ProposedLevel, &r.Status); err != nil {
			return err
		}
		inc.Systems = append(inc.Systems, r)
		inc.InventoryLevel = max(inc.InventoryLevel, r.ApprovedLevel)
	}
	return rows.Err()
}

// SystemIDs returns the ids of the linked systems.
func (inc *Incident) SystemIDs() []int64 {
	out := make([]int64, len(inc.Systems))
	for i, r := range inc.Systems {
		out[i] = r.ID
	}
	return out
}

// SystemIncidentCounts counts, per inventory system, the incidents linked
// to it and detected since since, by severity; rejected and merged
// incidents do not count. It feeds the inventory's risk score, which is
// the system's own figure whoever reads it, so it is not filtered by the
// caller's view (it discloses counts, never incidents).
func (s *Service) SystemIncidentCounts(ctx context.Context, since time.Time) (map[int64]map[Severity]int, error) {
	rows, err := s.db.Query(ctx, `SELECT x.system_id, i.severity, COUNT(*) FROM incident_systems x JOIN incidents i ON i.id = x.incident_id
		WHERE i.detected_at >= ? AND i.status NOT IN ('rejected', 'duplicate') GROUP BY x.system_id, i.severity`, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("incident: system counts: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[Severity]int{}
	for rows.Next() {
		var id int64
		var sev Severity
		var n int
		if err := rows.Scan(&id, &sev, &n); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[Severity]int{}
		}
		out[id][sev] += n
	}
	return out, rows.Err()
}

// SystemIncidents lists the most recent incidents linked to an inventory
// system that the caller may see (newest detection first), and how many
// the caller sees in all.
func (s *Service) SystemIncidents(ctx context.Context, systemID int64, limit int) ([]Incident, int, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	limit, _ = page(limit, 0)
	cond, args := visibleCond(p)
	where := cond + ` AND EXISTS (SELECT 1 FROM incident_systems x WHERE x.incident_id = i.id AND x.system_id = ?)`
	args = append(args, systemID)
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM incidents i WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("incident: count system incidents: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+incidentCols+incidentFrom+` WHERE `+where+` ORDER BY i.detected_at DESC, i.id DESC LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("incident: system incidents: %w", err)
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		inc, err := s.scanIncident(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, inc)
	}
	return out, total, rows.Err()
}

// systemNames is the linked systems' names, for the search index.
func systemNames(ctx context.Context, tx *store.Tx, id int64) (string, error) {
	rows, err := tx.Query(ctx, `SELECT s.name FROM incident_systems x JOIN sysinv_systems s ON s.id = x.system_id WHERE x.incident_id = ?`, id)
	if err != nil {
		return "", fmt.Errorf("incident: system names: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return "", err
		}
		names = append(names, n)
	}
	return strings.Join(names, " "), rows.Err()
}

// LinkSystems adds inventory systems to the incident's linked systems,
// keeping those already linked and skipping ids linked already (detection
// links the systems of alerts promoted to an incident). Linking is an edit
// of the record: the caller must be allowed to edit it (CanEdit) and to
// see each new system in the inventory, as for Update, and the change is
// journalled and audited as Update records it. Nothing new to link writes
// nothing.
func (s *Service) LinkSystems(ctx context.Context, id int64, ids []int64) (Incident, error) {
	p, err := caller(ctx)
	if err != nil {
		return Incident{}, err
	}
	before, err := s.visible(ctx, s.db, p, id)
	if err != nil {
		return Incident{}, s.audited(ctx, err)
	}
	linked := before.SystemIDs()
	var add []int64
	for _, sid := range ids {
		if !slices.Contains(linked, sid) && !slices.Contains(add, sid) {
			add = append(add, sid)
		}
	}
	if len(add) == 0 {
		return before, nil
	}
	if !CanEdit(p, &before) {
		return Incident{}, s.audited(ctx, &denial{action: "edit the incident", id: id, err: access.Deny("edit the incident")})
	}
	// The new systems are checked against the caller's view of the
	// inventory before the transaction (the inventory reads on its own).
	if _, err := s.checkSystems(ctx, append(slices.Clone(linked), add...), linked); err != nil {
		return Incident{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		cur, err := s.editable(ctx, tx, id)
		if err != nil {
			return err
		}
		all := cur.SystemIDs()
		n := len(all)
		for _, sid := range add {
			if !slices.Contains(all, sid) {
				all = append(all, sid)
			}
		}
		if len(all) == n {
			return nil
		}
		if len(all) > maxSystems {
			return errs.Field("system_ids", "at most %d systems", maxSystems)
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, s.stamp(), id); err != nil {
			return fmt.Errorf("incident: update %d: %w", id, err)
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "edited", "systems"); err != nil {
			return err
		}
		if err := s.setSystems(ctx, tx, id, all); err != nil {
			return err
		}
		if err := s.reindex(ctx, tx, id); err != nil {
			return err
		}
		if err := s.refreshDue(ctx, tx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.update", id, "systems")
	})
	if err != nil {
		return Incident{}, err
	}
	return s.load(ctx, s.db, id)
}
