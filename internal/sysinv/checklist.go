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

// ChecklistItem is one requirement of the Circular 12/2022 checklist. The
// texts are the province's summary, not the legal text.
type ChecklistItem struct {
	ID       int64  `json:"id"`
	Code     string `json:"code"`
	Group    string `json:"group"` // management or technical
	Area     string `json:"area"`
	MinLevel int    `json:"min_level"`
	TextVI   string `json:"text_vi"`
	TextEN   string `json:"text_en"`
	Position int    `json:"position"`
	Active   bool   `json:"active"`
}

// ChecklistGroups are the requirement groups.
var ChecklistGroups = []string{"management", "technical"}

// Answer is a system's answer to one applicable item.
type Answer struct {
	Item      ChecklistItem `json:"item"`
	Met       bool          `json:"met"`
	Evidence  string        `json:"evidence"`
	UpdatedBy string        `json:"updated_by,omitempty"`
	UpdatedAt *time.Time    `json:"updated_at,omitempty"`
}

// Compliance is the share of applicable items met.
type Compliance struct {
	Applicable int     `json:"applicable"`
	Met        int     `json:"met"`
	Percent    float64 `json:"percent"`
}

func compliance(met, applicable int) Compliance {
	c := Compliance{Applicable: applicable, Met: met}
	if applicable > 0 {
		c.Percent = float64(int(float64(met)*1000/float64(applicable)+0.5)) / 10
	}
	return c
}

// ChecklistItems lists the items (inactive ones too when all is true);
// any signed-in user.
func (s *Service) ChecklistItems(ctx context.Context, all bool) ([]ChecklistItem, error) {
	if _, err := access.Require(ctx); err != nil {
		return nil, err
	}
	return checklistItems(ctx, s.db, all)
}

