package detect

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/store"
)

// Alert statuses.
const (
	StatusNew          = "new"
	StatusAcknowledged = "acknowledged"
	StatusDismissed    = "dismissed"
	StatusPromoted     = "promoted"
)

// Statuses lists the alert statuses in workflow order.
var Statuses = []string{StatusNew, StatusAcknowledged, StatusDismissed, StatusPromoted}

// Observable is a value of an alert that an incident can record.
type Observable struct {
	Type  string `json:"type"` // internal/ioc type name
	Value string `json:"value"`
}

// Alert is a deduplicated detection: every hit of one rule or indicator on
// one source and key entity within the dedup window.
type Alert struct {
	ID         int64  `json:"id"`
	AgencyID   int64  `json:"agency_id"`
	SourceID   int64  `json:"source_id"`
	SourceName string `json:"source_name"`
	// Kind is rule, indicator or correlation; MatchKey the rule id or the
	// indicator id.
	Kind     string `json:"kind"`
	MatchKey string `json:"match_key"`
	Entity   string `json:"entity"`
	Title    string `json:"title"`
	// Author credits the Sigma rule's author, as the Detection Rule
	// License requires.
	Author      string       `json:"author,omitempty"`
	Severity    string       `json:"severity"`
	Tags        []string     `json:"tags,omitempty"`
	Status      string       `json:"status"`
	Reason      string       `json:"reason,omitempty"`
	IncidentID  int64        `json:"incident_id,omitempty"`
	Hits        int64        `json:"hits"`
	FirstSeen   time.Time    `json:"first_seen"`
	LastSeen    time.Time    `json:"last_seen"`
	Samples     []string     `json:"samples,omitempty"`
	Observables []Observable `json:"observables,omitempty"`
	// System is the information system hit, shown only to readers who may
	// see it (systems.go).
	System *AlertSystem `json:"system,omitempty"`
}

// AlertFilter selects alerts. Zero fields do not filter.
type AlertFilter struct {
	AgencyID int64
	SourceID int64
	Status   string
	Severity string // at least this severity
	Kind     string
	Query    string // in the title or entity
	Since    time.Time
	Limit    int
	Offset   int
}

const alertColumns = `a.id, a.agency_id, a.source_id, s.name, a.kind, a.match_key, a.entity, a.title, a.author, a.severity, a.tags, a.status, a.reason,
	COALESCE(a.incident_id, 0), a.hits, a.first_seen, a.last_seen, a.samples, a.observables,
	COALESCE(a.system_id, 0), a.system_name, COALESCE(a.system_owner_agency_id, 0), a.system_tlp, a.system_match`

func scanAlert(sc interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var tags, samples, obs string
	var sys AlertSystem
	var tlp string
	if err := sc.Scan(&a.ID, &a.AgencyID, &a.SourceID, &a.SourceName, &a.Kind, &a.MatchKey, &a.Entity, &a.Title, &a.Author, &a.Severity, &tags,
		&a.Status, &a.Reason, &a.IncidentID, &a.Hits, &a.FirstSeen, &a.LastSeen, &samples, &obs,
		&sys.ID, &sys.Name, &sys.owner, &tlp, &sys.Matched); err != nil {
		return Alert{}, err
	}
	if sys.ID != 0 {
		sys.tlp, sys.Via = access.TLP(tlp), "address"
		if sys.Matched == "" {
			sys.Via = "source"
		}
		a.System = &sys
	}
	a.Tags = strings.Fields(tags)
	_ = json.Unmarshal([]byte(samples), &a.Samples)
	_ = json.Unmarshal([]byte(obs), &a.Observables)
	return a, nil
}

