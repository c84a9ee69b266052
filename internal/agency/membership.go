package agency

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// The roles on a body, in the order a composition lists them.
const (
	RoleHead       = "head"
	RoleDeputyHead = "deputy_head"
	RoleMember     = "member"
	RoleSecretary  = "secretary"
)

// MemberRoles lists the roles on a body in display order. Treat it as
// read-only.
var MemberRoles = []string{RoleHead, RoleDeputyHead, RoleMember, RoleSecretary}

// Membership is one person's seat on a body for a period. From and To are
// dates YYYY-MM-DD, both days included; To "" means the seat is current.
// A membership that ends keeps its row, so past compositions stay known.
//
// On Appoint, the body, agency and decision may be given by id or, when
// the id is 0, by BodyCode, AgencyCode and DecisionNumber. The other
// joined fields (AgencyName, EndDecisionNumber) are filled on reading;
// AgencyName is the agency's current Vietnamese name.
type Membership struct {
	ID                int64  `json:"id"`
	BodyID            int64  `json:"body_id"`
	BodyCode          string `json:"body_code"`
	PersonName        string `json:"person_name"`
	PersonTitle       string `json:"person_title"`
	UserID            int64  `json:"user_id"`
	AgencyID          int64  `json:"agency_id"`
	AgencyCode        string `json:"agency_code"`
	AgencyName        string `json:"agency_name"`
	Role              string `json:"role"`
	DecisionID        int64  `json:"decision_id"`
	DecisionNumber    string `json:"decision_number"`
	From              string `json:"from"`
	To                string `json:"to"`
	EndDecisionID     int64  `json:"end_decision_id"`
	EndDecisionNumber string `json:"end_decision_number"`
	EndReason         string `json:"end_reason"`
}

// openEnd stands for "no end yet" in date comparisons.
const openEnd = "9999-12-31"

func cleanMembership(m Membership) (Membership, error) {
	out := m
	var err error
	if out.PersonName, err = cleanText(text{field: "person_name", max: maxName, required: true}, m.PersonName); err != nil {
		return out, err
	}
	if out.PersonTitle, err = cleanText(text{field: "person_title", max: maxName}, m.PersonTitle); err != nil {
		return out, err
	}
	out.Role = strings.ToLower(strings.TrimSpace(m.Role))
	if out.Role == "" {
		return out, errs.Field("role", "is required")
	}
	if !slices.Contains(MemberRoles, out.Role) {
		return out, errs.Field("role", "must be one of %s", strings.Join(MemberRoles, ", "))
	}
	if out.From, err = cleanDate("from", m.From, true); err != nil {
		return out, err
	}
	if out.To, err = cleanDate("to", m.To, false); err != nil {
		return out, err
	}
	if out.To != "" && out.To < out.From {
		return out, errs.Field("to", "must not be before the start date %s", out.From)
	}
	if out.EndReason, err = cleanText(text{field: "end_reason", max: maxNote, multiline: true}, m.EndReason); err != nil {
		return out, err
	}
	for _, f := range []struct {
		name string
		id   int64
	}{{"body_id", m.BodyID}, {"agency_id", m.AgencyID}, {"user_id", m.UserID}, {"decision_id", m.DecisionID}, {"end_decision_id", m.EndDecisionID}} {
		if f.id < 0 {
			return out, errs.Field(f.name, "must not be negative")
		}
	}
	return out, nil
}

