package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Playbook is an incident template per type: the tasks it pre-creates
// (assigned to the owner or the lead agency, due some hours after the
// incident is filed) and a checklist. Admins edit them.
type Playbook struct {
	ID          int64          `json:"id"`
	Code        string         `json:"code"`
	NameVI      string         `json:"name_vi"`
	NameEN      string         `json:"name_en"`
	Category    string         `json:"category"`
	Severity    Severity       `json:"severity,omitempty"`
	Description string         `json:"description"`
	Tasks       []PlaybookTask `json:"tasks"`
	Checklist   []string       `json:"checklist"`
	Active      bool           `json:"active"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// PlaybookTask is a task a playbook creates.
type PlaybookTask struct {
	Title    string `json:"title"`
	Agency   string `json:"agency"` // "owner" or "lead"
	DueHours int    `json:"due_hours"`
}

// CheckItem is one line of an incident's checklist.
type CheckItem struct {
	ID     int64      `json:"id"`
	Item   string     `json:"item"`
	Done   bool       `json:"done"`
	DoneBy string     `json:"done_by,omitempty"`
	DoneAt *time.Time `json:"done_at,omitempty"`
}

var codeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

const playbookCols = `id, code, name_vi, name_en, category, severity, description, tasks, checklist, active, updated_at`

func scanPlaybook(r scanner) (Playbook, error) {
	var pb Playbook
	var tasks, checklist string
	var at store.Time
	if err := r.Scan(&pb.ID, &pb.Code, &pb.NameVI, &pb.NameEN, &pb.Category, &pb.Severity, &pb.Description, &tasks, &checklist, &pb.Active, &at); err != nil {
		return pb, err
	}
	pb.UpdatedAt = at.Time
	if err := json.Unmarshal([]byte(tasks), &pb.Tasks); err != nil {
		return pb, fmt.Errorf("incident: playbook %s tasks: %w", pb.Code, err)
	}
	if err := json.Unmarshal([]byte(checklist), &pb.Checklist); err != nil {
		return pb, fmt.Errorf("incident: playbook %s checklist: %w", pb.Code, err)
	}
	return pb, nil
}

// Playbooks lists the playbooks (active ones only unless all).
func (s *Service) Playbooks(ctx context.Context, all bool) ([]Playbook, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	q := `SELECT ` + playbookCols + ` FROM incident_playbooks`
	if !all {
		q += ` WHERE active`
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("incident: playbooks: %w", err)
	}
	defer rows.Close()
	out := []Playbook{}
	for rows.Next() {
		pb, err := scanPlaybook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, pb)
	}
	return out, rows.Err()
}

// Playbook returns one playbook by code.
func (s *Service) Playbook(ctx context.Context, code string) (Playbook, error) {
	if _, err := caller(ctx); err != nil {
		return Playbook{}, err
	}
	return s.playbook(ctx, s.db, code)
}

func (s *Service) playbook(ctx context.Context, q store.Querier, code string) (Playbook, error) {
	pb, err := scanPlaybook(q.QueryRow(ctx, `SELECT `+playbookCols+` FROM incident_playbooks WHERE code = ?`, code))
	if errs.Is(err, errs.NotFound) {
		return pb, errs.Field("playbook", "no playbook %q", code)
	}
	return pb, err
}

func cleanPlaybook(pb Playbook) (Playbook, error) {
	if !codeRE.MatchString(pb.Code) {
		return pb, errs.Field("code", "must be 2–40 lower-case letters, digits and dashes")
	}
	c := &cleaner{}
	c.text(&pb.NameVI, text{field: "name_vi", max: MaxShort, required: true})
	c.text(&pb.NameEN, text{field: "name_en", max: MaxShort})
	c.text(&pb.Description, text{field: "description", max: MaxMedium, multiline: true})
	if c.err != nil {
		return pb, c.err
	}
	if !ValidCategory(pb.Category) {
		return pb, errs.Field("category", "unknown category")
	}
	if pb.Severity != "" {
		if _, err := ParseSeverity(string(pb.Severity)); err != nil {
			return pb, err
		}
	}
	if len(pb.Tasks) > 30 || len(pb.Checklist) > 50 {
		return pb, errs.Field("tasks", "at most 30 tasks and 50 checklist items")
	}
	for i := range pb.Tasks {
		t := &pb.Tasks[i]
		var err error
		if t.Title, err = cleanText(text{field: fmt.Sprintf("tasks[%d].title", i), max: MaxTitle, required: true}, t.Title); err != nil {
			return pb, err
		}
		if t.Agency != "owner" && t.Agency != "lead" {
			return pb, errs.Field(fmt.Sprintf("tasks[%d].agency", i), "must be owner or lead")
		}
		if t.DueHours < 0 || t.DueHours > 24*365 {
			return pb, errs.Field(fmt.Sprintf("tasks[%d].due_hours", i), "must be from 0 to 8760")
		}
	}
	for i := range pb.Checklist {
		var err error
		if pb.Checklist[i], err = cleanText(text{field: fmt.Sprintf("checklist[%d]", i), max: MaxShort, required: true}, pb.Checklist[i]); err != nil {
			return pb, err
		}
	}
	if pb.Tasks == nil {
		pb.Tasks = []PlaybookTask{}
	}
	if pb.Checklist == nil {
		pb.Checklist = []string{}
	}
	return pb, nil
}

// SavePlaybook creates or replaces a playbook by code (admins only).
func (s *Service) SavePlaybook(ctx context.Context, pb Playbook) (Playbook, error) {
	p, err := caller(ctx)
	if err != nil {
		return Playbook{}, err
	}
	if !p.Has(access.Admin) {
		return Playbook{}, s.log.Denied(ctx, "edit playbooks", "incident_playbook", pb.Code)
	}
	if pb, err = cleanPlaybook(pb); err != nil {
		return Playbook{}, err
	}
	tasks, _ := json.Marshal(pb.Tasks)
	checklist, _ := json.Marshal(pb.Checklist)
	err = s.transact(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO incident_playbooks (code, name_vi, name_en, category, severity, description, tasks, checklist, active, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, category = excluded.category,
				severity = excluded.severity, description = excluded.description, tasks = excluded.tasks, checklist = excluded.checklist,
				active = excluded.active, updated_at = excluded.updated_at`,
			pb.Code, pb.NameVI, pb.NameEN, pb.Category, pb.Severity, pb.Description, string(tasks), string(checklist), pb.Active, s.stamp())
		if err != nil {
			return fmt.Errorf("incident: save playbook: %w", err)
		}
		return s.log.Record(ctx, tx, auditEntry("incident.playbook_save", "incident_playbook", pb.Code, ""))
	})
	if err != nil {
		return Playbook{}, err
	}
	return s.playbook(ctx, s.db, pb.Code)
}