func checklistItems(ctx context.Context, q store.Querier, all bool) ([]ChecklistItem, error) {
	cond := "active"
	if all {
		cond = "1=1"
	}
	rows, err := q.Query(ctx, `SELECT id, code, grp, area, min_level, text_vi, text_en, position, active FROM sysinv_checklist_items WHERE `+cond+` ORDER BY position, code`)
	if err != nil {
		return nil, fmt.Errorf("sysinv: checklist: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []ChecklistItem
	for rows.Next() {
		var it ChecklistItem
		if err := rows.Scan(&it.ID, &it.Code, &it.Group, &it.Area, &it.MinLevel, &it.TextVI, &it.TextEN, &it.Position, &it.Active); err != nil {
			return nil, fmt.Errorf("sysinv: scan item: %w", store.Translate(err))
		}
		out = append(out, it)
	}
	return out, store.Translate(rows.Err())
}

// SaveChecklistItem creates (ID 0) or changes an item; province
// coordinators and admins only.
func (s *Service) SaveChecklistItem(ctx context.Context, it ChecklistItem) (ChecklistItem, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return ChecklistItem{}, err
	}
	if !access.CanEditChecklist(p) {
		return ChecklistItem{}, s.log.Denied(ctx, "edit the requirement checklist", "checklist", fmt.Sprint(it.ID))
	}
	it.Code, it.TextVI, it.TextEN = strings.TrimSpace(it.Code), strings.TrimSpace(it.TextVI), strings.TrimSpace(it.TextEN)
	switch {
	case it.Code == "" || len(it.Code) > 20:
		return ChecklistItem{}, errs.Field("code", "is required, at most 20 bytes")
	case it.TextVI == "" || len(it.TextVI) > 1000:
		return ChecklistItem{}, errs.Field("text_vi", "is required, at most 1000 bytes")
	case len(it.TextEN) > 1000:
		return ChecklistItem{}, errs.Field("text_en", "must be at most 1000 bytes")
	case it.MinLevel < 1 || it.MinLevel > 5:
		return ChecklistItem{}, errs.Field("min_level", "must be 1 to 5")
	case len(it.Area) > 50:
		return ChecklistItem{}, errs.Field("area", "must be at most 50 bytes")
	}
	if err := oneOf("group", it.Group, ChecklistGroups); err != nil {
		return ChecklistItem{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		if it.ID == 0 {
			it.Active = true
			if err := tx.QueryRow(ctx, `INSERT INTO sysinv_checklist_items (code, grp, area, min_level, text_vi, text_en, position, active) VALUES (?, ?, ?, ?, ?, ?, ?, TRUE) RETURNING id`,
				it.Code, it.Group, it.Area, it.MinLevel, it.TextVI, it.TextEN, it.Position).Scan(&it.ID); err != nil {
				return fmt.Errorf("sysinv: add item: %w", err)
			}
		} else {
			res, err := tx.Exec(ctx, `UPDATE sysinv_checklist_items SET code = ?, grp = ?, area = ?, min_level = ?, text_vi = ?, text_en = ?, position = ?, active = ? WHERE id = ?`,
				it.Code, it.Group, it.Area, it.MinLevel, it.TextVI, it.TextEN, it.Position, it.Active, it.ID)
			if err != nil {
				return fmt.Errorf("sysinv: update item: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errs.E(errs.NotFound, "checklist item %d not found", it.ID)
			}
		}
		return s.record(ctx, tx, "system.checklist.item", "checklist", it.ID, it.Code)
	})
	return it, err
}

// SystemChecklist returns the items that apply at the system's level with
// the system's answers, and the compliance.
func (s *Service) SystemChecklist(ctx context.Context, systemID int64) ([]Answer, Compliance, error) {
	sys, err := s.GetSystem(ctx, systemID)
	if err != nil {
		return nil, Compliance{}, err
	}
	items, err := checklistItems(ctx, s.db, false)
	if err != nil {
		return nil, Compliance{}, err
	}
	answers := map[int64]Answer{}
	rows, err := s.db.Query(ctx, `SELECT item_id, met, evidence, updated_by, updated_at FROM sysinv_checklist_answers WHERE system_id = ?`, systemID)
	if err != nil {
		return nil, Compliance{}, fmt.Errorf("sysinv: answers: %w", store.Translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var a Answer
		var at store.Time
		if err := rows.Scan(&id, &a.Met, &a.Evidence, &a.UpdatedBy, &at); err != nil {
			return nil, Compliance{}, fmt.Errorf("sysinv: scan answer: %w", store.Translate(err))
		}
		a.UpdatedAt = at.Ptr()
		answers[id] = a
	}
	if err := rows.Err(); err != nil {
		return nil, Compliance{}, store.Translate(err)
	}
	level := max(sys.Level, 1)
	var out []Answer
	met := 0
	for _, it := range items {
		if it.MinLevel > level {
			continue
		}
		a := answers[it.ID]
		a.Item = it
		if a.Met {
			met++
		}
		out = append(out, a)
	}
	return out, compliance(met, len(out)), nil
}

// AnswerInput answers one item.
type AnswerInput struct {
	ItemID   int64  `json:"item_id"`
	Met      bool   `json:"met"`
	Evidence string `json:"evidence"`
}

// SaveAnswers records the system's answers; editors of the system.
func (s *Service) SaveAnswers(ctx context.Context, systemID int64, in []AnswerInput) (Compliance, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Compliance{}, err
	}
	if len(in) > 500 {
		return Compliance{}, errs.Field("answers", "at most 500 answers at once")
	}
	for _, a := range in {
		if err := checkLen("evidence", a.Evidence, 2000); err != nil {
			return Compliance{}, err
		}
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		sys, err := getSystem(ctx, tx, systemID)
		if err != nil {
			return err
		}
		if !access.CanEditSystem(p, sys.OwnerAgencyID) {
			if !access.CanReadSystem(p, sys.OwnerAgencyID) {
				return errs.E(errs.NotFound, "system %d not found", systemID)
			}
			return errs.E(errs.Forbidden, "you may not edit this system's checklist")
		}
		now := s.stamp()
		for _, a := range in {
			var ok int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM sysinv_checklist_items WHERE id = ?`, a.ItemID).Scan(&ok); err != nil {
				if errs.Is(err, errs.NotFound) {
					return errs.Field("item_id", "no checklist item has id %d", a.ItemID)
				}
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO sysinv_checklist_answers (system_id, item_id, met, evidence, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (system_id, item_id) DO UPDATE SET met = excluded.met, evidence = excluded.evidence, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
				systemID, a.ItemID, a.Met, strings.TrimSpace(a.Evidence), p.Label(), now); err != nil {
				return fmt.Errorf("sysinv: save answer: %w", err)
			}
		}
		return s.record(ctx, tx, "system.checklist.answer", "system", systemID, fmt.Sprintf("%d answers", len(in)))
	})
	if errs.Is(err, errs.Forbidden) {
		return Compliance{}, s.deny(ctx, "edit this system's checklist", systemID)
	}
	if err != nil {
		return Compliance{}, err
	}
	_, c, err := s.SystemChecklist(ctx, systemID)
	return c, err
}

// complianceOf computes every listed system's compliance in two queries.
func (s *Service) complianceOf(ctx context.Context, systems []System) (map[int64]Compliance, error) {
	items, err := checklistItems(ctx, s.db, false)
	if err != nil {
		return nil, err
	}
	met := map[int64]map[int64]bool{}
	rows, err := s.db.Query(ctx, `SELECT a.system_id, a.item_id FROM sysinv_checklist_answers a JOIN sysinv_checklist_items i ON i.id = a.item_id WHERE a.met AND i.active`)
	if err != nil {
		return nil, fmt.Errorf("sysinv: compliance: %w", store.Translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var sid, iid int64
		if err := rows.Scan(&sid, &iid); err != nil {
			return nil, store.Translate(err)
		}
		if met[sid] == nil {
			met[sid] = map[int64]bool{}
		}
		met[sid][iid] = true
	}
	if err := rows.Err(); err != nil {
		return nil, store.Translate(err)
	}
	out := map[int64]Compliance{}
	for _, sys := range systems {
		lvl := max(sys.Level, 1)
		n, m := 0, 0
		for _, it := range items {
			if it.MinLevel <= lvl {
				n++
				if met[sys.ID][it.ID] {
					m++
				}
			}
		}
		out[sys.ID] = compliance(m, n)
	}
	return out, nil
}