// resolveRefs turns the codes of m into ids and checks that every
// referenced row exists.
func resolveRefs(ctx context.Context, q store.Querier, m *Membership) error {
	if m.BodyID == 0 {
		if strings.TrimSpace(m.BodyCode) == "" {
			return errs.Field("body_id", "is required")
		}
		b, err := getBody(ctx, q, `code = ?`, strings.ToUpper(strings.TrimSpace(m.BodyCode)))
		if errs.Is(err, errs.NotFound) {
			return errs.Field("body_code", "no body has the code %s", m.BodyCode)
		}
		if err != nil {
			return err
		}
		m.BodyID = b.ID
	} else if err := mustExist(ctx, q, "bodies", "body_id", "body", m.BodyID); err != nil {
		return err
	}
	if m.AgencyID == 0 {
		if strings.TrimSpace(m.AgencyCode) == "" {
			return errs.Field("agency_id", "is required")
		}
		err := q.QueryRow(ctx, `SELECT id FROM agencies WHERE code = ?`, strings.ToUpper(strings.TrimSpace(m.AgencyCode))).Scan(&m.AgencyID)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("agency_code", "no agency has the code %s", m.AgencyCode)
		}
		if err != nil {
			return err
		}
	} else if err := mustExist(ctx, q, "agencies", "agency_id", "agency", m.AgencyID); err != nil {
		return err
	}
	if m.DecisionID == 0 && strings.TrimSpace(m.DecisionNumber) != "" {
		id, err := decisionID(ctx, q, m.DecisionNumber)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("decision_number", "no decision has the number %s", m.DecisionNumber)
		}
		if err != nil {
			return err
		}
		m.DecisionID = id
	} else if err := mustExist(ctx, q, "decisions", "decision_id", "decision", m.DecisionID); err != nil {
		return err
	}
	return mustExist(ctx, q, "decisions", "end_decision_id", "decision", m.EndDecisionID)
}

// samePerson reports whether two seats are held by the same person: the
// same user when both name one, else the same name (ignoring case and
// diacritics typed differently) from the same agency.
func samePerson(a, b Membership) bool {
	if a.UserID != 0 && b.UserID != 0 {
		return a.UserID == b.UserID
	}
	return a.AgencyID == b.AgencyID && fold(a.PersonName) == fold(b.PersonName)
}