// applyPlaybook creates the playbook's tasks and checklist on an incident.
func (s *Service) applyPlaybook(ctx context.Context, tx *store.Tx, id int64, code string, owner, lead int64) error {
	pb, err := s.playbook(ctx, tx, code)
	if err != nil {
		return err
	}
	if !pb.Active {
		return errs.Field("playbook", "the playbook %q is retired", code)
	}
	inc, err := s.load(ctx, tx, id)
	if err != nil {
		return err
	}
	for _, t := range pb.Tasks {
		agency := owner
		if t.Agency == "lead" {
			agency = lead
		}
		var due *time.Time
		if t.DueHours > 0 {
			d := s.stamp().Add(time.Duration(t.DueHours) * time.Hour).Truncate(time.Second)
			due = &d
		}
		if _, err := s.insertTask(ctx, tx, &inc, TaskInput{Title: t.Title, AgencyID: agency, DueAt: due}); err != nil {
			return err
		}
	}
	for i, item := range pb.Checklist {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_checklist (incident_id, position, item) VALUES (?, ?, ?)`, id, i, item); err != nil {
			return fmt.Errorf("incident: checklist: %w", err)
		}
	}
	return s.journal(ctx, tx, id, JournalEvent, "playbook", pb.NameVI)
}

// Checklist returns an incident's checklist.
func (s *Service) Checklist(ctx context.Context, id int64) ([]CheckItem, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.viewed(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, item, done, done_by, done_at FROM incident_checklist WHERE incident_id = ? ORDER BY position, id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: checklist: %w", err)
	}
	defer rows.Close()
	out := []CheckItem{}
	for rows.Next() {
		var c CheckItem
		var at store.Time
		if err := rows.Scan(&c.ID, &c.Item, &c.Done, &c.DoneBy, &at); err != nil {
			return nil, err
		}
		c.DoneAt = at.Ptr()
		out = append(out, c)
	}
	return out, rows.Err()
}

// CheckItemDone ticks or unticks a checklist item (contributors).
func (s *Service) CheckItemDone(ctx context.Context, id, itemID int64, done bool) error {
	return s.transact(ctx, func(tx *store.Tx) error {
		p, _, err := s.allowed(ctx, tx, id, "tick the checklist", CanContribute)
		if err != nil {
			return err
		}
		var at any
		by := ""
		if done {
			at, by = s.stamp(), p.Label()
		}
		res, err := tx.Exec(ctx, `UPDATE incident_checklist SET done = ?, done_by = ?, done_at = ? WHERE id = ? AND incident_id = ?`, done, by, at, itemID, id)
		if err != nil {
			return fmt.Errorf("incident: checklist: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "no such checklist item")
		}
		return s.record(ctx, tx, "incident.checklist", id, fmt.Sprintf("item %d done=%t", itemID, done))
	})
}