// ListAlerts returns the alerts the caller sees, newest activity first,
// and their total: its agency's, or every agency's for coordinators.
func (s *Service) ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, int, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !access.CanListAllDetection(p) {
		if f.AgencyID != 0 && f.AgencyID != p.AgencyID {
			return nil, 0, access.Deny("see another agency's alerts")
		}
		f.AgencyID = p.AgencyID
	}
	var where []string
	var args []any
	if f.AgencyID != 0 {
		where, args = append(where, "a.agency_id = ?"), append(args, f.AgencyID)
	}
	if f.SourceID != 0 {
		where, args = append(where, "a.source_id = ?"), append(args, f.SourceID)
	}
	if f.Status != "" {
		if !slices.Contains(Statuses, f.Status) {
			return nil, 0, errs.Field("status", "must be one of %s", strings.Join(Statuses, ", "))
		}
		where, args = append(where, "a.status = ?"), append(args, f.Status)
	}
	if f.Severity != "" {
		r := severityRank(f.Severity)
		if r < 0 {
			return nil, 0, errs.Field("severity", "must be one of %s", strings.Join(Severities, ", "))
		}
		ph := make([]string, 0, len(Severities))
		for _, sv := range Severities[r:] {
			ph, args = append(ph, "?"), append(args, sv)
		}
		where = append(where, "a.severity IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Kind != "" {
		if f.Kind != HitRule && f.Kind != HitIndicator && f.Kind != HitCorrelation {
			return nil, 0, errs.Field("kind", "must be rule, indicator or correlation")
		}
		where, args = append(where, "a.kind = ?"), append(args, f.Kind)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if len(q) > 200 {
			return nil, 0, errs.Field("q", "at most 200 characters")
		}
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
		where, args = append(where, `(LOWER(a.title) LIKE ? ESCAPE '\' OR LOWER(a.entity) LIKE ? ESCAPE '\')`), append(args, like, like)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "a.last_seen >= ?"), append(args, f.Since)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM detect_alerts a`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("detect: count alerts: %w", store.Translate(err))
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT `+alertColumns+` FROM detect_alerts a JOIN detect_sources s ON s.id = a.source_id`+cond+
		` ORDER BY a.last_seen DESC, a.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("detect: list alerts: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("detect: list alerts: %w", err)
		}
		s.showSystem(p, &a)
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// GetAlert returns an alert the caller sees.
func (s *Service) GetAlert(ctx context.Context, id int64) (Alert, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Alert{}, err
	}
	a, err := s.getAlert(ctx, s.db, id)
	if err != nil {
		return Alert{}, err
	}
	if !access.CanReadDetection(p, a.AgencyID) {
		return Alert{}, errs.E(errs.NotFound, "no such alert")
	}
	s.showSystem(p, &a)
	return a, nil
}

func (s *Service) getAlert(ctx context.Context, q store.Querier, id int64) (Alert, error) {
	a, err := scanAlert(q.QueryRow(ctx, `SELECT `+alertColumns+` FROM detect_alerts a JOIN detect_sources s ON s.id = a.source_id WHERE a.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Alert{}, errs.E(errs.NotFound, "no such alert")
	}
	if err != nil {
		return Alert{}, fmt.Errorf("detect: get alert %d: %w", id, store.Translate(err))
	}
	return a, nil
}

// MaxReason bounds a dismissal reason.
const MaxReason = 1000

