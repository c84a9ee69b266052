package sysinv

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// System is an important information system's record. The fields after
// UpdatedAt are computed when the record is read.
type System struct {
	ID                  int64      `json:"id"`
	Name                string     `json:"name"`
	Description         string     `json:"description"`
	OwnerAgencyID       int64      `json:"owner_agency_id"`
	OwnerAgency         string     `json:"owner_agency"`
	OperatorAgencyID    int64      `json:"operator_agency_id,omitempty"`
	OperatorAgency      string     `json:"operator_agency,omitempty"`
	OperatorProvider    string     `json:"operator_provider,omitempty"`
	OperatorContractEnd string     `json:"operator_contract_end,omitempty"`
	SecurityUnit        string     `json:"security_unit"`
	Type                string     `json:"system_type"`
	InfoClass           string     `json:"info_class"`
	PersonalUsers       int        `json:"personal_users"`
	OnlineServiceLevel  int        `json:"online_service_level"`
	AlwaysOn            bool       `json:"always_on"`
	Reach               string     `json:"reach"`
	ProposedLevel       int        `json:"proposed_level"`
	ApprovedLevel       int        `json:"approved_level"`
	ApprovalNumber      string     `json:"approval_number,omitempty"`
	ApprovalDate        string     `json:"approval_date,omitempty"`
	ApprovalSigner      string     `json:"approval_signer,omitempty"`
	NationalCritical    bool       `json:"national_critical"`
	SecurityPlan        string     `json:"security_plan"`
	IRPlan              string     `json:"ir_plan"`
	LastDrillDate       string     `json:"last_drill_date,omitempty"`
	Contacts            string     `json:"contacts"`
	Status              string     `json:"status"`
	AddressTLP          access.TLP `json:"address_tlp"`
	DossierStatus       string     `json:"dossier_status"`
	DossierDue          string     `json:"dossier_due,omitempty"`
	DossierNote         string     `json:"dossier_note,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`

	// Level is the level in force: the approved one, else the proposed one.
	Level int `json:"level"`
	// ComponentLevel is the highest level given to a component (0: none).
	ComponentLevel int `json:"component_level"`
	// LevelMismatch flags a system whose level differs from the highest of
	// its components' levels.
	LevelMismatch bool       `json:"level_mismatch"`
	Suggested     Suggestion `json:"suggested"`
}

// Criteria returns the record's level criteria.
func (s System) Criteria() Criteria {
	return Criteria{Type: s.Type, InfoClass: s.InfoClass, PersonalUsers: s.PersonalUsers, OnlineServiceLevel: s.OnlineServiceLevel,
		AlwaysOn: s.AlwaysOn, Reach: s.Reach, NationalCritical: s.NationalCritical}
}

// SystemInput is what a user writes. Owner agency: 0 means the caller's.
type SystemInput struct {
	Name                string     `json:"name"`
	Description         string     `json:"description"`
	OwnerAgencyID       int64      `json:"owner_agency_id"`
	OperatorAgencyID    int64      `json:"operator_agency_id"`
	OperatorProvider    string     `json:"operator_provider"`
	OperatorContractEnd string     `json:"operator_contract_end"`
	SecurityUnit        string     `json:"security_unit"`
	Type                string     `json:"system_type"`
	InfoClass           string     `json:"info_class"`
	PersonalUsers       int        `json:"personal_users"`
	OnlineServiceLevel  int        `json:"online_service_level"`
	AlwaysOn            bool       `json:"always_on"`
	Reach               string     `json:"reach"`
	ProposedLevel       int        `json:"proposed_level"`
	NationalCritical    bool       `json:"national_critical"`
	SecurityPlan        string     `json:"security_plan"`
	IRPlan              string     `json:"ir_plan"`
	LastDrillDate       string     `json:"last_drill_date"`
	Contacts            string     `json:"contacts"`
	Status              string     `json:"status"`
	AddressTLP          access.TLP `json:"address_tlp"`
}

