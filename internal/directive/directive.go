package directive

import (
	"context"
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Where a directive comes from.
const (
	SourceMeeting  = "meeting"
	SourceDecision = "decision"
	SourcePlan     = "plan"
	SourceOther    = "other"
)

// Sources lists the origins of a directive. Treat it as read-only.
var Sources = []string{SourceMeeting, SourceDecision, SourcePlan, SourceOther}

// Priorities lists the priorities, lowest first. Treat it as read-only.
var Priorities = []string{"low", "normal", "high", "urgent"}

// Visibility of a directive: every member agency, or only the issuer and
// the assigned agencies (coordinators always see all).
const (
	VisibleSubcommittee = "subcommittee"
	VisibleAssigned     = "assigned"
)

// Visibilities lists the visibility values. Treat it as read-only.
var Visibilities = []string{VisibleSubcommittee, VisibleAssigned}

// State is what people set on a task.
type State string

// The states of a task.
const (
	StateAssigned     State = "assigned"
	StateAcknowledged State = "acknowledged"
	StateInProgress   State = "in_progress"
	StateDone         State = "done"
	StateReturned     State = "returned"
	StateCancelled    State = "cancelled"
)

// Status is a task's state as shown: done splits into on time and late,
// and an open task past its deadline is overdue.
type Status string

// The statuses.
const (
	StatusAssigned     Status = "assigned"
	StatusAcknowledged Status = "acknowledged"
	StatusInProgress   Status = "in_progress"
	StatusDoneOnTime   Status = "done_on_time"
	StatusDoneLate     Status = "done_late"
	StatusReturned     Status = "returned"
	StatusOverdue      Status = "overdue"
	StatusCancelled    Status = "cancelled"
)

// Statuses lists every status in display order. Treat it as read-only.
var Statuses = []Status{StatusAssigned, StatusAcknowledged, StatusInProgress, StatusReturned, StatusOverdue, StatusDoneOnTime, StatusDoneLate, StatusCancelled}

// Open reports whether the status still asks something of the agency.
func (s Status) Open() bool {
	switch s {
	case StatusDoneOnTime, StatusDoneLate, StatusCancelled:
		return false
	}
	return true
}

// StatusOf computes a task's status on date today (YYYY-MM-DD): overdue is
// never stored; it is an open task whose deadline is before today.
func StatusOf(st State, due, doneOn, today string) Status {
	switch st {
	case StateCancelled:
		return StatusCancelled
	case StateDone:
		if doneOn != "" && doneOn <= due {
			return StatusDoneOnTime
		}
		return StatusDoneLate
	}
	if due < today {
		return StatusOverdue
	}
	return Status(st)
}

// AgencyRef names an agency.
type AgencyRef struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// Task is one deadline of a directive (one occurrence of a recurring one).
// DoneOn is the completion date in the province; Accepted says the issuer
// accepted the result.
type Task struct {
	ID           int64      `json:"id"`
	Seq          int        `json:"seq"`
	DueOn        string     `json:"due_on"`
	State        State      `json:"state"`
	Status       Status     `json:"status"`
	Percent      int        `json:"percent"`
	Acknowledged *time.Time `json:"acknowledged_at"`
	DoneOn       string     `json:"done_on"`
	Result       string     `json:"result"`
	AcceptedAt   *time.Time `json:"accepted_at"`
	ReturnReason string     `json:"return_reason"`
}

// Directive is a task the subcommittee gives member agencies. Status and
// Current describe the first task still open (the last task when all are
// closed).
type Directive struct {
	ID           int64       `json:"id"`
	Title        string      `json:"title"`
	Description  string      `json:"description"`
	Source       string      `json:"source"`
	MeetingID    int64       `json:"meeting_id"`
	DecisionID   int64       `json:"decision_id"`
	PlanYear     int         `json:"plan_year"`
	Visibility   string      `json:"visibility"`
	Priority     string      `json:"priority"`
	Recurrence   string      `json:"recurrence"`
	Issuer       AgencyRef   `json:"issuer"`
	IssuerUserID int64       `json:"issuer_user_id"`
	Lead         AgencyRef   `json:"lead"`
	Coordinating []AgencyRef `json:"coordinating"`
	Tasks        []Task      `json:"tasks"`
	Status       Status      `json:"status"`
	Current      int         `json:"current_task"` // index into Tasks
	DueOn        string      `json:"due_on"`       // the current task's deadline
	CancelledAt  *time.Time  `json:"cancelled_at"`
	CancelReason string      `json:"cancel_reason"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

// DescriptionHTML is the description rendered as safe HTML.
func (d Directive) DescriptionHTML() template.HTML { return RenderMarkdown(d.Description) }

// CurrentTask is the task Status describes.
func (d Directive) CurrentTask() Task {
	if d.Current < 0 || d.Current >= len(d.Tasks) {
		return Task{}
	}
	return d.Tasks[d.Current]
}

func (d Directive) refs() access.DirectiveRefs {
	r := access.DirectiveRefs{IssuerAgencyID: d.Issuer.ID, IssuerUserID: d.IssuerUserID, Wide: d.Visibility == VisibleSubcommittee, Lead: d.Lead.ID}
	for _, c := range d.Coordinating {
		r.Coordinating = append(r.Coordinating, c.ID)
	}
	return r
}

// RoleOf says how agency a is assigned: "lead", "coordinating" or "".
func (d Directive) RoleOf(a int64) string {
	if a == d.Lead.ID {
		return "lead"
	}
	for _, c := range d.Coordinating {
		if c.ID == a {
			return "coordinating"
		}
	}
	return ""
}

// Input is what an issuer enters. Agencies are given by id or, when the id
// is 0, by code. A one-off directive has DueOn; a recurring one has
// Recurrence (see ParseRule) and Until, and its deadlines run from today.
type Input struct {
	Title             string   `json:"title"`
	Description       string   `json:"description"`
	Source            string   `json:"source"`
	MeetingID         int64    `json:"meeting_id"`
	DecisionID        int64    `json:"decision_id"`
	PlanYear          int      `json:"plan_year"`
	Visibility        string   `json:"visibility"`
	Priority          string   `json:"priority"`
	LeadAgencyID      int64    `json:"lead_agency_id"`
	LeadAgencyCode    string   `json:"lead_agency_code"`
	Coordinating      []int64  `json:"coordinating_agency_ids"`
	CoordinatingCodes []string `json:"coordinating_agency_codes"`
	DueOn             string   `json:"due_on"`
	Recurrence        string   `json:"recurrence"`
	Until             string   `json:"until"`
}

type cleanInput struct {
	Input
	deadlines []string
}

func (s *Service) clean(ctx context.Context, q store.Querier, in Input, withDeadline bool) (cleanInput, error) {
	c := cleanInput{}
	var err error
	if c.Title, err = cleanText(text{field: "title", max: maxTitle, required: true}, in.Title); err != nil {
		return c, err
	}
	if c.Description, err = cleanText(text{field: "description", max: maxText, multiline: true}, in.Description); err != nil {
		return c, err
	}
	if c.Source, err = oneOf("source", in.Source, Sources, SourceOther); err != nil {
		return c, err
	}
	if c.Visibility, err = oneOf("visibility", in.Visibility, Visibilities, VisibleSubcommittee); err != nil {
		return c, err
	}
	if c.Priority, err = oneOf("priority", in.Priority, Priorities, "normal"); err != nil {
		return c, err
	}
	c.MeetingID, c.DecisionID, c.PlanYear = in.MeetingID, in.DecisionID, in.PlanYear
	switch c.Source {
	case SourceMeeting:
		if c.MeetingID == 0 {
			return c, errs.Field("meeting_id", "name the meeting the directive comes from")
		}
	case SourceDecision:
		if c.DecisionID == 0 {
			return c, errs.Field("decision_id", "name the decision the directive comes from")
		}
	case SourcePlan:
		if c.PlanYear == 0 {
			return c, errs.Field("plan_year", "name the year of the plan")
		}
	}
	if c.PlanYear != 0 && (c.PlanYear < 2000 || c.PlanYear > 2100) {
		return c, errs.Field("plan_year", "must be a year from 2000 to 2100")
	}
	if c.MeetingID != 0 {
		if err := mustExist(ctx, q, "meetings", "meeting_id", "meeting", c.MeetingID); err != nil {
			return c, err
		}
	}
	if c.DecisionID != 0 {
		if err := mustExist(ctx, q, "decisions", "decision_id", "decision", c.DecisionID); err != nil {
			return c, err
		}
	}
	if c.LeadAgencyID, err = resolveAgency(ctx, q, "lead_agency_id", in.LeadAgencyID, in.LeadAgencyCode); err != nil {
		return c, err
	}
	if c.LeadAgencyID == 0 {
		return c, errs.Field("lead_agency_id", "a directive needs a lead agency: name the agency that is assigned the task")
	}
	codes := in.CoordinatingCodes
	if len(in.Coordinating)+len(codes) > maxAgencies {
		return c, errs.Field("coordinating_agency_ids", "at most %d coordinating agencies", maxAgencies)
	}
	ids := slices.Clone(in.Coordinating)
	for _, code := range codes {
		id, err := resolveAgency(ctx, q, "coordinating_agency_codes", 0, code)
		if err != nil {
			return c, err
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if id == c.LeadAgencyID || slices.Contains(c.Coordinating, id) {
			continue
		}
		if _, err := resolveAgency(ctx, q, "coordinating_agency_ids", id, ""); err != nil {
			return c, err
		}
		c.Coordinating = append(c.Coordinating, id)
	}
	if !withDeadline {
		return c, nil
	}
	today := s.Today()
	c.Recurrence = strings.TrimSpace(in.Recurrence)
	if c.Recurrence == "" {
		if c.DueOn, err = cleanDate("due_on", in.DueOn, false); err != nil {
			return c, err
		}
		if c.DueOn == "" {
			return c, errs.Field("due_on", "a directive needs a deadline (or a recurrence)")
		}
		if c.DueOn < today {
			return c, errs.Field("due_on", "the deadline %s is in the past (today is %s)", c.DueOn, today)
		}
		c.deadlines = []string{c.DueOn}
		return c, nil
	}
	rule, err := ParseRule(c.Recurrence)
	if err != nil {
		return c, err
	}
	c.Recurrence = rule.String()
	if c.Until, err = cleanDate("until", in.Until, true); err != nil {
		return c, err
	}
	from, _ := time.Parse(dateLayout, today)
	until, _ := time.Parse(dateLayout, c.Until)
	if c.deadlines, err = rule.Expand(from, until); err != nil {
		return c, err
	}
	return c, nil
}

// resolveAgency finds an active agency by id, or by code when id is 0; 0
// with no error when neither is given.
func resolveAgency(ctx context.Context, q store.Querier, field string, id int64, code string) (int64, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if id == 0 && code == "" {
		return 0, nil
	}
	var active bool
	var err error
	if id != 0 {
		err = q.QueryRow(ctx, `SELECT id, active FROM agencies WHERE id = ?`, id).Scan(&id, &active)
	} else {
		if len(code) > 16 {
			return 0, errs.Field(field, "unknown agency code")
		}
		err = q.QueryRow(ctx, `SELECT id, active FROM agencies WHERE code = ?`, code).Scan(&id, &active)
	}
	if errs.Is(err, errs.NotFound) {
		return 0, errs.Field(field, "no such agency %s", strings.TrimSpace(code+" "+idText(id)))
	}
	if err != nil {
		return 0, err
	}
	if !active {
		return 0, errs.Field(field, "the agency was merged into another; assign its successor")
	}
	return id, nil
}

func idText(id int64) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprint(id)
}

// Create issues a directive (admins and the standing agency's
// coordinators): it is refused without a lead agency or with a deadline in
// the past. The assigned agencies are notified.
func (s *Service) Create(ctx context.Context, in Input) (Directive, error) {
	p, err := caller(ctx)
	if err != nil {
		return Directive{}, err
	}
	if !access.CanIssueDirective(p) {
		return Directive{}, s.log.Denied(ctx, "issue a directive", "directive", "")
	}
	var id int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		c, err := s.clean(ctx, tx, in, true)
		if err != nil {
			return err
		}
		issuer := p.AgencyID
		if issuer == 0 {
			if issuer, err = standingAgency(ctx, tx); err != nil {
				return err
			}
		}
		now := s.stamp()
		var plan any
		if c.PlanYear != 0 {
			plan = c.PlanYear
		}
		if err := tx.QueryRow(ctx, `INSERT INTO directives (title, description, source, meeting_id, decision_id, plan_year, visibility, priority, recurrence,
			issuer_agency_id, issuer_user_id, lead_agency_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.Title, c.Description, c.Source, nullID(c.MeetingID), nullID(c.DecisionID), plan, c.Visibility, c.Priority, c.Recurrence,
			issuer, nullID(p.UserID), c.LeadAgencyID, now, now).Scan(&id); err != nil {
			return err
		}
		if err := writeAssignees(ctx, tx, id, c.LeadAgencyID, c.Coordinating); err != nil {
			return err
		}
		for i, due := range c.deadlines {
			if _, err := tx.Exec(ctx, `INSERT INTO directive_tasks (directive_id, seq, due_on, state, updated_at) VALUES (?, ?, ?, ?, ?)`,
				id, i+1, due, StateAssigned, now); err != nil {
				return err
			}
		}
		if err := s.notifyAgencies(ctx, tx, append([]int64{c.LeadAgencyID}, c.Coordinating...), "directive.assigned",
			"[Bulwark] Nhiệm vụ mới: "+clip(c.Title, 120),
			fmt.Sprintf("Tiểu ban giao nhiệm vụ: %s\nThời hạn: %s\n%s", c.Title, strings.Join(c.deadlines, ", "), s.link(id)), id); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "directive.create", ObjectType: "directive", ObjectID: fmt.Sprint(id),
			Detail: fmt.Sprintf("lead %d, %d deadline(s) from %s", c.LeadAgencyID, len(c.deadlines), c.deadlines[0])})
	})
	if err != nil {
		return Directive{}, fmt.Errorf("directive: create: %w", err)
	}
	return s.Get(ctx, id)
}

