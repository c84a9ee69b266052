package agency

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// The kinds of agency.
const (
	// KindStanding is the standing agency of the subcommittee (the
	// provincial police cyber unit). At most one is active.
	KindStanding = "standing"
	// KindDepartment is a member department of the province.
	KindDepartment = "department"
	// KindDistrict is a district (or commune-level) People's Committee unit.
	KindDistrict = "district"
	// KindMilitary is the provincial military command.
	KindMilitary = "military"
	// KindTelecom is a telecom operator's provincial branch.
	KindTelecom = "telecom"
	// KindBank is a bank's provincial branch.
	KindBank = "bank"
	// KindOther is any other unit (hospital, school, state company).
	KindOther = "other"
)

// Kinds lists the agency kinds in display order. Treat it as read-only.
var Kinds = []string{KindStanding, KindDepartment, KindDistrict, KindMilitary, KindTelecom, KindBank, KindOther}

// ValidKind reports whether k is one of Kinds.
func ValidKind(k string) bool { return slices.Contains(Kinds, k) }

// The changes recorded in an agency's history.
const (
	ChangeCreate = "create"
	ChangeRename = "rename"
	ChangeUpdate = "update"
	ChangeMerge  = "merge"
)

// Agency is one agency of the province. ParentCode is the parent's code
// ("" without a parent). A merged agency is inactive and MergedIntoID names
// the agency that absorbed it.
type Agency struct {
	ID               int64      `json:"id"`
	Code             string     `json:"code"`
	NameVI           string     `json:"name_vi"`
	NameEN           string     `json:"name_en"`
	Kind             string     `json:"kind"`
	ParentID         int64      `json:"parent_id"`
	ParentCode       string     `json:"parent_code"`
	Address          string     `json:"address"`
	ContactName      string     `json:"contact_name"`
	ContactPhone     string     `json:"contact_phone"`
	ContactEmail     string     `json:"contact_email"`
	ContactUpdatedAt *time.Time `json:"contact_updated_at"`
	Active           bool       `json:"active"`
	MergedIntoID     int64      `json:"merged_into_id"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// AgencyInput is what a user enters to create or update an agency.
// ParentCode "" means no parent. Field errors name the snake_case field:
// code, name_vi, name_en, kind, parent_code, address, contact_name,
// contact_phone, contact_email.
type AgencyInput struct {
	Code         string `json:"code"`
	NameVI       string `json:"name_vi"`
	NameEN       string `json:"name_en"`
	Kind         string `json:"kind"`
	ParentCode   string `json:"parent_code"`
	Address      string `json:"address"`
	ContactName  string `json:"contact_name"`
	ContactPhone string `json:"contact_phone"`
	ContactEmail string `json:"contact_email"`
}

// HistoryEntry is one change to an agency: its creation, a rename, a
// change of kind or parent, or a merge. Old and New describe the agency
// before and after; OtherAgencyID is the other side of a merge (or the
// merged agency that moved a sub-unit under a new parent).
type HistoryEntry struct {
	ID              int64     `json:"id"`
	AgencyID        int64     `json:"agency_id"`
	ChangedAt       time.Time `json:"changed_at"`
	Change          string    `json:"change"`
	OldNameVI       string    `json:"old_name_vi"`
	OldNameEN       string    `json:"old_name_en"`
	OldKind         string    `json:"old_kind"`
	OldParentID     int64     `json:"old_parent_id"`
	NewNameVI       string    `json:"new_name_vi"`
	NewNameEN       string    `json:"new_name_en"`
	NewKind         string    `json:"new_kind"`
	NewParentID     int64     `json:"new_parent_id"`
	OtherAgencyID   int64     `json:"other_agency_id"`
	OtherAgencyCode string    `json:"other_agency_code"`
	Note            string    `json:"note"`
	ActorUserID     int64     `json:"actor_user_id"`
}

// AgencyFilter narrows ListAgencies. Query matches the code or either
// name, ignoring case and Vietnamese diacritics ("so khoa hoc" finds
// "Sở Khoa học và Công nghệ"). Limit is 1..500 (default 50).
type AgencyFilter struct {
	Kind            string
	Query           string
	IncludeInactive bool
	Limit, Offset   int
}

// cleanInput validates and normalises an AgencyInput. The code is checked
// only when withCode (it cannot change after creation).
func cleanInput(in AgencyInput, withCode bool) (AgencyInput, error) {
	var out AgencyInput
	var err error
	if withCode {
		if out.Code, err = cleanCode("code", in.Code, maxAgencyCode); err != nil {
			return out, err
		}
	}
	if out.NameVI, err = cleanText(text{field: "name_vi", max: maxName, required: true}, in.NameVI); err != nil {
		return out, err
	}
	if out.NameEN, err = cleanText(text{field: "name_en", max: maxName}, in.NameEN); err != nil {
		return out, err
	}
	out.Kind = strings.ToLower(strings.TrimSpace(in.Kind))
	if out.Kind == "" {
		return out, errs.Field("kind", "is required")
	}
	if !ValidKind(out.Kind) {
		return out, errs.Field("kind", "must be one of %s", strings.Join(Kinds, ", "))
	}
	if strings.TrimSpace(in.ParentCode) != "" {
		if out.ParentCode, err = cleanCode("parent_code", in.ParentCode, maxAgencyCode); err != nil {
			return out, err
		}
	}
	if out.Address, err = cleanText(text{field: "address", max: maxAddress, multiline: true}, in.Address); err != nil {
		return out, err
	}
	return cleanContact(out, in.ContactName, in.ContactPhone, in.ContactEmail)
}

// cleanContact validates the contact point into out.
func cleanContact(out AgencyInput, name, phone, email string) (AgencyInput, error) {
	var err error
	if out.ContactName, err = cleanText(text{field: "contact_name", max: maxName}, name); err != nil {
		return out, err
	}
	if out.ContactPhone, err = cleanPhone("contact_phone", phone); err != nil {
		return out, err
	}
	if out.ContactEmail, err = cleanEmail("contact_email", email); err != nil {
		return out, err
	}
	return out, nil
}

func searchText(code, nameVI, nameEN string) string {
	return fold(code) + "\n" + fold(nameVI) + "\n" + fold(nameEN)
}

// CreateAgency records a new agency. Only admins may. The code must be new
// (errs.Conflict "agency code already used"); a parent must exist and be
// active; there can be only one active standing agency. The creation is
// the first row of the agency's history.
func (s *Service) CreateAgency(ctx context.Context, in AgencyInput) (Agency, error) {
	p, err := s.writer(ctx, access.CanManageAgencies, "create agencies", "agency", "")
	if err != nil {
		return Agency{}, err
	}
	in, err = cleanInput(in, true)
	if err != nil {
		return Agency{}, err
	}
	var out Agency
	err = s.transact(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM agencies WHERE code = ?`, in.Code).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &errs.Error{Kind: errs.Conflict, Field: "code", Msg: "agency code already used"}
		}
		parentID, err := resolveParent(ctx, tx, in.ParentCode, 0, 0)
		if err != nil {
			return err
		}
		if in.Kind == KindStanding {
			if err := checkOneStanding(ctx, tx, 0); err != nil {
				return err
			}
		}
		now := s.stamp()
		var contactAt *time.Time
		if in.ContactName != "" || in.ContactPhone != "" || in.ContactEmail != "" {
			contactAt = &now
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO agencies (code, name_vi, name_en, kind, parent_id, address,
			contact_name, contact_phone, contact_email, contact_updated_at, active, created_at, updated_at, search_text)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Code, in.NameVI, in.NameEN, in.Kind, nullID(parentID), in.Address,
			in.ContactName, in.ContactPhone, in.ContactEmail, store.NullTime(contactAt), true, now, now,
			searchText(in.Code, in.NameVI, in.NameEN)).Scan(&id)
		if err != nil {
			return err
		}
		if err := insertHistory(ctx, tx, HistoryEntry{
			AgencyID: id, ChangedAt: now, Change: ChangeCreate,
			NewNameVI: in.NameVI, NewNameEN: in.NameEN, NewKind: in.Kind, NewParentID: parentID,
			ActorUserID: p.UserID,
		}); err != nil {
			return err
		}
		if err := s.log.Record(ctx, tx, audit.Entry{
			Action: "agency.create", ObjectType: "agency", ObjectID: strconv.FormatInt(id, 10),
			Detail: in.Code + " " + in.NameVI,
		}); err != nil {
			return err
		}
		out, err = getAgency(ctx, tx, id)
		return err
	})
	if err != nil {
		return Agency{}, fmt.Errorf("agency: create %s: %w", in.Code, err)
	}
	return out, nil
}

