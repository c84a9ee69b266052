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

// The kinds of body.
const (
	// BodySubcommittee is the provincial Cyber Security and Safety
	// Subcommittee.
	BodySubcommittee = "subcommittee"
	// BodyWorkingGroup is a working group, usually under the subcommittee.
	BodyWorkingGroup = "working_group"
	// BodyOther is any other body (a response team, a council).
	BodyOther = "other"
)

// BodyKinds lists the body kinds in display order. Treat it as read-only.
var BodyKinds = []string{BodySubcommittee, BodyWorkingGroup, BodyOther}

// Body is a collective body with members: the subcommittee, its working
// group. Code is 2-32 characters of A-Z, 0-9 and '-'; ParentID is the body
// it belongs to and DecisionID the decision that set it up (0 when none).
type Body struct {
	ID         int64     `json:"id"`
	Code       string    `json:"code"`
	NameVI     string    `json:"name_vi"`
	NameEN     string    `json:"name_en"`
	Kind       string    `json:"kind"`
	ParentID   int64     `json:"parent_id"`
	DecisionID int64     `json:"decision_id"`
	CreatedAt  time.Time `json:"created_at"`
}

func cleanBody(b Body) (Body, error) {
	out := Body{ParentID: b.ParentID, DecisionID: b.DecisionID}
	var err error
	if out.Code, err = cleanCode("code", b.Code, maxBodyCode); err != nil {
		return out, err
	}
	if out.NameVI, err = cleanText(text{field: "name_vi", max: maxName, required: true}, b.NameVI); err != nil {
		return out, err
	}
	if out.NameEN, err = cleanText(text{field: "name_en", max: maxName}, b.NameEN); err != nil {
		return out, err
	}
	out.Kind = strings.ToLower(strings.TrimSpace(b.Kind))
	if !slices.Contains(BodyKinds, out.Kind) {
		return out, errs.Field("kind", "must be one of %s", strings.Join(BodyKinds, ", "))
	}
	if out.ParentID < 0 {
		return out, errs.Field("parent_id", "body not found")
	}
	if out.DecisionID < 0 {
		return out, errs.Field("decision_id", "decision not found")
	}
	return out, nil
}

// CreateBody records a body (ID and CreatedAt of b are ignored). Admins and
// the standing agency's coordinators may. The code must be new
// (errs.Conflict); the parent body and the decision, when given, must
// exist.
func (s *Service) CreateBody(ctx context.Context, b Body) (Body, error) {
	if _, err := s.writer(ctx, access.CanManageSubcommittee, "record bodies", "body", ""); err != nil {
		return Body{}, err
	}
	b, err := cleanBody(b)
	if err != nil {
		return Body{}, err
	}
	var out Body
	err = s.transact(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM bodies WHERE code = ?`, b.Code).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &errs.Error{Kind: errs.Conflict, Field: "code", Msg: "body code already used"}
		}
		if err := mustExist(ctx, tx, "bodies", "parent_id", "body", b.ParentID); err != nil {
			return err
		}
		if err := mustExist(ctx, tx, "decisions", "decision_id", "decision", b.DecisionID); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO bodies (code, name_vi, name_en, kind, parent_id, decision_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			b.Code, b.NameVI, b.NameEN, b.Kind, nullID(b.ParentID), nullID(b.DecisionID), s.stamp()).Scan(&id); err != nil {
			return err
		}
		if err := s.log.Record(ctx, tx, audit.Entry{Action: "body.create", ObjectType: "body",
			ObjectID: strconv.FormatInt(id, 10), Detail: b.Code + " " + b.NameVI}); err != nil {
			return err
		}
		out, err = getBody(ctx, tx, `id = ?`, id)
		return err
	})
	if err != nil {
		return Body{}, fmt.Errorf("agency: create body %s: %w", b.Code, err)
	}
	return out, nil
}

const bodyColumns = `id, code, name_vi, name_en, kind, COALESCE(parent_id, 0), COALESCE(decision_id, 0), created_at FROM bodies`

func scanBody(r scanner) (Body, error) {
	var b Body
	var at store.Time
	err := r.Scan(&b.ID, &b.Code, &b.NameVI, &b.NameEN, &b.Kind, &b.ParentID, &b.DecisionID, &at)
	b.CreatedAt = at.Time
	return b, err
}

// getBody reads the body matching cond ("id = ?" or "code = ?").
func getBody(ctx context.Context, q store.Querier, cond string, arg any) (Body, error) {
	b, err := scanBody(q.QueryRow(ctx, `SELECT `+bodyColumns+` WHERE `+cond, arg))
	if errs.Is(err, errs.NotFound) {
		return Body{}, errs.Wrap(errs.NotFound, err, "body not found")
	}
	return b, err
}

// GetBody returns body id; errs.NotFound when there is none. Any signed-in
// user may read bodies.
func (s *Service) GetBody(ctx context.Context, id int64) (Body, error) {
	if _, err := s.reader(ctx); err != nil {
		return Body{}, err
	}
	b, err := getBody(ctx, s.db, `id = ?`, id)
	if err != nil {
		return Body{}, fmt.Errorf("agency: get body %d: %w", id, err)
	}
	return b, nil
}

// BodyByCode returns the body with code (case-insensitive); errs.NotFound
// when there is none.
func (s *Service) BodyByCode(ctx context.Context, code string) (Body, error) {
	if _, err := s.reader(ctx); err != nil {
		return Body{}, err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	b, err := getBody(ctx, s.db, `code = ?`, code)
	if err != nil {
		return Body{}, fmt.Errorf("agency: body %q: %w", code, err)
	}
	return b, nil
}

// ListBodies returns every body, by kind (in BodyKinds order) and code.
// There are a handful per province, so there is no paging.
func (s *Service) ListBodies(ctx context.Context) ([]Body, error) {
	if _, err := s.reader(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+bodyColumns+` ORDER BY `+rankExpr("kind", BodyKinds)+`, code`)
	if err != nil {
		return nil, fmt.Errorf("agency: list bodies: %w", err)
	}
	defer rows.Close()
	out := []Body{}
	for rows.Next() {
		b, err := scanBody(rows)
		if err != nil {
			return nil, fmt.Errorf("agency: list bodies: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("agency: list bodies: %w", err)
	}
	return out, nil
}