func writeAssignees(ctx context.Context, tx *store.Tx, id, lead int64, coordinating []int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM directive_agencies WHERE directive_id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO directive_agencies (directive_id, agency_id, role) VALUES (?, ?, 'lead')`, id, lead); err != nil {
		return err
	}
	for _, c := range coordinating {
		if _, err := tx.Exec(ctx, `INSERT INTO directive_agencies (directive_id, agency_id, role) VALUES (?, ?, 'coordinating')`, id, c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) link(id int64) string {
	return strings.TrimRight(s.cfg.BaseURL, "/") + fmt.Sprintf("/directives/%d", id)
}

// notifyAgencies queues one e-mail to the addresses of the agencies.
func (s *Service) notifyAgencies(ctx context.Context, q store.Querier, agencies []int64, event, subject, body string, id int64) error {
	if s.note == nil || s.rcpt == nil {
		return nil
	}
	var emails []string
	for _, a := range agencies {
		es, err := s.rcpt.AgencyEmails(ctx, a)
		if err != nil {
			return fmt.Errorf("recipients of agency %d: %w", a, err)
		}
		for _, e := range es {
			if e != "" && !slices.Contains(emails, e) {
				emails = append(emails, e)
			}
		}
	}
	if len(emails) == 0 {
		return nil
	}
	return s.note.Notify(ctx, q, Notification{Event: event, Emails: emails, Subject: subject, Text: body, Payload: map[string]any{"directive_id": id}})
}

const directiveCols = `d.id, d.title, d.description, d.source, COALESCE(d.meeting_id, 0), COALESCE(d.decision_id, 0), COALESCE(d.plan_year, 0),
	d.visibility, d.priority, d.recurrence, d.issuer_agency_id, ia.code, ia.name_vi, COALESCE(d.issuer_user_id, 0),
	d.lead_agency_id, la.code, la.name_vi, d.cancelled_at, d.cancel_reason, d.created_at, d.updated_at`

const directiveFrom = ` FROM directives d JOIN agencies ia ON ia.id = d.issuer_agency_id JOIN agencies la ON la.id = d.lead_agency_id`

func scanDirective(r interface{ Scan(...any) error }) (Directive, error) {
	var d Directive
	var cancelled store.Time
	err := r.Scan(&d.ID, &d.Title, &d.Description, &d.Source, &d.MeetingID, &d.DecisionID, &d.PlanYear, &d.Visibility, &d.Priority, &d.Recurrence,
		&d.Issuer.ID, &d.Issuer.Code, &d.Issuer.Name, &d.IssuerUserID, &d.Lead.ID, &d.Lead.Code, &d.Lead.Name, &cancelled, &d.CancelReason, &d.CreatedAt, &d.UpdatedAt)
	d.CancelledAt = cancelled.Ptr()
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, err
}

// load reads directives matching cond with their agencies and tasks,
// computing statuses on today.
func (s *Service) load(ctx context.Context, q store.Querier, cond string, args ...any) ([]Directive, error) {
	rows, err := q.Query(ctx, `SELECT `+directiveCols+directiveFrom+` WHERE `+cond+` ORDER BY d.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Directive
	byID := map[int64]int{}
	for rows.Next() {
		d, err := scanDirective(rows)
		if err != nil {
			return nil, err
		}
		d.Coordinating, d.Tasks = []AgencyRef{}, []Task{}
		byID[d.ID] = len(out)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	// One query per table for the whole set; the filter repeats cond so
	// the database does the narrowing.
	arows, err := q.Query(ctx, `SELECT da.directive_id, g.id, g.code, g.name_vi FROM directive_agencies da JOIN agencies g ON g.id = da.agency_id
		WHERE da.role = 'coordinating' AND da.directive_id IN (SELECT d.id`+directiveFrom+` WHERE `+cond+`) ORDER BY g.code`, args...)
	if err != nil {
		return nil, err
	}
	defer arows.Close()
	for arows.Next() {
		var did int64
		var a AgencyRef
		if err := arows.Scan(&did, &a.ID, &a.Code, &a.Name); err != nil {
			return nil, err
		}
		if i, ok := byID[did]; ok {
			out[i].Coordinating = append(out[i].Coordinating, a)
		}
	}
	if err := arows.Err(); err != nil {
		return nil, err
	}
	arows.Close()
	trows, err := q.Query(ctx, `SELECT t.directive_id, t.id, t.seq, t.due_on, t.state, t.percent, t.acknowledged_at, COALESCE(t.done_on, ''), t.result, t.accepted_at, t.return_reason
		FROM directive_tasks t WHERE t.directive_id IN (SELECT d.id`+directiveFrom+` WHERE `+cond+`) ORDER BY t.directive_id, t.seq`, args...)
	if err != nil {
		return nil, err
	}
	defer trows.Close()
	today := s.Today()
	for trows.Next() {
		var did int64
		var t Task
		var ack, acc store.Time
		if err := trows.Scan(&did, &t.ID, &t.Seq, &t.DueOn, &t.State, &t.Percent, &ack, &t.DoneOn, &t.Result, &acc, &t.ReturnReason); err != nil {
			return nil, err
		}
		t.Acknowledged, t.AcceptedAt = ack.Ptr(), acc.Ptr()
		t.Status = StatusOf(t.State, t.DueOn, t.DoneOn, today)
		if i, ok := byID[did]; ok {
			out[i].Tasks = append(out[i].Tasks, t)
		}
	}
	if err := trows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		d := &out[i]
		d.Current = len(d.Tasks) - 1
		for j, t := range d.Tasks {
			if t.Status.Open() {
				d.Current = j
				break
			}
		}
		if d.Current >= 0 {
			d.Status, d.DueOn = d.Tasks[d.Current].Status, d.Tasks[d.Current].DueOn
		}
		if d.CancelledAt != nil {
			d.Status = StatusCancelled
		}
	}
	return out, nil
}

