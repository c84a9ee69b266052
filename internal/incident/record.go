package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

const incidentCols = `i.id, i.ref, i.title, i.description, i.category, i.severity, i.serious, i.system_level, i.effects, i.beyond_capacity,
	i.tlp, i.pap, i.status, i.owner_agency_id, oa.code, oa.name_vi, oa.name_en, i.lead_agency_id, la.code, la.name_vi, la.name_en,
	COALESCE(i.reporter_user_id, 0), i.reporter_name, i.reporter_contact, i.operator, i.system_owner, i.affected_systems, i.affected_addresses,
	i.provider, i.impact_harm, i.impact_spread, i.impact_operations, i.measures, i.lessons, i.playbook_code, COALESCE(i.merged_into_id, 0), COALESCE(m.ref, ''),
	i.detected_at, i.reported_at, i.acknowledged_at, i.contained_at, i.resolved_at, i.closed_at, i.next_due_at, i.next_due_rule, i.created_at, i.updated_at`

const incidentFrom = ` FROM incidents i JOIN agencies oa ON oa.id = i.owner_agency_id JOIN agencies la ON la.id = i.lead_agency_id
	LEFT JOIN incidents m ON m.id = i.merged_into_id`

type scanner interface{ Scan(dest ...any) error }

func (s *Service) scanIncident(r scanner) (Incident, error) {
	var inc Incident
	var effects string
	var detected, reported, ack, contained, resolved, closed, due, created, updated store.Time
	err := r.Scan(&inc.ID, &inc.Ref, &inc.Title, &inc.Description, &inc.Category, &inc.Severity, &inc.Serious, &inc.SystemLevel, &effects, &inc.Beyond,
		&inc.TLP, &inc.PAP, &inc.Status, &inc.Owner.ID, &inc.Owner.Code, &inc.Owner.NameVI, &inc.Owner.NameEN, &inc.Lead.ID, &inc.Lead.Code, &inc.Lead.NameVI, &inc.Lead.NameEN,
		&inc.ReporterUserID, &inc.ReporterName, &inc.ReporterContact, &inc.Operator, &inc.SystemOwner, &inc.AffectedSystems, &inc.AffectedAddrs,
		&inc.Provider, &inc.ImpactHarm, &inc.ImpactSpread, &inc.ImpactOps, &inc.Measures, &inc.Lessons, &inc.Playbook, &inc.MergedInto, &inc.MergedIntoRef,
		&detected, &reported, &ack, &contained, &resolved, &closed, &due, &inc.NextDueRule, &created, &updated)
	if err != nil {
		return inc, err
	}
	inc.Effects = parseEffects(effects)
	inc.DetectedAt, inc.ReportedAt, inc.CreatedAt, inc.UpdatedAt = detected.Time, reported.Time, created.Time, updated.Time
	inc.AcknowledgedAt, inc.ContainedAt, inc.ResolvedAt, inc.ClosedAt, inc.NextDueAt = ack.Ptr(), contained.Ptr(), resolved.Ptr(), closed.Ptr(), due.Ptr()
	inc.Overdue = inc.Status.Open() && inc.NextDueAt != nil && s.now().After(*inc.NextDueAt)
	inc.Participants = []Ref{}
	return inc, nil
}