func (in *SystemInput) normalize() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return errs.Field("name", "is required")
	}
	if in.Status == "" {
		in.Status = "operating"
	}
	if in.AddressTLP == "" {
		in.AddressTLP = access.Amber
	}
	t, err := access.ParseTLP(string(in.AddressTLP))
	if err != nil {
		return errs.Field("address_tlp", "must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
	}
	in.AddressTLP = t
	for _, c := range []struct {
		field, v string
		max      int
	}{{"name", in.Name, 300}, {"description", in.Description, 10000}, {"operator_provider", in.OperatorProvider, 300},
		{"security_unit", in.SecurityUnit, 300}, {"security_plan", in.SecurityPlan, 2000}, {"ir_plan", in.IRPlan, 2000}, {"contacts", in.Contacts, 2000}} {
		if err := checkLen(c.field, c.v, c.max); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		field, v string
		allowed  []string
	}{{"system_type", in.Type, Types}, {"info_class", in.InfoClass, InfoClasses}, {"reach", in.Reach, Reaches}, {"status", in.Status, Statuses}} {
		if err := oneOf(c.field, c.v, c.allowed); err != nil {
			return err
		}
	}
	if in.PersonalUsers < 0 || in.PersonalUsers > 200_000_000 {
		return errs.Field("personal_users", "must be between 0 and 200,000,000")
	}
	if in.OnlineServiceLevel < 0 || in.OnlineServiceLevel > 4 {
		return errs.Field("online_service_level", "must be 0 (none) to 4")
	}
	if in.ProposedLevel < 0 || in.ProposedLevel > 5 {
		return errs.Field("proposed_level", "must be 1 to 5 (0: not yet proposed)")
	}
	if err := checkDate("operator_contract_end", in.OperatorContractEnd); err != nil {
		return err
	}
	return checkDate("last_drill_date", in.LastDrillDate)
}

const systemCols = `s.id, s.name, s.description, s.owner_agency_id, oa.code, COALESCE(s.operator_agency_id, 0), COALESCE(pa.code, ''),
	s.operator_provider, s.operator_contract_end, s.security_unit, s.system_type, s.info_class, s.personal_users, s.online_service_level,
	s.always_on, s.reach, s.proposed_level, s.approved_level, s.approval_number, s.approval_date, s.approval_signer, s.national_critical,
	s.security_plan, s.ir_plan, s.last_drill_date, s.contacts, s.status, s.address_tlp, s.dossier_status, s.dossier_due, s.dossier_note,
	s.created_at, s.updated_at,
	COALESCE((SELECT MAX(c.level) FROM sysinv_components c WHERE c.system_id = s.id), 0)`

const systemFrom = ` FROM sysinv_systems s JOIN agencies oa ON oa.id = s.owner_agency_id LEFT JOIN agencies pa ON pa.id = s.operator_agency_id`

type scanner interface{ Scan(...any) error }

func scanSystem(r scanner) (System, error) {
	var s System
	var tlp string
	var created, updated store.Time
	err := r.Scan(&s.ID, &s.Name, &s.Description, &s.OwnerAgencyID, &s.OwnerAgency, &s.OperatorAgencyID, &s.OperatorAgency,
		&s.OperatorProvider, &s.OperatorContractEnd, &s.SecurityUnit, &s.Type, &s.InfoClass, &s.PersonalUsers, &s.OnlineServiceLevel,
		&s.AlwaysOn, &s.Reach, &s.ProposedLevel, &s.ApprovedLevel, &s.ApprovalNumber, &s.ApprovalDate, &s.ApprovalSigner, &s.NationalCritical,
		&s.SecurityPlan, &s.IRPlan, &s.LastDrillDate, &s.Contacts, &s.Status, &tlp, &s.DossierStatus, &s.DossierDue, &s.DossierNote,
		&created, &updated, &s.ComponentLevel)
	if err != nil {
		return System{}, err
	}
	s.AddressTLP = access.TLP(tlp)
	s.CreatedAt, s.UpdatedAt = created.Time, updated.Time
	s.derive()
	return s, nil
}

func (s *System) derive() {
	s.Level = s.ApprovedLevel
	if s.Level == 0 {
		s.Level = s.ProposedLevel
	}
	s.LevelMismatch = s.ComponentLevel > 0 && s.Level > 0 && s.ComponentLevel != s.Level
	s.Suggested = Suggest(s.Criteria())
}