// Get returns a directive the caller may see, or NotFound (a directive of
// other agencies is not revealed to exist).
func (s *Service) Get(ctx context.Context, id int64) (Directive, error) {
	p, err := caller(ctx)
	if err != nil {
		return Directive{}, err
	}
	ds, err := s.load(ctx, s.db, `d.id = ?`, id)
	if err != nil {
		return Directive{}, fmt.Errorf("directive: get %d: %w", id, err)
	}
	if len(ds) == 0 || !access.CanReadDirective(p, ds[0].refs()) {
		return Directive{}, errs.E(errs.NotFound, "directive %d not found", id)
	}
	return ds[0], nil
}

// Filter narrows List. AgencyID keeps directives assigned to that agency
// (as lead, or also as coordinating when AnyRole); Status keeps those
// whose current status is it ("open" for every open one); Year keeps those
// with a deadline in that year; PlanYear those of that year's plan.
type Filter struct {
	AgencyID  int64
	AnyRole   bool
	Status    string
	Year      int
	PlanYear  int
	MeetingID int64
	Limit     int
	Offset    int
}

// List returns the directives the caller sees that match f, nearest
// deadline first, and how many match. A province has hundreds of
// directives a year, so visibility and status are decided in Go over the
// rows the SQL filter leaves.
func (s *Service) List(ctx context.Context, f Filter) ([]Directive, int, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	cond, args := "1 = 1", []any{}
	if f.AgencyID != 0 {
		if f.AnyRole {
			cond += " AND d.id IN (SELECT directive_id FROM directive_agencies WHERE agency_id = ?)"
		} else {
			cond += " AND d.lead_agency_id = ?"
		}
		args = append(args, f.AgencyID)
	}
	if f.Year != 0 {
		cond += " AND d.id IN (SELECT directive_id FROM directive_tasks WHERE due_on >= ? AND due_on <= ?)"
		args = append(args, fmt.Sprintf("%04d-01-01", f.Year), fmt.Sprintf("%04d-12-31", f.Year))
	}
	if f.PlanYear != 0 {
		cond += " AND d.plan_year = ?"
		args = append(args, f.PlanYear)
	}
	if f.MeetingID != 0 {
		cond += " AND d.meeting_id = ?"
		args = append(args, f.MeetingID)
	}
	if f.Status != "" && f.Status != "open" && f.Status != "all" && !slices.Contains(Statuses, Status(f.Status)) {
		return nil, 0, errs.Field("status", "must be open, all or a status")
	}
	all, err := s.load(ctx, s.db, cond, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("directive: list: %w", err)
	}
	out := []Directive{}
	for _, d := range all {
		if !access.CanReadDirective(p, d.refs()) {
			continue
		}
		switch {
		case f.Status == "" || f.Status == "all":
		case f.Status == "open":
			if !d.Status.Open() {
				continue
			}
		case string(d.Status) != f.Status:
			continue
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		oi, oj := out[i].Status.Open(), out[j].Status.Open()
		if oi != oj {
			return oi
		}
		return out[i].DueOn < out[j].DueOn
	})
	total := len(out)
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	if f.Offset >= len(out) {
		return []Directive{}, total, nil
	}
	out = out[f.Offset:]
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, total, nil
}