// UpdateAgency replaces everything but the code of agency id with in (an
// empty field clears it; a Code, when given, must equal the current one).
// Only admins may. A change of name writes a "rename" row to the history,
// a change of only kind or parent an "update" row. Changing the contact
// point here also sets ContactUpdatedAt.
func (s *Service) UpdateAgency(ctx context.Context, id int64, in AgencyInput) (Agency, error) {
	sid := strconv.FormatInt(id, 10)
	p, err := s.writer(ctx, access.CanManageAgencies, "update agencies", "agency", sid)
	if err != nil {
		return Agency{}, err
	}
	code := strings.ToUpper(strings.TrimSpace(in.Code))
	in, err = cleanInput(in, false)
	if err != nil {
		return Agency{}, err
	}
	var out Agency
	err = s.transact(ctx, func(tx *store.Tx) error {
		cur, err := getAgency(ctx, tx, id)
		if err != nil {
			return err
		}
		if code != "" && code != cur.Code {
			return errs.Field("code", "cannot be changed; create a new agency and merge the old one into it")
		}
		parentID := cur.ParentID
		if in.ParentCode != cur.ParentCode {
			if parentID, err = resolveParent(ctx, tx, in.ParentCode, id, cur.ParentID); err != nil {
				return err
			}
		}
		if in.Kind == KindStanding && cur.Kind != KindStanding && cur.Active {
			if err := checkOneStanding(ctx, tx, id); err != nil {
				return err
			}
		}
		var changed []string
		note := func(field string, differs bool) {
			if differs {
				changed = append(changed, field)
			}
		}
		note("name_vi", in.NameVI != cur.NameVI)
		note("name_en", in.NameEN != cur.NameEN)
		note("kind", in.Kind != cur.Kind)
		note("parent", parentID != cur.ParentID)
		note("address", in.Address != cur.Address)
		contactChanged := in.ContactName != cur.ContactName || in.ContactPhone != cur.ContactPhone || in.ContactEmail != cur.ContactEmail
		note("contact", contactChanged)
		now := s.stamp()
		contactAt := cur.ContactUpdatedAt
		if contactChanged {
			contactAt = &now
		}
		if _, err := tx.Exec(ctx, `UPDATE agencies SET name_vi = ?, name_en = ?, kind = ?, parent_id = ?, address = ?,
			contact_name = ?, contact_phone = ?, contact_email = ?, contact_updated_at = ?, updated_at = ?, search_text = ?
			WHERE id = ?`,
			in.NameVI, in.NameEN, in.Kind, nullID(parentID), in.Address,
			in.ContactName, in.ContactPhone, in.ContactEmail, store.NullTime(contactAt), now,
			searchText(cur.Code, in.NameVI, in.NameEN), id); err != nil {
			return err
		}
		renamed := in.NameVI != cur.NameVI || in.NameEN != cur.NameEN
		if renamed || in.Kind != cur.Kind || parentID != cur.ParentID {
			change := ChangeUpdate
			if renamed {
				change = ChangeRename
			}
			if err := insertHistory(ctx, tx, HistoryEntry{
				AgencyID: id, ChangedAt: now, Change: change,
				OldNameVI: cur.NameVI, OldNameEN: cur.NameEN, OldKind: cur.Kind, OldParentID: cur.ParentID,
				NewNameVI: in.NameVI, NewNameEN: in.NameEN, NewKind: in.Kind, NewParentID: parentID,
				ActorUserID: p.UserID,
			}); err != nil {
				return err
			}
		}
		detail := cur.Code + ": no change"
		if len(changed) > 0 {
			detail = cur.Code + ": changed " + strings.Join(changed, ", ")
		}
		if err := s.log.Record(ctx, tx, audit.Entry{Action: "agency.update", ObjectType: "agency", ObjectID: sid, Detail: detail}); err != nil {
			return err
		}
		out, err = getAgency(ctx, tx, id)
		return err
	})
	if err != nil {
		return Agency{}, fmt.Errorf("agency: update %d: %w", id, err)
	}
	return out, nil
}