func getSystem(ctx context.Context, q store.Querier, id int64) (System, error) {
	s, err := scanSystem(q.QueryRow(ctx, `SELECT `+systemCols+systemFrom+` WHERE s.id = ?`, id))
	if errs.Is(err, errs.NotFound) {
		return System{}, errs.E(errs.NotFound, "system %d not found", id)
	}
	if err != nil {
		return System{}, fmt.Errorf("sysinv: get system %d: %w", id, err)
	}
	return s, nil
}

// SuggestFor computes the suggestion for criteria not yet saved (the form
// shows it as the user types). Any signed-in user may call it.
func (s *Service) SuggestFor(ctx context.Context, c Criteria) (Suggestion, error) {
	if _, err := access.Require(ctx); err != nil {
		return Suggestion{}, err
	}
	return Suggest(c), nil
}

// CreateSystem records a new system owned by in.OwnerAgencyID (the
// caller's agency when 0). The caller must be allowed to edit that agency's
// systems. The dossier starts as a draft.
func (s *Service) CreateSystem(ctx context.Context, in SystemInput) (System, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return System{}, err
	}
	if in.OwnerAgencyID == 0 {
		in.OwnerAgencyID = p.AgencyID
	}
	if !access.CanEditSystem(p, in.OwnerAgencyID) {
		return System{}, s.deny(ctx, "create a system for this agency", 0)
	}
	if err := in.normalize(); err != nil {
		return System{}, err
	}
	var id int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		if err := agencyExists(ctx, tx, "owner_agency_id", in.OwnerAgencyID); err != nil {
			return err
		}
		if in.OperatorAgencyID != 0 {
			if err := agencyExists(ctx, tx, "operator_agency_id", in.OperatorAgencyID); err != nil {
				return err
			}
		}
		now := s.stamp()
		err := tx.QueryRow(ctx, `INSERT INTO sysinv_systems (name, description, owner_agency_id, operator_agency_id, operator_provider,
			operator_contract_end, security_unit, system_type, info_class, personal_users, online_service_level, always_on, reach,
			proposed_level, national_critical, security_plan, ir_plan, last_drill_date, contacts, status, address_tlp,
			created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Name, in.Description, in.OwnerAgencyID, nullID(in.OperatorAgencyID), in.OperatorProvider, in.OperatorContractEnd,
			in.SecurityUnit, in.Type, in.InfoClass, in.PersonalUsers, in.OnlineServiceLevel, in.AlwaysOn, in.Reach, in.ProposedLevel,
			in.NationalCritical, in.SecurityPlan, in.IRPlan, in.LastDrillDate, in.Contacts, in.Status, string(in.AddressTLP),
			nullID(p.UserID), now, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("sysinv: create system: %w", err)
		}
		return s.record(ctx, tx, "system.create", "system", id, in.Name)
	})
	if err != nil {
		return System{}, err
	}
	return s.GetSystem(ctx, id)
}

// UpdateSystem changes the record. The owner agency cannot change here (a
// transfer is an admin's correction: admins may set it). Changing the
// proposed level of an approved dossier sends it back to draft, since the
// approval was for the old level.
func (s *Service) UpdateSystem(ctx context.Context, id int64, in SystemInput) (System, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return System{}, err
	}
	if err := in.normalize(); err != nil {
		return System{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		cur, err := getSystem(ctx, tx, id)
		if err != nil {
			return err
		}
		if !access.CanEditSystem(p, cur.OwnerAgencyID) {
			return errs.E(errs.Forbidden, "you are not allowed to edit this system")
		}
		if in.OwnerAgencyID == 0 || !p.Has(access.Admin) {
			in.OwnerAgencyID = cur.OwnerAgencyID
		}
		if err := agencyExists(ctx, tx, "owner_agency_id", in.OwnerAgencyID); err != nil {
			return err
		}
		if in.OperatorAgencyID != 0 {
			if err := agencyExists(ctx, tx, "operator_agency_id", in.OperatorAgencyID); err != nil {
				return err
			}
		}
		dossier, approved := cur.DossierStatus, cur.ApprovedLevel
		if in.ProposedLevel != cur.ProposedLevel && cur.DossierStatus == "approved" {
			dossier = "draft"
			if err := s.addEvent(ctx, tx, id, cur.DossierStatus, "draft", in.ProposedLevel, fmt.Sprintf("proposed level changed from %d to %d", cur.ProposedLevel, in.ProposedLevel)); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE sysinv_systems SET name = ?, description = ?, owner_agency_id = ?, operator_agency_id = ?,
			operator_provider = ?, operator_contract_end = ?, security_unit = ?, system_type = ?, info_class = ?, personal_users = ?,
			online_service_level = ?, always_on = ?, reach = ?, proposed_level = ?, national_critical = ?, security_plan = ?, ir_plan = ?,
			last_drill_date = ?, contacts = ?, status = ?, address_tlp = ?, dossier_status = ?, approved_level = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.Description, in.OwnerAgencyID, nullID(in.OperatorAgencyID), in.OperatorProvider, in.OperatorContractEnd,
			in.SecurityUnit, in.Type, in.InfoClass, in.PersonalUsers, in.OnlineServiceLevel, in.AlwaysOn, in.Reach, in.ProposedLevel,
			in.NationalCritical, in.SecurityPlan, in.IRPlan, in.LastDrillDate, in.Contacts, in.Status, string(in.AddressTLP),
			dossier, approved, s.stamp(), id)
		if err != nil {
			return fmt.Errorf("sysinv: update system %d: %w", id, err)
		}
		return s.record(ctx, tx, "system.update", "system", id, in.Name)
	})
	if errs.Is(err, errs.Forbidden) {
		return System{}, s.deny(ctx, "edit this system", id)
	}
	if err != nil {
		return System{}, err
	}
	s.addressesChanged() // name, status or the addresses' label may have changed
	return s.GetSystem(ctx, id)
}

// GetSystem returns a system the caller may read; NotFound for one it may
// not (its existence is not disclosed to other agencies).
func (s *Service) GetSystem(ctx context.Context, id int64) (System, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return System{}, err
	}
	sys, err := getSystem(ctx, s.db, id)
	if err != nil {
		return System{}, err
	}
	if !access.CanReadSystem(p, sys.OwnerAgencyID) {
		return System{}, errs.E(errs.NotFound, "system %d not found", id)
	}
	return sys, nil
}

// SystemFilter selects systems. AgencyID 0 means every agency the caller
// may see.
type SystemFilter struct {
	AgencyID int64
	Level    int
	Status   string
	Query    string
	Limit    int
	Offset   int
}

// ListSystems returns the systems the caller may see, by name, and the
// total.
func (s *Service) ListSystems(ctx context.Context, f SystemFilter) ([]System, int, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	where, args := []string{"1=1"}, []any{}
	if !access.CanListAllSystems(p) {
		where = append(where, "s.owner_agency_id = ?")
		args = append(args, p.AgencyID)
	}
	if f.AgencyID != 0 {
		where = append(where, "s.owner_agency_id = ?")
		args = append(args, f.AgencyID)
	}
	if f.Level != 0 {
		where = append(where, "(CASE WHEN s.approved_level > 0 THEN s.approved_level ELSE s.proposed_level END) = ?")
		args = append(args, f.Level)
	}
	if f.Status != "" {
		where = append(where, "s.status = ?")
		args = append(args, f.Status)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if len(q) > 200 {
			return nil, 0, errs.Field("q", "must be at most 200 bytes")
		}
		where = append(where, "(LOWER(s.name) LIKE ? ESCAPE '\\' OR LOWER(s.description) LIKE ? ESCAPE '\\')")
		like := "%" + likeEscape(strings.ToLower(q)) + "%"
		args = append(args, like, like)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*)`+systemFrom+` WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sysinv: count systems: %w", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := s.db.Query(ctx, `SELECT `+systemCols+systemFrom+` WHERE `+cond+` ORDER BY s.name, s.id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("sysinv: list systems: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []System
	for rows.Next() {
		sys, err := scanSystem(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sysinv: scan system: %w", store.Translate(err))
		}
		out = append(out, sys)
	}
	return out, total, store.Translate(rows.Err())
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func agencyExists(ctx context.Context, q store.Querier, field string, id int64) error {
	var ok int
	err := q.QueryRow(ctx, `SELECT 1 FROM agencies WHERE id = ? AND active`, id).Scan(&ok)
	if errs.Is(err, errs.NotFound) {
		return errs.Field(field, "no active agency has id %d", id)
	}
	return err
}