// SetAlertStatus acknowledges an alert, dismisses it (reason required) or
// reopens it as new. Promotion goes through Promote.
func (s *Service) SetAlertStatus(ctx context.Context, id int64, status, reason string) (Alert, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Alert{}, err
	}
	reason = strings.TrimSpace(reason)
	switch status {
	case StatusNew, StatusAcknowledged:
		reason = ""
	case StatusDismissed:
		if reason == "" {
			return Alert{}, errs.Field("reason", "say why the alert is dismissed")
		}
		if len(reason) > MaxReason {
			return Alert{}, errs.Field("reason", "at most %d bytes", MaxReason)
		}
	case StatusPromoted:
		return Alert{}, errs.Field("status", "promote an alert to an incident with the promote action")
	default:
		return Alert{}, errs.Field("status", "must be new, acknowledged or dismissed")
	}
	var out Alert
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := s.getAlert(ctx, tx, id)
		if err != nil {
			return err
		}
		if !access.CanReadDetection(p, a.AgencyID) {
			return errs.E(errs.NotFound, "no such alert")
		}
		if !access.CanTriageAlert(p, a.AgencyID) {
			return access.Deny("triage this alert")
		}
		if a.Status == StatusPromoted {
			return errs.E(errs.Conflict, "the alert was promoted to an incident")
		}
		if _, err := tx.Exec(ctx, `UPDATE detect_alerts SET status = ?, reason = ?, updated_at = ? WHERE id = ?`, status, reason, s.now(), id); err != nil {
			return fmt.Errorf("detect: set alert %d status: %w", id, store.Translate(err))
		}
		if err := s.audit.Record(ctx, tx, audit.Entry{Action: "detect.alert." + status, ObjectType: "detect_alert", ObjectID: strconv.FormatInt(id, 10),
			AgencyID: a.AgencyID, Detail: reason}); err != nil {
			return err
		}
		a.Status, a.Reason = status, reason
		s.showSystem(p, &a)
		out = a
		return nil
	})
	return out, err
}

// PromoteInput promotes alerts: to the existing incident IncidentID (the
// systems the alerts hit that the caller sees are added to its linked
// systems when the caller may edit it), or to a new incident from Incident
// (its title defaults to the first alert's, its linked systems to those
// the alerts hit that the caller sees).
type PromoteInput struct {
	AlertIDs   []int64         `json:"alert_ids"`
	IncidentID int64           `json:"incident_id,omitempty"`
	Incident   *incident.Input `json:"incident,omitempty"`
}

// MaxPromote bounds the alerts promoted at once.
const MaxPromote = 100

