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

// TaskStatus is where a task is.
type TaskStatus string

// The task statuses.
const (
	TaskOpen       TaskStatus = "open"
	TaskInProgress TaskStatus = "in_progress"
	TaskDone       TaskStatus = "done"
	TaskCancelled  TaskStatus = "cancelled"
)

// TaskStatuses lists the task statuses.
var TaskStatuses = []TaskStatus{TaskOpen, TaskInProgress, TaskDone, TaskCancelled}

// Task is work assigned to an agency (and optionally a person) on an
// incident. An agency with a task sees the incident (need to know).
type Task struct {
	ID            int64      `json:"id"`
	IncidentID    int64      `json:"incident_id"`
	IncidentRef   string     `json:"incident_ref"`
	IncidentTitle string     `json:"incident_title"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	Agency        Ref        `json:"agency"`
	AssigneeID    int64      `json:"assignee_user_id,omitempty"`
	AssigneeName  string     `json:"assignee_name,omitempty"`
	DueAt         *time.Time `json:"due_at,omitempty"`
	Status        TaskStatus `json:"status"`
	Result        string     `json:"result"`
	Overdue       bool       `json:"overdue"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	CompletedAt   *time.Time `json:"completed_at,omitempty"`
}

// TaskInput creates a task.
type TaskInput struct {
	Title       string     `json:"title"`
	Description string     `json:"description"`
	AgencyID    int64      `json:"agency_id"`
	AssigneeID  int64      `json:"assignee_user_id,omitempty"`
	DueAt       *time.Time `json:"due_at,omitempty"`
}

// TaskUpdate changes a task's status and result.
type TaskUpdate struct {
	Status TaskStatus `json:"status"`
	Result string     `json:"result"`
}

const taskCols = `t.id, t.incident_id, i.ref, i.title, t.title, t.description, t.agency_id, a.code, a.name_vi, a.name_en,
	COALESCE(t.assignee_user_id, 0), COALESCE(u.name, ''), t.due_at, t.status, t.result, t.created_at, t.updated_at, t.completed_at`

const taskFrom = ` FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id JOIN agencies a ON a.id = t.agency_id
	LEFT JOIN users u ON u.id = t.assignee_user_id`

func (s *Service) scanTask(r scanner) (Task, error) {
	var t Task
	var due, created, updated, completed store.Time
	err := r.Scan(&t.ID, &t.IncidentID, &t.IncidentRef, &t.IncidentTitle, &t.Title, &t.Description, &t.Agency.ID, &t.Agency.Code, &t.Agency.NameVI, &t.Agency.NameEN,
		&t.AssigneeID, &t.AssigneeName, &due, &t.Status, &t.Result, &created, &updated, &completed)
	if err != nil {
		return t, err
	}
	t.DueAt, t.CreatedAt, t.UpdatedAt, t.CompletedAt = due.Ptr(), created.Time, updated.Time, completed.Ptr()
	t.Overdue = t.DueAt != nil && (t.Status == TaskOpen || t.Status == TaskInProgress) && s.now().After(*t.DueAt)
	return t, nil
}