// AskedOf is "what is asked of us": the open directives assigned to the
// caller's agency (as lead or coordinating), nearest deadline first.
func (s *Service) AskedOf(ctx context.Context) ([]Directive, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.AgencyID == 0 {
		return []Directive{}, nil
	}
	ds, _, err := s.List(ctx, Filter{AgencyID: p.AgencyID, AnyRole: true, Status: "open", Limit: 500})
	return ds, err
}

// changer loads directive id and checks the caller is its issuer or a
// coordinator; a refusal is audited.
func (s *Service) changer(ctx context.Context, q store.Querier, id int64, action string) (*access.Principal, Directive, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, Directive{}, err
	}
	ds, err := s.load(ctx, q, `d.id = ?`, id)
	if err != nil {
		return nil, Directive{}, err
	}
	if len(ds) == 0 || !access.CanReadDirective(p, ds[0].refs()) {
		return nil, Directive{}, errs.E(errs.NotFound, "directive %d not found", id)
	}
	if !access.CanChangeDirective(p, ds[0].refs()) {
		return nil, Directive{}, &denial{action: action, objectID: fmt.Sprint(id)}
	}
	return p, ds[0], nil
}

// Edit is what the issuer may change after issuing: the text, priority,
// visibility, agencies, and the deadline of the current open task (not
// into the past).
type Edit struct {
	Title             string   `json:"title"`
	Description       string   `json:"description"`
	Visibility        string   `json:"visibility"`
	Priority          string   `json:"priority"`
	LeadAgencyID      int64    `json:"lead_agency_id"`
	LeadAgencyCode    string   `json:"lead_agency_code"`
	Coordinating      []int64  `json:"coordinating_agency_ids"`
	CoordinatingCodes []string `json:"coordinating_agency_codes"`
	DueOn             string   `json:"due_on"`
}