// UpdateContact sets the 24/7 contact point of agency id and stamps
// ContactUpdatedAt. Admins may, and the agency's own coordinators. Empty
// values clear a field.
func (s *Service) UpdateContact(ctx context.Context, id int64, name, phone, email string) (Agency, error) {
	sid := strconv.FormatInt(id, 10)
	_, err := s.writer(ctx, func(p *access.Principal) bool { return access.CanEditContact(p, id) },
		"edit the contact point of this agency", "agency", sid)
	if err != nil {
		return Agency{}, err
	}
	c, err := cleanContact(AgencyInput{}, name, phone, email)
	if err != nil {
		return Agency{}, err
	}
	var out Agency
	err = s.transact(ctx, func(tx *store.Tx) error {
		cur, err := getAgency(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE agencies SET contact_name = ?, contact_phone = ?, contact_email = ?,
			contact_updated_at = ?, updated_at = ? WHERE id = ?`,
			c.ContactName, c.ContactPhone, c.ContactEmail, now, now, id); err != nil {
			return err
		}
		// The detail names the agency, not the person: the log is kept
		// for years and is no place for personal data.
		if err := s.log.Record(ctx, tx, audit.Entry{Action: "agency.contact", ObjectType: "agency", ObjectID: sid,
			Detail: cur.Code + ": contact point updated"}); err != nil {
			return err
		}
		out, err = getAgency(ctx, tx, id)
		return err
	})
	if err != nil {
		return Agency{}, fmt.Errorf("agency: update contact %d: %w", id, err)
	}
	return out, nil
}

// MergeAgency records that agency fromID was merged into intoID: from
// becomes inactive with MergedIntoID = intoID, its active sub-units move
// under into (each with an "update" history row), and both agencies get a
// "merge" history row carrying note. Only admins may. Both must be active
// and into may not be from or one of from's sub-units. Nothing else that
// points at from (users, memberships, incidents) is changed: it is history.
func (s *Service) MergeAgency(ctx context.Context, fromID, intoID int64, note string) error {
	sid := strconv.FormatInt(fromID, 10)
	p, err := s.writer(ctx, access.CanManageAgencies, "merge agencies", "agency", sid)
	if err != nil {
		return err
	}
	if fromID == intoID {
		return errs.Field("into", "an agency cannot be merged into itself")
	}
	note, err = cleanText(text{field: "note", max: maxNote, multiline: true}, note)
	if err != nil {
		return err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		from, err := getAgency(ctx, tx, fromID)
		if err != nil {
			return err
		}
		into, err := getAgency(ctx, tx, intoID)
		if err != nil {
			return &errs.Error{Kind: errs.Invalid, Field: "into", Msg: "agency not found", Err: err}
		}
		if !from.Active {
			return errs.E(errs.Conflict, "agency %s is already inactive", from.Code)
		}
		if !into.Active {
			return errs.Field("into", "agency %s is inactive; merge into an active agency", into.Code)
		}
		for cur, n := into.ParentID, 0; cur != 0 && n < maxDepth; n++ {
			if cur == fromID {
				return errs.Field("into", "agency %s is a sub-unit of %s; it cannot absorb it", into.Code, from.Code)
			}
			if err := tx.QueryRow(ctx, `SELECT COALESCE(parent_id, 0) FROM agencies WHERE id = ?`, cur).Scan(&cur); err != nil {
				return err
			}
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE agencies SET active = ?, merged_into_id = ?, updated_at = ? WHERE id = ?`,
			false, intoID, now, fromID); err != nil {
			return err
		}
		children, err := childIDs(ctx, tx, fromID)
		if err != nil {
			return err
		}
		for _, c := range children {
			child, err := getAgency(ctx, tx, c)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE agencies SET parent_id = ?, updated_at = ? WHERE id = ?`, intoID, now, c); err != nil {
				return err
			}
			if err := insertHistory(ctx, tx, HistoryEntry{
				AgencyID: c, ChangedAt: now, Change: ChangeUpdate,
				OldNameVI: child.NameVI, OldNameEN: child.NameEN, OldKind: child.Kind, OldParentID: fromID,
				NewNameVI: child.NameVI, NewNameEN: child.NameEN, NewKind: child.Kind, NewParentID: intoID,
				OtherAgencyID: fromID, Note: "moved under " + into.Code + " when " + from.Code + " merged into it",
				ActorUserID: p.UserID,
			}); err != nil {
				return err
			}
		}
		for _, h := range []HistoryEntry{
			{AgencyID: fromID, OtherAgencyID: intoID, OldNameVI: from.NameVI, OldNameEN: from.NameEN, OldKind: from.Kind, OldParentID: from.ParentID,
				NewNameVI: from.NameVI, NewNameEN: from.NameEN, NewKind: from.Kind, NewParentID: from.ParentID},
			{AgencyID: intoID, OtherAgencyID: fromID, OldNameVI: into.NameVI, OldNameEN: into.NameEN, OldKind: into.Kind, OldParentID: into.ParentID,
				NewNameVI: into.NameVI, NewNameEN: into.NameEN, NewKind: into.Kind, NewParentID: into.ParentID},
		} {
			h.ChangedAt, h.Change, h.Note, h.ActorUserID = now, ChangeMerge, note, p.UserID
			if err := insertHistory(ctx, tx, h); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "agency.merge", ObjectType: "agency", ObjectID: sid,
			Detail: fmt.Sprintf("%s merged into %s; %d sub-units moved", from.Code, into.Code, len(children))})
	})
	if err != nil {
		return fmt.Errorf("agency: merge %d into %d: %w", fromID, intoID, err)
	}
	return nil
}

// maxDepth bounds walks up the parent chain, so bad data cannot loop.
const maxDepth = 64

// resolveParent returns the id of the parent named by code (0 for ""). A
// new parent must be active; for an existing agency self (0 on create) it
// may not be the agency itself or one of its sub-units. The current
// parent (oldID) is accepted even when it has since been merged.
func resolveParent(ctx context.Context, q store.Querier, code string, self, oldID int64) (int64, error) {
	if code == "" {
		return 0, nil
	}
	var id int64
	var active bool
	err := q.QueryRow(ctx, `SELECT id, active FROM agencies WHERE code = ?`, code).Scan(&id, &active)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.Field("parent_code", "no agency has the code %s", code)
	}
	if err != nil {
		return 0, err
	}
	if id == oldID {
		return id, nil
	}
	if !active {
		return 0, errs.Field("parent_code", "agency %s is inactive (merged); choose the agency that absorbed it", code)
	}
	for cur, n := id, 0; self != 0 && cur != 0 && n < maxDepth; n++ {
		if cur == self {
			return 0, errs.Field("parent_code", "an agency cannot be placed under itself or one of its sub-units")
		}
		if err := q.QueryRow(ctx, `SELECT COALESCE(parent_id, 0) FROM agencies WHERE id = ?`, cur).Scan(&cur); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// checkOneStanding fails when an active standing agency other than self
// exists.
func checkOneStanding(ctx context.Context, q store.Querier, self int64) error {
	var code string
	err := q.QueryRow(ctx, `SELECT code FROM agencies WHERE kind = ? AND active AND id <> ?`, KindStanding, self).Scan(&code)
	switch {
	case errs.Is(err, errs.NotFound):
		return nil
	case err != nil:
		return err
	}
	return &errs.Error{Kind: errs.Conflict, Field: "kind",
		Msg: fmt.Sprintf("%s is already the standing agency; merge it or change its kind first", code)}
}

func childIDs(ctx context.Context, q store.Querier, parent int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM agencies WHERE parent_id = ? AND active ORDER BY id`, parent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func insertHistory(ctx context.Context, tx *store.Tx, h HistoryEntry) error {
	_, err := tx.Exec(ctx, `INSERT INTO agency_history (agency_id, changed_at, change, old_name_vi, old_name_en, old_kind,
		old_parent_id, new_name_vi, new_name_en, new_kind, new_parent_id, other_agency_id, note, actor_user_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		h.AgencyID, h.ChangedAt, h.Change, h.OldNameVI, h.OldNameEN, h.OldKind,
		nullID(h.OldParentID), h.NewNameVI, h.NewNameEN, h.NewKind, nullID(h.NewParentID), nullID(h.OtherAgencyID),
		h.Note, nullID(h.ActorUserID))
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}