// Promote attaches alerts and their observables to an incident, new or
// existing, and marks them promoted. The incident service checks that the
// caller may create or contribute to the incident.
func (s *Service) Promote(ctx context.Context, in PromoteInput) (incident.Incident, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return incident.Incident{}, err
	}
	if s.inc == nil {
		return incident.Incident{}, errs.E(errs.Unavailable, "incidents are not available")
	}
	if len(in.AlertIDs) == 0 || len(in.AlertIDs) > MaxPromote {
		return incident.Incident{}, errs.Field("alert_ids", "name 1 to %d alerts", MaxPromote)
	}
	if (in.IncidentID == 0) == (in.Incident == nil) {
		return incident.Incident{}, errs.Field("incident_id", "name an existing incident or describe a new one, not both")
	}
	var alerts []Alert
	for _, id := range in.AlertIDs {
		a, err := s.GetAlert(ctx, id)
		if err != nil {
			return incident.Incident{}, err
		}
		if !access.CanTriageAlert(p, a.AgencyID) {
			return incident.Incident{}, access.Deny("promote this alert")
		}
		if a.Status == StatusPromoted {
			return incident.Incident{}, errs.E(errs.Conflict, "alert %d was already promoted to incident %d", a.ID, a.IncidentID)
		}
		alerts = append(alerts, a)
	}
	var inc incident.Incident
	if in.IncidentID != 0 {
		if inc, err = s.inc.Get(ctx, in.IncidentID); err != nil {
			return incident.Incident{}, err
		}
		// The systems the alerts hit, as the caller sees them, join those
		// linked already. Linking is an edit of the record: a contributor
		// who may not edit it (a task's agency) still attaches the alerts.
		var add []int64
		for _, a := range alerts {
			if a.System != nil && !slices.Contains(inc.SystemIDs(), a.System.ID) && !slices.Contains(add, a.System.ID) {
				add = append(add, a.System.ID)
			}
		}
		// Linking is secondary to the promotion: when the incident
		// cannot take the systems (it links the most it may already),
		// the alerts are attached all the same, their systems shown on
		// the alerts.
		if len(add) > 0 && incident.CanEdit(p, &inc) {
			linked, err := s.inc.LinkSystems(ctx, inc.ID, add)
			switch {
			case err == nil:
				inc = linked
			case errs.Is(err, errs.Invalid):
				s.log.Warn("promote: systems not linked to the incident", "incident_id", inc.ID, "systems", add, "err", err)
			default:
				return incident.Incident{}, err
			}
		}
	} else {
		x := *in.Incident
		if strings.TrimSpace(x.Title) == "" {
			x.Title = alerts[0].Title
		}
		if x.Description == "" {
			x.Description = describeAlerts(alerts)
		}
		if x.DetectedAt.IsZero() {
			x.DetectedAt = alerts[0].FirstSeen
		}
		if len(x.SystemIDs) == 0 {
			// The systems the alerts hit, as the caller sees them.
			for _, a := range alerts {
				if a.System != nil && !slices.Contains(x.SystemIDs, a.System.ID) {
					x.SystemIDs = append(x.SystemIDs, a.System.ID)
				}
			}
		}
		if inc, err = s.inc.Create(ctx, x); err != nil {
			return incident.Incident{}, err
		}
	}
	seen := map[Observable]bool{}
	for _, a := range alerts {
		for _, o := range a.Observables {
			if seen[o] {
				continue
			}
			seen[o] = true
			if _, err := s.inc.AddObservable(ctx, inc.ID, incident.ObservableInput{Type: o.Type, Value: o.Value,
				IsIndicator: a.Kind == HitIndicator, Note: "alert #" + strconv.FormatInt(a.ID, 10), FirstSeen: &a.FirstSeen, LastSeen: &a.LastSeen}); err != nil &&
				!errs.Is(err, errs.Conflict) {
				return incident.Incident{}, err
			}
		}
	}
	if in.IncidentID != 0 {
		if _, err := s.inc.Comment(ctx, inc.ID, describeAlerts(alerts)); err != nil {
			return incident.Incident{}, err
		}
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		for _, a := range alerts {
			if _, err := tx.Exec(ctx, `UPDATE detect_alerts SET status = ?, incident_id = ?, updated_at = ? WHERE id = ?`, StatusPromoted, inc.ID, s.now(), a.ID); err != nil {
				return fmt.Errorf("detect: promote alert %d: %w", a.ID, store.Translate(err))
			}
			if err := s.audit.Record(ctx, tx, audit.Entry{Action: "detect.alert.promote", ObjectType: "detect_alert", ObjectID: strconv.FormatInt(a.ID, 10),
				AgencyID: a.AgencyID, Detail: "incident " + inc.Ref}); err != nil {
				return err
			}
		}
		return nil
	})
	return inc, err
}

// describeAlerts is the text an incident gets about promoted alerts.
func describeAlerts(alerts []Alert) string {
	var b strings.Builder
	b.WriteString("Alerts from detection:\n\n")
	for _, a := range alerts {
		fmt.Fprintf(&b, "- #%d %s — %s, %s, %d hits, %s to %s", a.ID, a.Title, a.SourceName, a.Severity, a.Hits,
			a.FirstSeen.UTC().Format(time.RFC3339), a.LastSeen.UTC().Format(time.RFC3339))
		if a.Entity != "" {
			fmt.Fprintf(&b, ", %s", a.Entity)
		}

		if a.Author != "" {
			fmt.Fprintf(&b, " (Sigma rule by %s)", a.Author)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// AlertCounts returns the caller's open alerts per severity, for the
// dashboard.
func (s *Service) AlertCounts(ctx context.Context) (map[string]int, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT severity, COUNT(*) FROM detect_alerts WHERE status IN ('new', 'acknowledged')`
	var args []any
	if !access.CanListAllDetection(p) {
		q, args = q+` AND agency_id = ?`, append(args, p.AgencyID)
	}
	rows, err := s.db.Query(ctx, q+` GROUP BY severity`, args...)
	if err != nil {
		return nil, fmt.Errorf("detect: count alerts: %w", store.Translate(err))
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var sev string
		var n int
		if err := rows.Scan(&sev, &n); err != nil {
			return nil, fmt.Errorf("detect: count alerts: %w", err)
		}
		out[sev] = n
	}
	return out, rows.Err()
}