// Update changes a directive (its issuer or a coordinator only).
func (s *Service) Update(ctx context.Context, id int64, e Edit) (Directive, error) {
	err := s.act(ctx, func(tx *store.Tx) error {
		p, d, err := s.changer(ctx, tx, id, "change a directive")
		if err != nil {
			return err
		}
		if d.CancelledAt != nil {
			return errs.E(errs.Conflict, "the directive was cancelled")
		}
		c, err := s.clean(ctx, tx, Input{Title: e.Title, Description: e.Description, Source: d.Source, MeetingID: d.MeetingID, DecisionID: d.DecisionID,
			PlanYear: d.PlanYear, Visibility: e.Visibility, Priority: e.Priority, LeadAgencyID: e.LeadAgencyID, LeadAgencyCode: e.LeadAgencyCode,
			Coordinating: e.Coordinating, CoordinatingCodes: e.CoordinatingCodes}, false)
		if err != nil {
			return err
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE directives SET title = ?, description = ?, visibility = ?, priority = ?, lead_agency_id = ?, updated_at = ? WHERE id = ?`,
			c.Title, c.Description, c.Visibility, c.Priority, c.LeadAgencyID, now, id); err != nil {
			return err
		}
		if err := writeAssignees(ctx, tx, id, c.LeadAgencyID, c.Coordinating); err != nil {
			return err
		}
		changed := editedFields(d, c)
		if due := strings.TrimSpace(e.DueOn); due != "" && due != d.DueOn {
			due, err := cleanDate("due_on", due, true)
			if err != nil {
				return err
			}
			if today := s.Today(); due < today {
				return errs.Field("due_on", "the deadline %s is in the past (today is %s)", due, today)
			}
			t := d.CurrentTask()
			if !t.Status.Open() {
				return errs.Field("due_on", "the current task is closed; its deadline cannot move")
			}
			if _, err := tx.Exec(ctx, `UPDATE directive_tasks SET due_on = ?, updated_at = ? WHERE id = ?`, due, now, t.ID); err != nil {
				return err
			}
			changed = append(changed, "due_on "+t.DueOn+" -> "+due)
		}
		if len(changed) == 0 {
			return nil // nothing changed: no journal line, no audit row
		}
		// The journal shows the agencies what changed; the note lists the
		// fields (EditNote below), which pages put in words.
		detail := EditNotePrefix + strings.Join(changed, ", ")
		if err := s.addUpdate(ctx, tx, p, d, 0, KindEdit, detail, nil, false); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "directive.update", ObjectType: "directive", ObjectID: fmt.Sprint(id), Detail: clip(detail, 500)})
	})
	if err != nil {
		return Directive{}, fmt.Errorf("directive: update %d: %w", id, err)
	}
	return s.Get(ctx, id)
}

// KindEdit is the journal kind of a change by the issuer; its note is
// EditNotePrefix and the changed fields separated by ", ": title,
// description, visibility, priority, lead, coordinating, and
// "due_on OLD -> NEW".
const (
	KindEdit       = "edit"
	EditNotePrefix = "changed: "
)

// editedFields names the fields an edit changes.
func editedFields(d Directive, c cleanInput) []string {
	var out []string
	add := func(changed bool, name string) {
		if changed {
			out = append(out, name)
		}
	}
	add(c.Title != d.Title, "title")
	add(c.Description != d.Description, "description")
	add(c.Visibility != d.Visibility, "visibility")
	add(c.Priority != d.Priority, "priority")
	add(c.LeadAgencyID != d.Lead.ID, "lead")
	var before []int64
	for _, a := range d.Coordinating {
		before = append(before, a.ID)
	}
	after := append([]int64(nil), c.Coordinating...)
	slices.Sort(before)
	slices.Sort(after)
	add(!slices.Equal(before, after), "coordinating")
	return out
}

// Cancel cancels a directive and its open tasks (its issuer or a
// coordinator only); a reason is required. Closed tasks keep their
// outcome.
func (s *Service) Cancel(ctx context.Context, id int64, reason string) (Directive, error) {
	reason, err := cleanText(text{field: "reason", max: maxNote, required: true, multiline: true}, reason)
	if err != nil {
		return Directive{}, err
	}
	err = s.act(ctx, func(tx *store.Tx) error {
		p, d, err := s.changer(ctx, tx, id, "cancel a directive")
		if err != nil {
			return err
		}
		if d.CancelledAt != nil {
			return errs.E(errs.Conflict, "the directive is already cancelled")
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE directives SET cancelled_at = ?, cancel_reason = ?, updated_at = ? WHERE id = ?`, now, reason, now, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE directive_tasks SET state = ?, updated_at = ? WHERE directive_id = ? AND state <> ?`, StateCancelled, now, id, StateDone); err != nil {
			return err
		}
		if err := s.addUpdate(ctx, tx, p, d, 0, "cancel", reason, nil, false); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "directive.cancel", ObjectType: "directive", ObjectID: fmt.Sprint(id), Detail: clip(reason, 200)})
	})
	if err != nil {
		return Directive{}, fmt.Errorf("directive: cancel %d: %w", id, err)
	}
	return s.Get(ctx, id)
}