// load reads one incident with its participants, named people and task
// agencies, without any access check.
func (s *Service) load(ctx context.Context, q store.Querier, id int64) (Incident, error) {
	inc, err := s.scanIncident(q.QueryRow(ctx, `SELECT `+incidentCols+incidentFrom+` WHERE i.id = ?`, id))
	if errs.Is(err, errs.NotFound) {
		return inc, errs.Wrap(errs.NotFound, err, "no such incident")
	}
	if err != nil {
		return inc, fmt.Errorf("incident: load %d: %w", id, err)
	}
	rows, err := q.Query(ctx, `SELECT a.id, a.code, a.name_vi, a.name_en FROM incident_agencies x JOIN agencies a ON a.id = x.agency_id
		WHERE x.incident_id = ? ORDER BY a.code`, id)
	if err != nil {
		return inc, fmt.Errorf("incident: participants: %w", err)
	}
	for rows.Next() {
		var r Ref
		if err := rows.Scan(&r.ID, &r.Code, &r.NameVI, &r.NameEN); err != nil {
			rows.Close()
			return inc, err
		}
		inc.Participants = append(inc.Participants, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return inc, err
	}
	if inc.People, err = int64s(ctx, q, `SELECT user_id FROM incident_people WHERE incident_id = ? ORDER BY user_id`, id); err != nil {
		return inc, err
	}
	if inc.taskAgencies, err = int64s(ctx, q, `SELECT DISTINCT agency_id FROM incident_tasks WHERE incident_id = ? AND status <> 'cancelled'`, id); err != nil {
		return inc, err
	}
	return inc, loadSystems(ctx, q, &inc)
}

func int64s(ctx context.Context, q store.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("incident: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// denial is a refusal to report in the audit log once the transaction
// that found it has ended (writing it inside would be rolled back with the
// refused change, and on SQLite would wait for the write connection the
// transaction holds).
type denial struct {
	action string
	id     int64
	err    error
}

func (d *denial) Error() string { return d.err.Error() }
func (d *denial) Unwrap() error { return d.err }

// audited writes the denial carried by err, if any, and returns err.
func (s *Service) audited(ctx context.Context, err error) error {
	var d *denial
	if errors.As(err, &d) {
		_ = s.log.Write(ctx, audit.Entry{Action: "access.denied", ObjectType: "incident", ObjectID: fmt.Sprint(d.id), Detail: d.action})
	}
	return err
}

// visible loads the incident and checks that p sees it. An incident p may
// not see is reported as not found (its existence is not disclosed); the
// refusal is audited by the caller through audited.
func (s *Service) visible(ctx context.Context, q store.Querier, p *access.Principal, id int64) (Incident, error) {
	inc, err := s.load(ctx, q, id)
	if err != nil {
		return inc, err
	}
	if !CanSee(p, &inc) {
		return Incident{}, &denial{action: "view incident", id: id, err: errs.E(errs.NotFound, "no such incident")}
	}
	return inc, nil
}

// allowed loads a visible incident and applies a policy for an action.
func (s *Service) allowed(ctx context.Context, q store.Querier, id int64, action string, ok func(*access.Principal, *Incident) bool) (*access.Principal, Incident, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, Incident{}, err
	}
	inc, err := s.visible(ctx, q, p, id)
	if err != nil {
		return p, inc, err
	}
	if !ok(p, &inc) {
		return p, inc, &denial{action: action, id: id, err: access.Deny(action)}
	}
	return p, inc, nil
}

// Create files a new incident for the caller's agency (coordinators may
// file for another agency) and returns it. The reference (SC-YYYY-NNNN) is
// allocated inside the transaction; the lead agency defaults to the
// standing agency; a playbook, when named, pre-creates its tasks and
// checklist. Reporters, analysts and coordinators may call it.
func (s *Service) Create(ctx context.Context, in Input) (Incident, error) {
	p, err := caller(ctx)
	if err != nil {
		return Incident{}, err
	}
	if !CanReport(p) {
		return Incident{}, s.log.Denied(ctx, "report an incident", "incident", "")
	}
	if in, err = clean(in, s.now()); err != nil {
		return Incident{}, err
	}
	if in.SystemIDs, err = s.checkSystems(ctx, in.SystemIDs, nil); err != nil {
		return Incident{}, err
	}
	var id int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		owner := p.AgencyID
		if in.OwnerAgencyID != 0 && in.OwnerAgencyID != owner {
			if !p.IsCoordinator() {
				return errs.Field("owner_agency_id", "only the standing agency's coordinators file incidents for another agency")
			}
			owner = in.OwnerAgencyID
		}
		if owner == 0 {
			return errs.Field("owner_agency_id", "is required")
		}
		if err := agencyExists(ctx, tx, "owner_agency_id", owner); err != nil {
			return err
		}
		lead := in.LeadAgencyID
		if lead == 0 {
			if lead, err = standingID(ctx, tx); err != nil {
				return err
			}
		} else if err := agencyExists(ctx, tx, "lead_agency_id", lead); err != nil {
			return err
		}
		now := s.stamp()
		ref, err := s.allocateRef(ctx, tx, now)
		if err != nil {
			return err
		}
		if in.ReporterName == "" {
			in.ReporterName = p.Name
		}
		if in.ReporterContact == "" {
			in.ReporterContact = p.Email
		}
		err = tx.QueryRow(ctx, `INSERT INTO incidents (ref, title, description, category, severity, serious, system_level, effects, beyond_capacity,
			tlp, pap, status, owner_agency_id, lead_agency_id, reporter_user_id, reporter_name, reporter_contact, operator, system_owner,
			affected_systems, affected_addresses, provider, impact_harm, impact_spread, impact_operations, measures, lessons, playbook_code,
			detected_at, reported_at, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			ref, in.Title, in.Description, in.Category, in.Severity, IsSerious(in.SystemLevel, in.Effects, in.BeyondCapacity), in.SystemLevel,
			effectsText(in.Effects), in.BeyondCapacity, in.TLP, in.PAP, StatusNew, owner, lead, nullID(p.UserID), in.ReporterName, in.ReporterContact,
			in.Operator, in.SystemOwner, in.AffectedSystems, in.AffectedAddrs, in.Provider, in.ImpactHarm, in.ImpactSpread, in.ImpactOps,
			in.Measures, in.Lessons, in.Playbook, in.DetectedAt, now, nullID(p.UserID), now, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("incident: insert: %w", err)
		}
		people := in.People
		if p.UserID != 0 {
			people = append([]int64{p.UserID}, people...)
		}
		if err := s.setPeople(ctx, tx, id, people); err != nil {
			return err
		}
		if err := s.setParticipants(ctx, tx, id, in.Participants, owner, lead); err != nil {
			return err
		}
		if err := s.setSystems(ctx, tx, id, in.SystemIDs); err != nil {
			return err
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "created", ref); err != nil {
			return err
		}
		if in.Playbook != "" {
			if err := s.applyPlaybook(ctx, tx, id, in.Playbook, owner, lead); err != nil {
				return err
			}
		}
		if err := s.reindex(ctx, tx, id); err != nil {
			return err
		}
		if err := s.refreshDue(ctx, tx, id); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "incident.create", id, ref+" "+in.Category+" "+string(in.Severity)); err != nil {
			return err
		}
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.notify(ctx, tx, &inc, "incident.created", []int64{lead}, 0, "")
	})
	if err != nil {
		return Incident{}, err
	}
	return s.load(ctx, s.db, id)
}

// allocateRef takes the next number of the year (province time) inside tx.
func (s *Service) allocateRef(ctx context.Context, tx *store.Tx, now time.Time) (string, error) {
	year := now.In(s.loc).Year()
	var n int
	err := tx.QueryRow(ctx, `INSERT INTO incident_seq (year, last) VALUES (?, 1)
		ON CONFLICT (year) DO UPDATE SET last = incident_seq.last + 1 RETURNING last`, year).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("incident: allocate reference: %w", err)
	}
	return fmt.Sprintf("SC-%d-%04d", year, n), nil
}

func (s *Service) setPeople(ctx context.Context, tx *store.Tx, id int64, people []int64) error {
	seen := map[int64]bool{}
	for _, u := range people {
		if u <= 0 || seen[u] {
			continue
		}
		seen[u] = true
		if err := userExists(ctx, tx, "named_people", u); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO incident_people (incident_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, u); err != nil {
			return fmt.Errorf("incident: name person: %w", err)
		}
	}
	return nil
}

func (s *Service) setParticipants(ctx context.Context, tx *store.Tx, id int64, agencies []int64, owner, lead int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM incident_agencies WHERE incident_id = ?`, id); err != nil {
		return fmt.Errorf("incident: participants: %w", err)
	}
	seen := map[int64]bool{owner: true, lead: true}
	for _, a := range agencies {
		if seen[a] {
			continue
		}
		seen[a] = true
		if err := agencyExists(ctx, tx, "participating_agency_ids", a); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO incident_agencies (incident_id, agency_id) VALUES (?, ?)`, id, a); err != nil {
			return fmt.Errorf("incident: participants: %w", err)
		}
	}
	return nil
}

// Get returns an incident the caller may see; one they may not see is
// errs.NotFound. A view by someone outside the owner agency is written to
// the audit log.
func (s *Service) Get(ctx context.Context, id int64) (Incident, error) {
	p, err := caller(ctx)
	if err != nil {
		return Incident{}, err
	}
	return s.viewed(ctx, p, id)
}

type viewScopeKey struct{}

type viewScope struct {
	mu   sync.Mutex
	seen map[int64]bool
}

// WithViewScope returns a context in which each incident's view is
// audited once, for a page that reads an incident through several calls.
// Without it every read from outside the owner agency is audited.
func WithViewScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, viewScopeKey{}, &viewScope{seen: map[int64]bool{}})
}

// viewed loads an incident p may see for reading, and audits the view
// when p is outside the owner agency.
func (s *Service) viewed(ctx context.Context, p *access.Principal, id int64) (Incident, error) {
	inc, err := s.visible(ctx, s.db, p, id)
	if err != nil {
		return Incident{}, s.audited(ctx, err)
	}
	if p.System || p.AgencyID == inc.Owner.ID {
		return inc, nil
	}
	if sc, ok := ctx.Value(viewScopeKey{}).(*viewScope); ok {
		sc.mu.Lock()
		seen := sc.seen[id]
		sc.seen[id] = true
		sc.mu.Unlock()
		if seen {
			return inc, nil
		}
	}
	if err := s.log.Write(ctx, audit.Entry{Action: "incident.view", ObjectType: "incident", ObjectID: fmt.Sprint(id), Detail: inc.Ref}); err != nil {
		return Incident{}, fmt.Errorf("incident: audit view: %w", err)
	}
	return inc, nil
}

// ByRef returns the id of the incident with reference ref, if the caller
// sees it.
func (s *Service) ByRef(ctx context.Context, ref string) (int64, error) {
	p, err := caller(ctx)
	if err != nil {
		return 0, err
	}
	var id int64
	if len(ref) > 32 {
		return 0, errs.E(errs.NotFound, "no such incident")
	}
	if err := s.db.QueryRow(ctx, `SELECT id FROM incidents WHERE ref = ?`, strings.ToUpper(strings.TrimSpace(ref))).Scan(&id); err != nil {
		return 0, errs.E(errs.NotFound, "no such incident")
	}
	if _, err := s.visible(ctx, s.db, p, id); err != nil {
		return 0, s.audited(ctx, err)
	}
	return id, nil
}

// Permissions says what the caller may do on an incident, for showing
// actions.
type Permissions struct {
	Edit       bool `json:"edit"`
	Coordinate bool `json:"coordinate"`
	Contribute bool `json:"contribute"`
	Comment    bool `json:"comment"`
}

// PermissionsFor returns what p may do on inc.
func PermissionsFor(p *access.Principal, inc *Incident) Permissions {
	return Permissions{Edit: CanEdit(p, inc), Coordinate: CanCoordinate(p, inc), Contribute: CanContribute(p, inc), Comment: CanComment(p, inc)}
}

// editable loads, in tx, an incident whose record the caller may edit:
// Forbidden when they may not, Conflict when it was merged into another.
func (s *Service) editable(ctx context.Context, tx *store.Tx, id int64) (Incident, error) {
	_, cur, err := s.allowed(ctx, tx, id, "edit the incident", CanEdit)
	if err != nil {
		return Incident{}, err
	}
	if cur.Status == StatusDuplicate {
		return Incident{}, errs.E(errs.Conflict, "this incident was merged into %s; edit that one", cur.MergedIntoRef)
	}
	return cur, nil
}

// Update replaces the record's fields (not its agencies, people, status or
// times other than detection). The previous description is kept in the
// journal. Merged incidents cannot be edited (Conflict).
func (s *Service) Update(ctx context.Context, id int64, in Input) (Incident, error) {
	p, err := caller(ctx)
	if err != nil {
		return Incident{}, err
	}
	// Newly linked systems are checked against the caller's view of the
	// inventory before the transaction (the inventory reads on its own).
	before, err := s.visible(ctx, s.db, p, id)
	if err != nil {
		return Incident{}, s.audited(ctx, err)
	}
	if in.SystemIDs, err = s.checkSystems(ctx, in.SystemIDs, before.SystemIDs()); err != nil {
		return Incident{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		cur, err := s.editable(ctx, tx, id)
		if err != nil {
			return err
		}
		if in, err = clean(in, s.now()); err != nil {
			return err
		}
		changed := changedFields(cur, in)
		if len(changed) == 0 {
			return nil
		}
		for _, sid := range in.SystemIDs {
			// A system kept unchecked above but unlinked since then is a new link now.
			if !slices.Contains(cur.SystemIDs(), sid) && slices.Contains(before.SystemIDs(), sid) {
				return errs.Field("system_ids", "no information system you may see has id %d", sid)
			}
		}
		now := s.stamp()
		_, err = tx.Exec(ctx, `UPDATE incidents SET title = ?, description = ?, category = ?, severity = ?, serious = ?, system_level = ?, effects = ?,
			beyond_capacity = ?, tlp = ?, pap = ?, reporter_name = ?, reporter_contact = ?, operator = ?, system_owner = ?, affected_systems = ?,
			affected_addresses = ?, provider = ?, impact_harm = ?, impact_spread = ?, impact_operations = ?, measures = ?, lessons = ?,
			detected_at = ?, updated_at = ? WHERE id = ?`,
			in.Title, in.Description, in.Category, in.Severity, IsSerious(in.SystemLevel, in.Effects, in.BeyondCapacity), in.SystemLevel,
			effectsText(in.Effects), in.BeyondCapacity, in.TLP, in.PAP, in.ReporterName, in.ReporterContact, in.Operator, in.SystemOwner,
			in.AffectedSystems, in.AffectedAddrs, in.Provider, in.ImpactHarm, in.ImpactSpread, in.ImpactOps, in.Measures, in.Lessons,
			in.DetectedAt, now, id)
		if err != nil {
			return fmt.Errorf("incident: update %d: %w", id, err)
		}
		jid, err := s.journalID(ctx, tx, id, JournalEvent, "edited", strings.Join(changed, ", "))
		if err != nil {
			return err
		}
		if slices.Contains(changed, "description") && cur.Description != "" {
			// The previous text stays readable: nothing is ever lost.
			if _, err := tx.Exec(ctx, `INSERT INTO incident_journal_revisions (journal_id, body, replaced_at, editor) VALUES (?, ?, ?, ?)`,
				jid, cur.Description, now, access.From(ctx).Label()); err != nil {
				return fmt.Errorf("incident: keep previous description: %w", err)
			}
		}
		if slices.Contains(changed, "systems") {
			if err := s.setSystems(ctx, tx, id, in.SystemIDs); err != nil {
				return err
			}
		} else if err := s.refreshSerious(ctx, tx, id); err != nil {
			return err
		}
		if err := s.reindex(ctx, tx, id); err != nil {
			return err
		}
		if err := s.refreshDue(ctx, tx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.update", id, strings.Join(changed, ","))
	})
	if err != nil {
		return Incident{}, err
	}
	return s.load(ctx, s.db, id)
}

func changedFields(cur Incident, in Input) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("title", cur.Title != in.Title)
	add("description", cur.Description != in.Description)
	add("category", cur.Category != in.Category)
	add("severity", cur.Severity != in.Severity)
	add("system_level", cur.SystemLevel != in.SystemLevel)
	add("effects", effectsText(cur.Effects) != effectsText(in.Effects))
	add("beyond_capacity", cur.Beyond != in.BeyondCapacity)
	add("tlp", cur.TLP != in.TLP)
	add("pap", cur.PAP != in.PAP)
	add("reporter_name", cur.ReporterName != in.ReporterName)
	add("reporter_contact", cur.ReporterContact != in.ReporterContact)
	add("operator", cur.Operator != in.Operator)
	add("system_owner", cur.SystemOwner != in.SystemOwner)
	add("affected_systems", cur.AffectedSystems != in.AffectedSystems)
	add("affected_addresses", cur.AffectedAddrs != in.AffectedAddrs)
	add("systems", !sameIDs(cur.SystemIDs(), in.SystemIDs))
	add("provider", cur.Provider != in.Provider)
	add("impact_harm", cur.ImpactHarm != in.ImpactHarm)
	add("impact_spread", cur.ImpactSpread != in.ImpactSpread)
	add("impact_operations", cur.ImpactOps != in.ImpactOps)
	add("measures", cur.Measures != in.Measures)
	add("lessons", cur.Lessons != in.Lessons)
	add("detected_at", !cur.DetectedAt.Equal(in.DetectedAt))
	return out
}

// SetAgencies replaces the participating agencies and adds named people;
// lead-side callers only. A new lead agency may be named (0 keeps it).
func (s *Service) SetAgencies(ctx context.Context, id int64, lead int64, participants, people []int64) (Incident, error) {
	err := s.transact(ctx, func(tx *store.Tx) error {
		_, cur, err := s.allowed(ctx, tx, id, "change the incident's agencies", CanCoordinate)
		if err != nil {
			return err
		}
		if len(participants) > 50 || len(people) > 100 {
			return errs.Field("participating_agency_ids", "too many entries")
		}
		if lead != 0 && lead != cur.Lead.ID {
			if err := agencyExists(ctx, tx, "lead_agency_id", lead); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE incidents SET lead_agency_id = ?, updated_at = ? WHERE id = ?`, lead, s.stamp(), id); err != nil {
				return fmt.Errorf("incident: set lead: %w", err)
			}
		} else {
			lead = cur.Lead.ID
		}
		if err := s.setParticipants(ctx, tx, id, participants, cur.Owner.ID, lead); err != nil {
			return err
		}
		if err := s.setPeople(ctx, tx, id, people); err != nil {
			return err
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "agencies", fmt.Sprint(participants)); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.agencies", id, fmt.Sprintf("lead=%d participants=%v people=%v", lead, participants, people))
	})
	if err != nil {
		return Incident{}, err
	}
	return s.load(ctx, s.db, id)
}