// Appoint records a seat on a body. Admins and the standing agency's
// coordinators may. It checks the role, the dates (From required, To not
// before From), that the body, agency, user and decisions exist, that the
// person does not already sit on the body in an overlapping period, and
// that the body has at most one head at a time (errs.Conflict otherwise).
func (s *Service) Appoint(ctx context.Context, m Membership) (Membership, error) {
	if _, err := s.writer(ctx, access.CanManageSubcommittee, "appoint members", "membership", ""); err != nil {
		return Membership{}, err
	}
	m, err := cleanMembership(m)
	if err != nil {
		return Membership{}, err
	}
	var out Membership
	err = s.transact(ctx, func(tx *store.Tx) error {
		if err := resolveRefs(ctx, tx, &m); err != nil {
			return err
		}
		to := m.To
		if to == "" {
			to = openEnd
		}
		overlapping, err := queryMemberships(ctx, tx, `m.body_id = ? AND m.from_date <= ? AND COALESCE(m.to_date, ?) >= ?`,
			m.BodyID, to, openEnd, m.From)
		if err != nil {
			return err
		}
		for _, o := range overlapping {
			if samePerson(o, m) {
				return errs.E(errs.Conflict, "%s already sits on this body from %s (membership %d); end that seat first", o.PersonName, o.From, o.ID)
			}
			if m.Role == RoleHead && o.Role == RoleHead {
				return &errs.Error{Kind: errs.Conflict, Field: "role",
					Msg: fmt.Sprintf("the body already has a head in that period (%s, from %s); end that seat first", o.PersonName, o.From)}
			}
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO memberships (body_id, person_name, person_title, user_id, agency_id, role,
			decision_id, from_date, to_date, end_decision_id, end_reason, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			m.BodyID, m.PersonName, m.PersonTitle, nullID(m.UserID), m.AgencyID, m.Role,
			nullID(m.DecisionID), m.From, nullText(m.To), nullID(m.EndDecisionID), m.EndReason, s.stamp()).Scan(&id)
		if errs.Is(err, errs.Invalid) && m.UserID != 0 {
			// Every other reference was checked above; the users table
			// belongs to another package, so its key decides.
			return &errs.Error{Kind: errs.Invalid, Field: "user_id", Msg: "user not found", Err: err}
		}
		if err != nil {
			return err
		}
		if err := s.log.Record(ctx, tx, audit.Entry{Action: "membership.appoint", ObjectType: "membership",
			ObjectID: strconv.FormatInt(id, 10),
			Detail:   fmt.Sprintf("body %d: %s as %s from %s", m.BodyID, m.PersonName, m.Role, m.From)}); err != nil {
			return err
		}
		out, err = getMembership(ctx, tx, id)
		return err
	})
	if err != nil {
		return Membership{}, fmt.Errorf("agency: appoint: %w", err)
	}
	return out, nil
}

// EndMembership ends seat id on date to (the last day on the body, ""
// meaning today), optionally by decision endDecisionID, with a reason. The
// row is kept as history. Admins and the standing agency's coordinators
// may. To must not be before the seat's start; a seat already ended is
// errs.Conflict.
func (s *Service) EndMembership(ctx context.Context, id int64, to string, endDecisionID int64, reason string) error {
	sid := strconv.FormatInt(id, 10)
	if _, err := s.writer(ctx, access.CanManageSubcommittee, "end memberships", "membership", sid); err != nil {
		return err
	}
	to, err := cleanDate("to", to, false)
	if err != nil {
		return err
	}
	if to == "" {
		to = s.today()
	}
	reason, err = cleanText(text{field: "reason", max: maxNote, multiline: true}, reason)
	if err != nil {
		return err
	}
	if endDecisionID < 0 {
		return errs.Field("end_decision_id", "must not be negative")
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		m, err := getMembership(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.To != "" {
			return errs.E(errs.Conflict, "this membership already ended on %s", m.To)
		}
		if to < m.From {
			return errs.Field("to", "must not be before the start date %s", m.From)
		}
		if err := mustExist(ctx, tx, "decisions", "end_decision_id", "decision", endDecisionID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE memberships SET to_date = ?, end_decision_id = ?, end_reason = ? WHERE id = ?`,
			to, nullID(endDecisionID), reason, id); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "membership.end", ObjectType: "membership", ObjectID: sid,
			Detail: fmt.Sprintf("body %d: %s to %s", m.BodyID, m.PersonName, to)})
	})
	if err != nil {
		return fmt.Errorf("agency: end membership %d: %w", id, err)
	}
	return nil
}

// Composition returns who sat on body bodyID on date on ("" = today in the
// province): head, deputy heads, members, secretary, each group by name in
// Vietnamese order. errs.NotFound when the body does not exist.
func (s *Service) Composition(ctx context.Context, bodyID int64, on string) ([]Membership, error) {
	if _, err := s.reader(ctx); err != nil {
		return nil, err
	}
	on, err := cleanDate("on", on, false)
	if err != nil {
		return nil, err
	}
	if on == "" {
		on = s.today()
	}
	if _, err := getBody(ctx, s.db, `id = ?`, bodyID); err != nil {
		return nil, fmt.Errorf("agency: composition of %d: %w", bodyID, err)
	}
	ms, err := queryMemberships(ctx, s.db, `m.body_id = ? AND m.from_date <= ? AND COALESCE(m.to_date, ?) >= ?`, bodyID, on, openEnd, on)
	if err != nil {
		return nil, fmt.Errorf("agency: composition of %d on %s: %w", bodyID, on, err)
	}
	sortMemberships(ms, "")
	return ms, nil
}

// ListMemberships returns the seats on body bodyID (every body when 0):
// current ones (not ended before today), and ended ones too when
// includeEnded. Order: body, current before ended, role, name, start.
func (s *Service) ListMemberships(ctx context.Context, bodyID int64, includeEnded bool) ([]Membership, error) {
	if _, err := s.reader(ctx); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if bodyID != 0 {
		if _, err := getBody(ctx, s.db, `id = ?`, bodyID); err != nil {
			return nil, fmt.Errorf("agency: memberships of %d: %w", bodyID, err)
		}
		where, args = append(where, "m.body_id = ?"), append(args, bodyID)
	}
	today := s.today()
	if !includeEnded {
		where, args = append(where, "COALESCE(m.to_date, ?) >= ?"), append(args, openEnd, today)
	}
	cond := "1 = 1"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	ms, err := queryMemberships(ctx, s.db, cond, args...)
	if err != nil {
		return nil, fmt.Errorf("agency: memberships of %d: %w", bodyID, err)
	}
	sortMemberships(ms, today)
	return ms, nil
}

// sortMemberships orders by body, then (when today is set) current before
// ended, then role, then name in Vietnamese collation, start date and id.
func sortMemberships(ms []Membership, today string) {
	// A collator is not safe for concurrent use, so each call builds one.
	col := collate.New(language.Vietnamese, collate.IgnoreCase)
	var buf collate.Buffer
	keys := make(map[int64][]byte, len(ms))
	for _, m := range ms {
		keys[m.ID] = append([]byte(nil), col.KeyFromString(&buf, m.PersonName)...)
		buf.Reset()
	}
	rank := func(r string) int {
		if i := slices.Index(MemberRoles, r); i >= 0 {
			return i
		}
		return len(MemberRoles)
	}
	ended := func(m Membership) bool { return today != "" && m.To != "" && m.To < today }
	slices.SortFunc(ms, func(a, b Membership) int {
		switch {
		case a.BodyID != b.BodyID:
			return cmpInt(a.BodyID, b.BodyID)
		case ended(a) != ended(b):
			if ended(a) {
				return 1
			}
			return -1
		case rank(a.Role) != rank(b.Role):
			return rank(a.Role) - rank(b.Role)
		}
		if c := strings.Compare(string(keys[a.ID]), string(keys[b.ID])); c != 0 {
			return c
		}
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return cmpInt(a.ID, b.ID)
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

const membershipColumns = `m.id, m.body_id, b.code, m.person_name, m.person_title, COALESCE(m.user_id, 0),
	m.agency_id, a.code, a.name_vi, m.role, COALESCE(m.decision_id, 0), COALESCE(d.number, ''),
	m.from_date, COALESCE(m.to_date, ''), COALESCE(m.end_decision_id, 0), COALESCE(e.number, ''), m.end_reason
	FROM memberships m
	JOIN bodies b ON b.id = m.body_id
	JOIN agencies a ON a.id = m.agency_id
	LEFT JOIN decisions d ON d.id = m.decision_id
	LEFT JOIN decisions e ON e.id = m.end_decision_id`

func scanMembership(r scanner) (Membership, error) {
	var m Membership
	err := r.Scan(&m.ID, &m.BodyID, &m.BodyCode, &m.PersonName, &m.PersonTitle, &m.UserID,
		&m.AgencyID, &m.AgencyCode, &m.AgencyName, &m.Role, &m.DecisionID, &m.DecisionNumber,
		&m.From, &m.To, &m.EndDecisionID, &m.EndDecisionNumber, &m.EndReason)
	return m, err
}

func getMembership(ctx context.Context, q store.Querier, id int64) (Membership, error) {
	m, err := scanMembership(q.QueryRow(ctx, `SELECT `+membershipColumns+` WHERE m.id = ?`, id))
	if errs.Is(err, errs.NotFound) {
		return Membership{}, errs.Wrap(errs.NotFound, err, "membership not found")
	}
	return m, err
}

// GetMembership returns seat id; errs.NotFound when there is none.
func (s *Service) GetMembership(ctx context.Context, id int64) (Membership, error) {
	if _, err := s.reader(ctx); err != nil {
		return Membership{}, err
	}
	m, err := getMembership(ctx, s.db, id)
	if err != nil {
		return Membership{}, fmt.Errorf("agency: get membership %d: %w", id, err)
	}
	return m, nil
}

// queryMemberships returns the seats matching cond, unordered.
func queryMemberships(ctx context.Context, q store.Querier, cond string, args ...any) ([]Membership, error) {
	rows, err := q.Query(ctx, `SELECT `+membershipColumns+` WHERE `+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Membership{}
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