func (s *Service) queryTasks(ctx context.Context, q store.Querier, where string, args ...any) ([]Task, error) {
	rows, err := q.Query(ctx, `SELECT `+taskCols+taskFrom+` WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("incident: tasks: %w", err)
	}
	defer rows.Close()
	out := []Task{}
	for rows.Next() {
		t, err := s.scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func cleanTask(in TaskInput) (TaskInput, error) {
	c := &cleaner{}
	c.text(&in.Title, text{field: "title", max: MaxTitle, required: true})
	c.text(&in.Description, text{field: "description", max: MaxLong, multiline: true})
	if c.err != nil {
		return in, c.err
	}
	if in.AgencyID <= 0 {
		return in, errs.Field("agency_id", "is required")
	}
	if in.DueAt != nil {
		if in.DueAt.IsZero() {
			in.DueAt = nil
		} else {
			d := in.DueAt.UTC().Truncate(time.Second)
			in.DueAt = &d
		}
	}
	return in, nil
}

// AddTask assigns a task on an incident to an agency (and optionally one of
// its people); lead-side callers only. The agency and the person are
// notified.
func (s *Service) AddTask(ctx context.Context, incidentID int64, in TaskInput) (Task, error) {
	in, err := cleanTask(in)
	if err != nil {
		return Task{}, err
	}
	var tid int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		_, inc, err := s.allowed(ctx, tx, incidentID, "assign tasks on the incident", CanCoordinate)
		if err != nil {
			return err
		}
		if !inc.Status.Open() {
			return errs.E(errs.Conflict, "the incident is %s; reopen it before assigning tasks", inc.Status)
		}
		tid, err = s.insertTask(ctx, tx, &inc, in)
		return err
	})
	if err != nil {
		return Task{}, err
	}
	return s.task(ctx, s.db, tid)
}

func (s *Service) insertTask(ctx context.Context, tx *store.Tx, inc *Incident, in TaskInput) (int64, error) {
	if err := agencyExists(ctx, tx, "agency_id", in.AgencyID); err != nil {
		return 0, err
	}
	if in.AssigneeID != 0 {
		var agencyID int64
		err := tx.QueryRow(ctx, `SELECT agency_id FROM users WHERE id = ? AND NOT disabled`, in.AssigneeID).Scan(&agencyID)
		if errs.Is(err, errs.NotFound) || (err == nil && agencyID != in.AgencyID) {
			return 0, errs.Field("assignee_user_id", "must be an active user of the assigned agency")
		}
		if err != nil {
			return 0, err
		}
	}
	now := s.stamp()
	uid, _ := actorOf(ctx)
	var tid int64
	err := tx.QueryRow(ctx, `INSERT INTO incident_tasks (incident_id, title, description, agency_id, assignee_user_id, due_at, status, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		inc.ID, in.Title, in.Description, in.AgencyID, nullID(in.AssigneeID), nullTime(in.DueAt), TaskOpen, nullID(uid), now, now).Scan(&tid)
	if err != nil {
		return 0, fmt.Errorf("incident: insert task: %w", err)
	}
	if err := s.journal(ctx, tx, inc.ID, JournalEvent, "task.created", in.Title); err != nil {
		return 0, err
	}
	if err := s.record(ctx, tx, "incident.task_create", inc.ID, fmt.Sprintf("task %d agency %d", tid, in.AgencyID)); err != nil {
		return 0, err
	}
	if err := s.refreshDue(ctx, tx, inc.ID); err != nil {
		return 0, err
	}
	return tid, s.notify(ctx, tx, inc, "incident.assigned", []int64{in.AgencyID}, in.AssigneeID, in.Title)
}

func (s *Service) task(ctx context.Context, q store.Querier, tid int64) (Task, error) {
	t, err := s.scanTask(q.QueryRow(ctx, `SELECT `+taskCols+taskFrom+` WHERE t.id = ?`, tid))
	if errs.Is(err, errs.NotFound) {
		return t, errs.Wrap(errs.NotFound, err, "no such task")
	}
	return t, err
}

// CanWorkTask reports whether p may update task t of inc: the task's
// agency (not read-only viewers) or the lead side.
func CanWorkTask(p *access.Principal, inc *Incident, t *Task) bool { return canWorkTask(p, inc, t) }

// canWorkTask: the task's agency (not read-only viewers) or the lead side.
func canWorkTask(p *access.Principal, inc *Incident, t *Task) bool {
	if CanCoordinate(p, inc) {
		return true
	}
	return p.AgencyID == t.Agency.ID && p.HasAny(access.Coordinator, access.Analyst, access.Reporter, access.Liaison)
}

// UpdateTask changes a task's status and result: the assigned agency's
// people or the lead side. Marking it done needs a result.
func (s *Service) UpdateTask(ctx context.Context, taskID int64, up TaskUpdate) (Task, error) {
	if !slices.Contains(TaskStatuses, up.Status) {
		return Task{}, errs.Field("status", "must be one of open, in_progress, done, cancelled")
	}
	res, err := cleanText(text{field: "result", max: MaxLong, multiline: true}, up.Result)
	if err != nil {
		return Task{}, err
	}
	if up.Status == TaskDone && res == "" {
		return Task{}, errs.Field("result", "say what was done before marking the task done")
	}
	var t Task
	err = s.transact(ctx, func(tx *store.Tx) error {
		p, err := caller(ctx)
		if err != nil {
			return err
		}
		if t, err = s.task(ctx, tx, taskID); err != nil {
			return err
		}
		inc, err := s.visible(ctx, tx, p, t.IncidentID)
		if err != nil {
			return errs.E(errs.NotFound, "no such task")
		}
		if !canWorkTask(p, &inc, &t) {
			return &denial{action: "update the task", id: inc.ID, err: access.Deny("update the task")}
		}
		if up.Status == TaskCancelled && !CanCoordinate(p, &inc) {
			return &denial{action: "cancel the task", id: inc.ID, err: access.Deny("cancel the task")}
		}
		if inc.Status == StatusDuplicate {
			return errs.E(errs.Conflict, "the incident was merged into %s", inc.MergedIntoRef)
		}
		now := s.stamp()
		var completed any
		if up.Status == TaskDone {
			completed = now
		}
		if _, err := tx.Exec(ctx, `UPDATE incident_tasks SET status = ?, result = ?, updated_at = ?, completed_at = ? WHERE id = ?`,
			up.Status, res, now, completed, taskID); err != nil {
			return fmt.Errorf("incident: update task: %w", err)
		}
		body := t.Title
		if res != "" {
			body += ": " + res
		}
		if err := s.journal(ctx, tx, inc.ID, JournalEvent, "task."+string(up.Status), body); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "incident.task_update", inc.ID, fmt.Sprintf("task %d %s", taskID, up.Status)); err != nil {
			return err
		}
		if err := s.refreshDue(ctx, tx, inc.ID); err != nil {
			return err
		}
		if up.Status == TaskDone {
			return s.notify(ctx, tx, &inc, "incident.task_done", []int64{inc.Lead.ID}, 0, t.Title)
		}
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	return s.task(ctx, s.db, taskID)
}

// Tasks lists an incident's tasks.
func (s *Service) Tasks(ctx context.Context, incidentID int64) ([]Task, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.viewed(ctx, p, incidentID); err != nil {
		return nil, err
	}
	return s.queryTasks(ctx, s.db, `t.incident_id = ? ORDER BY t.id`, incidentID)
}

// TaskFilter selects the caller's agency's tasks.
type TaskFilter struct {
	Status TaskStatus // "" open and in progress; "all" every status
	Limit  int
	Offset int
}

// MyTasks lists the tasks of the caller's agency (the issue's
// /api/v1/tasks), open ones first by due date, with the total.
func (s *Service) MyTasks(ctx context.Context, f TaskFilter) ([]Task, int, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	limit, offset := page(f.Limit, f.Offset)
	// Only tasks on incidents the caller sees: a task on a RED incident
	// is for the people named on it.
	cond, vargs := visibleCond(p)
	where := `t.agency_id = ? AND ` + cond
	args := append([]any{p.AgencyID}, vargs...)
	switch f.Status {
	case "":
		where += ` AND t.status IN ('open', 'in_progress')`
	case "all":
	default:
		if !slices.Contains(TaskStatuses, f.Status) {
			return nil, 0, errs.Field("status", "must be open, in_progress, done, cancelled or all")
		}
		where += ` AND t.status = ?`
		args = append(args, f.Status)
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("incident: count tasks: %w", err)
	}
	order := ` ORDER BY CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.id LIMIT ? OFFSET ?`
	list, err := s.queryTasks(ctx, s.db, where+order, append(args, limit, offset)...)
	return list, total, err
}

// taskTitle shortens a title for notifications.
func taskTitle(s string) string {
	if len([]rune(s)) > 80 {
		return string([]rune(s)[:80]) + "…"
	}
	return strings.TrimSpace(s)
}

// Assignee is a person a task can be assigned to.
type Assignee struct {
	UserID     int64  `json:"user_id"`
	Name       string `json:"name"`
	AgencyID   int64  `json:"agency_id"`
	AgencyCode string `json:"agency_code"`
}

// Assignees lists the active users a task on the incident can name, by
// agency, for the lead side that assigns tasks.
func (s *Service) Assignees(ctx context.Context, incidentID int64) ([]Assignee, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	inc, err := s.visible(ctx, s.db, p, incidentID)
	if err != nil {
		return nil, s.audited(ctx, err)
	}
	if !CanCoordinate(p, &inc) {
		return nil, s.log.Denied(ctx, "list people to assign", "incident", fmt.Sprint(incidentID))
	}
	rows, err := s.db.Query(ctx, `SELECT u.id, u.name, a.id, a.code FROM users u JOIN agencies a ON a.id = u.agency_id
		WHERE NOT u.disabled AND a.active ORDER BY a.code, u.name LIMIT 2000`)
	if err != nil {
		return nil, fmt.Errorf("incident: assignees: %w", err)
	}
	defer rows.Close()
	var out []Assignee
	for rows.Next() {
		var a Assignee
		if err := rows.Scan(&a.UserID, &a.Name, &a.AgencyID, &a.AgencyCode); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
