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

// The kinds of decision.
const (
	// DecisionMembership sets up a body or appoints or relieves members.
	DecisionMembership = "membership"
	// DecisionAssignment assigns tasks to agencies.
	DecisionAssignment = "assignment"
	// DecisionOther is any other decision worth recording.
	DecisionOther = "other"
)

// DecisionKinds lists the decision kinds. Treat it as read-only.
var DecisionKinds = []string{DecisionMembership, DecisionAssignment, DecisionOther}

// Decision is an official decision, such as the People's Committee's
// decision that sets up the subcommittee or appoints its members. Number
// is as printed ("1234/QĐ-UBND") and unique; Date is YYYY-MM-DD; AgencyID
// is the issuing agency (0 when not recorded).
type Decision struct {
	ID        int64     `json:"id"`
	Number    string    `json:"number"`
	Date      string    `json:"date"`
	Title     string    `json:"title"`
	Kind      string    `json:"kind"`
	Signer    string    `json:"signer"`
	AgencyID  int64     `json:"agency_id"`
	CreatedAt time.Time `json:"created_at"`
}

func cleanDecision(d Decision) (Decision, error) {
	out := Decision{AgencyID: d.AgencyID}
	var err error
	if out.Number, err = cleanText(text{field: "number", max: maxDecisionNo, required: true}, d.Number); err != nil {
		return out, err
	}
	if out.Date, err = cleanDate("date", d.Date, true); err != nil {
		return out, err
	}
	if out.Title, err = cleanText(text{field: "title", max: maxTitle, required: true}, d.Title); err != nil {
		return out, err
	}
	out.Kind = strings.ToLower(strings.TrimSpace(d.Kind))
	if !slices.Contains(DecisionKinds, out.Kind) {
		return out, errs.Field("kind", "must be one of %s", strings.Join(DecisionKinds, ", "))
	}
	if out.Signer, err = cleanText(text{field: "signer", max: maxName}, d.Signer); err != nil {
		return out, err
	}
	if out.AgencyID < 0 {
		return out, errs.Field("agency_id", "agency not found")
	}
	return out, nil
}

// CreateDecision records a decision (ID and CreatedAt of d are ignored).
// Admins and the standing agency's coordinators may. The number must be
// new (errs.Conflict); the issuing agency, when given, must exist.
func (s *Service) CreateDecision(ctx context.Context, d Decision) (Decision, error) {
	if _, err := s.writer(ctx, access.CanManageSubcommittee, "record decisions", "decision", ""); err != nil {
		return Decision{}, err
	}
	d, err := cleanDecision(d)
	if err != nil {
		return Decision{}, err
	}
	var out Decision
	err = s.transact(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM decisions WHERE number = ?`, d.Number).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &errs.Error{Kind: errs.Conflict, Field: "number", Msg: "a decision with this number is already recorded"}
		}
		if err := mustExist(ctx, tx, "agencies", "agency_id", "agency", d.AgencyID); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO decisions (number, decided_on, title, kind, signer, agency_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			d.Number, d.Date, d.Title, d.Kind, d.Signer, nullID(d.AgencyID), s.stamp()).Scan(&id); err != nil {
			return err
		}
		if err := s.log.Record(ctx, tx, audit.Entry{Action: "decision.create", ObjectType: "decision",
			ObjectID: strconv.FormatInt(id, 10), Detail: d.Number + " (" + d.Date + ")"}); err != nil {
			return err
		}
		out, err = getDecision(ctx, tx, id)
		return err
	})
	if err != nil {
		return Decision{}, fmt.Errorf("agency: create decision %q: %w", d.Number, err)
	}
	return out, nil
}

// mustExist checks that id (when not 0) is a row of table; otherwise it is
// an Invalid error on field. table is one of this package's constants.
func mustExist(ctx context.Context, q store.Querier, table, field, what string, id int64) error {
	if id == 0 {
		return nil
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return errs.Field(field, "%s %d not found", what, id)
	}
	return nil
}

const decisionColumns = `id, number, decided_on, title, kind, signer, COALESCE(agency_id, 0), created_at FROM decisions`

func scanDecision(r scanner) (Decision, error) {
	var d Decision
	var at store.Time
	err := r.Scan(&d.ID, &d.Number, &d.Date, &d.Title, &d.Kind, &d.Signer, &d.AgencyID, &at)
	d.CreatedAt = at.Time
	return d, err
}

func getDecision(ctx context.Context, q store.Querier, id int64) (Decision, error) {
	d, err := scanDecision(q.QueryRow(ctx, `SELECT `+decisionColumns+` WHERE id = ?`, id))
	if errs.Is(err, errs.NotFound) {
		return Decision{}, errs.Wrap(errs.NotFound, err, "decision not found")
	}
	return d, err
}

// GetDecision returns decision id; errs.NotFound when there is none. Any
// signed-in user may read decisions.
func (s *Service) GetDecision(ctx context.Context, id int64) (Decision, error) {
	if _, err := s.reader(ctx); err != nil {
		return Decision{}, err
	}
	d, err := getDecision(ctx, s.db, id)
	if err != nil {
		return Decision{}, fmt.Errorf("agency: get decision %d: %w", id, err)
	}
	return d, nil
}

// DecisionByNumber returns the decision with number exactly as recorded
// (after NFC normalisation); errs.NotFound when there is none.
func (s *Service) DecisionByNumber(ctx context.Context, number string) (Decision, error) {
	if _, err := s.reader(ctx); err != nil {
		return Decision{}, err
	}
	id, err := decisionID(ctx, s.db, number)
	if err != nil {
		return Decision{}, fmt.Errorf("agency: decision %q: %w", number, err)
	}
	return s.GetDecision(ctx, id)
}

func decisionID(ctx context.Context, q store.Querier, number string) (int64, error) {
	number, err := cleanText(text{field: "number", max: maxDecisionNo, required: true}, number)
	if err != nil {
		return 0, err
	}
	var id int64
	err = q.QueryRow(ctx, `SELECT id FROM decisions WHERE number = ?`, number).Scan(&id)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.Wrap(errs.NotFound, err, "decision not found")
	}
	return id, err
}

// ListDecisions returns one page of decisions, newest first (limit 1..500,
// default 50), and the total number recorded.
func (s *Service) ListDecisions(ctx context.Context, limit, offset int) ([]Decision, int, error) {
	if _, err := s.reader(ctx); err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM decisions`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("agency: count decisions: %w", err)
	}
	limit, offset = page(limit, offset)
	rows, err := s.db.Query(ctx, `SELECT `+decisionColumns+` ORDER BY decided_on DESC, id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("agency: list decisions: %w", err)
	}
	defer rows.Close()
	out := []Decision{}
	for rows.Next() {
		d, err := scanDecision(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("agency: list decisions: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("agency: list decisions: %w", err)
	}
	return out, total, nil
}