// NamePerson names a user (by e-mail) on the incident: on a RED incident
// only named people see it. The owner and lead sides may name people.
func (s *Service) NamePerson(ctx context.Context, id int64, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || len(email) > 254 {
		return errs.Field("email", "give the e-mail address of a user")
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		_, inc, err := s.allowed(ctx, tx, id, "name people on the incident", CanEdit)
		if err != nil {
			return err
		}
		var uid int64
		var name string
		err = tx.QueryRow(ctx, `SELECT id, name FROM users WHERE lower(email) = ? AND NOT disabled`, email).Scan(&uid, &name)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("email", "no active user has this e-mail address")
		}
		if err != nil {
			return err
		}
		if containsID(inc.People, uid) {
			return nil
		}
		if err := s.setPeople(ctx, tx, id, []int64{uid}); err != nil {
			return err
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "named", name); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.name_person", id, fmt.Sprintf("user %d", uid))
	})
}

// NamedPeople lists the people named on the incident.
func (s *Service) NamedPeople(ctx context.Context, id int64) ([]Assignee, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.viewed(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT u.id, u.name, a.id, a.code FROM incident_people x JOIN users u ON u.id = x.user_id
		JOIN agencies a ON a.id = u.agency_id WHERE x.incident_id = ? ORDER BY a.code, u.name`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: named people: %w", err)
	}
	defer rows.Close()
	out := []Assignee{}
	for rows.Next() {
		var a Assignee
		if err := rows.Scan(&a.UserID, &a.Name, &a.AgencyID, &a.AgencyCode); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// sameIDs reports whether a and b hold the same ids, in any order.
func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
