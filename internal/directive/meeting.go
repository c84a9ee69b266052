package directive

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// The kinds of meeting.
const (
	MeetingAnnual        = "annual"
	MeetingQuarterly     = "quarterly"
	MeetingExtraordinary = "extraordinary"
)

// MeetingKinds lists the kinds of meeting. Treat it as read-only.
var MeetingKinds = []string{MeetingAnnual, MeetingQuarterly, MeetingExtraordinary}

// The attendance of a person at a meeting.
const (
	Present   = "present"
	Absent    = "absent"
	Delegated = "delegated"
)

// Attendances lists the attendance values. Treat it as read-only.
var Attendances = []string{Present, Absent, Delegated}

// Meeting is one meeting of the subcommittee. HeldOn is YYYY-MM-DD and
// StartTime HH:MM ("" when not recorded); Minutes is Markdown.
type Meeting struct {
	ID                int64         `json:"id"`
	Title             string        `json:"title"`
	Kind              string        `json:"kind"`
	HeldOn            string        `json:"held_on"`
	StartTime         string        `json:"start_time"`
	Place             string        `json:"place"`
	Chair             string        `json:"chair"`
	Agenda            string        `json:"agenda"`
	Minutes           string        `json:"minutes"`
	OrganiserAgencyID int64         `json:"organiser_agency_id"`
	Attendees         []Attendee    `json:"attendees"`
	Decisions         []DecisionRef `json:"decisions"`
	Documents         []Document    `json:"documents"`
	CreatedAt         time.Time     `json:"created_at"`
	UpdatedAt         time.Time     `json:"updated_at"`
}

// MinutesHTML is the minutes rendered as safe HTML.
func (m Meeting) MinutesHTML() template.HTML { return RenderMarkdown(m.Minutes) }

// Attendee is one person at (or expected at) a meeting: a member of the
// body (MembershipID set), or a guest. Attendance is present, absent or
// delegated (DelegateName then says who came instead).
type Attendee struct {
	ID           int64  `json:"id"`
	PersonName   string `json:"person_name"`
	PersonTitle  string `json:"person_title"`
	AgencyID     int64  `json:"agency_id"`
	AgencyCode   string `json:"agency_code"`
	MembershipID int64  `json:"membership_id"`
	Attendance   string `json:"attendance"`
	DelegateName string `json:"delegate_name"`
	Guest        bool   `json:"guest"`
}

// DecisionRef is a decision taken at or recorded with a meeting.
type DecisionRef struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
	Date   string `json:"date"`
	Title  string `json:"title"`
}

// Document is a file attached to a meeting, kept in the blob store.
type Document struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	SHA256     string    `json:"sha256"`
	Size       int64     `json:"size"`
	UploadedBy string    `json:"uploaded_by"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// MeetingInput is what a secretary records. Attendees replace the previous
// list on update; DecisionIDs name decisions of the directory.
type MeetingInput struct {
	Title       string     `json:"title"`
	Kind        string     `json:"kind"`
	HeldOn      string     `json:"held_on"`
	StartTime   string     `json:"start_time"`
	Place       string     `json:"place"`
	Chair       string     `json:"chair"`
	Agenda      string     `json:"agenda"`
	Minutes     string     `json:"minutes"`
	Attendees   []Attendee `json:"attendees"`
	DecisionIDs []int64    `json:"decision_ids"`
}

func cleanMeeting(in MeetingInput) (MeetingInput, error) {
	out := MeetingInput{}
	var err error
	if out.Title, err = cleanText(text{field: "title", max: maxTitle, required: true}, in.Title); err != nil {
		return out, err
	}
	if out.Kind, err = oneOf("kind", in.Kind, MeetingKinds, ""); err != nil {
		return out, err
	}
	if out.HeldOn, err = cleanDate("held_on", in.HeldOn, true); err != nil {
		return out, err
	}
	out.StartTime = strings.TrimSpace(in.StartTime)
	if out.StartTime != "" {
		if _, err := time.Parse("15:04", out.StartTime); err != nil || len(out.StartTime) != 5 {
			return out, errs.Field("start_time", "must be a time HH:MM")
		}
	}
	if out.Place, err = cleanText(text{field: "place", max: maxShort}, in.Place); err != nil {
		return out, err
	}
	if out.Chair, err = cleanText(text{field: "chair", max: maxShort}, in.Chair); err != nil {
		return out, err
	}
	if out.Agenda, err = cleanText(text{field: "agenda", max: maxText, multiline: true}, in.Agenda); err != nil {
		return out, err
	}
	if out.Minutes, err = cleanText(text{field: "minutes", max: maxMinutes, multiline: true}, in.Minutes); err != nil {
		return out, err
	}
	if len(in.Attendees) > maxPeople {
		return out, errs.Field("attendees", "at most %d people", maxPeople)
	}
	for i, a := range in.Attendees {
		f := fmt.Sprintf("attendees[%d].", i)
		c := Attendee{AgencyID: a.AgencyID, MembershipID: a.MembershipID, Guest: a.Guest}
		if c.PersonName, err = cleanText(text{field: f + "person_name", max: maxShort, required: true}, a.PersonName); err != nil {
			return out, err
		}
		if c.PersonTitle, err = cleanText(text{field: f + "person_title", max: maxShort}, a.PersonTitle); err != nil {
			return out, err
		}
		if c.Attendance, err = oneOf(f+"attendance", a.Attendance, Attendances, Present); err != nil {
			return out, err
		}
		if c.DelegateName, err = cleanText(text{field: f + "delegate_name", max: maxShort}, a.DelegateName); err != nil {
			return out, err
		}
		if c.Attendance == Delegated && c.DelegateName == "" {
			return out, errs.Field(f+"delegate_name", "say who attended on %s's behalf", c.PersonName)
		}
		if c.Guest && c.MembershipID != 0 {
			return out, errs.Field(f+"guest", "a member of the body is not a guest")
		}
		out.Attendees = append(out.Attendees, c)
	}
	seen := map[int64]bool{}
	for _, id := range in.DecisionIDs {
		if id <= 0 {
			return out, errs.Field("decision_ids", "must be positive ids")
		}
		if !seen[id] {
			seen[id] = true
			out.DecisionIDs = append(out.DecisionIDs, id)
		}
	}
	if len(out.DecisionIDs) > maxAgencies {
		return out, errs.Field("decision_ids", "at most %d decisions", maxAgencies)
	}
	return out, nil
}

func (s *Service) meetingManager(ctx context.Context, action, id string) (*access.Principal, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !access.CanManageMeetings(p) {
		return nil, s.log.Denied(ctx, action, "meeting", id)
	}
	return p, nil
}

// CreateMeeting records a meeting (admins and the standing agency's
// coordinators). The organiser is the caller's agency, or the standing
// agency for the system.
func (s *Service) CreateMeeting(ctx context.Context, in MeetingInput) (Meeting, error) {
	p, err := s.meetingManager(ctx, "record a meeting", "")
	if err != nil {
		return Meeting{}, err
	}
	c, err := cleanMeeting(in)
	if err != nil {
		return Meeting{}, err
	}
	var id int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		org := p.AgencyID
		if org == 0 {
			if org, err = standingAgency(ctx, tx); err != nil {
				return err
			}
		}
		now := s.stamp()
		if err := tx.QueryRow(ctx, `INSERT INTO meetings (title, kind, held_on, start_time, place, chair, agenda, minutes, organiser_agency_id, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Title, c.Kind, c.HeldOn, c.StartTime, c.Place, c.Chair, c.Agenda, c.Minutes,
			org, nullID(p.UserID), now, now).Scan(&id); err != nil {
			return err
		}
		if err := writeMeetingLinks(ctx, tx, id, c); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "meeting.create", ObjectType: "meeting", ObjectID: fmt.Sprint(id), Detail: c.HeldOn + " " + clip(c.Title, 200)})
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("directive: create meeting: %w", err)
	}
	return s.GetMeeting(ctx, id)
}

// UpdateMeeting replaces a meeting's record, attendees and decisions
// (admins and coordinators). Documents stay.
func (s *Service) UpdateMeeting(ctx context.Context, id int64, in MeetingInput) (Meeting, error) {
	if _, err := s.meetingManager(ctx, "edit a meeting", fmt.Sprint(id)); err != nil {
		return Meeting{}, err
	}
	c, err := cleanMeeting(in)
	if err != nil {
		return Meeting{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE meetings SET title = ?, kind = ?, held_on = ?, start_time = ?, place = ?, chair = ?, agenda = ?, minutes = ?, updated_at = ? WHERE id = ?`,
			c.Title, c.Kind, c.HeldOn, c.StartTime, c.Place, c.Chair, c.Agenda, c.Minutes, s.stamp(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "meeting %d not found", id)
		}
		for _, q := range []string{`DELETE FROM meeting_attendees WHERE meeting_id = ?`, `DELETE FROM meeting_decisions WHERE meeting_id = ?`} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		if err := writeMeetingLinks(ctx, tx, id, c); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "meeting.update", ObjectType: "meeting", ObjectID: fmt.Sprint(id)})
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("directive: update meeting %d: %w", id, err)
	}
	return s.GetMeeting(ctx, id)
}

func writeMeetingLinks(ctx context.Context, tx *store.Tx, id int64, c MeetingInput) error {
	for i, a := range c.Attendees {
		if a.MembershipID != 0 {
			var agencyID int64
			if err := tx.QueryRow(ctx, `SELECT agency_id FROM memberships WHERE id = ?`, a.MembershipID).Scan(&agencyID); err != nil {
				if errs.Is(err, errs.NotFound) {
					return errs.Field(fmt.Sprintf("attendees[%d].membership_id", i), "membership %d does not exist", a.MembershipID)
				}
				return err
			}
			if a.AgencyID == 0 {
				a.AgencyID = agencyID
			}
		}
		if a.AgencyID != 0 {
			if err := mustExist(ctx, tx, "agencies", fmt.Sprintf("attendees[%d].agency_id", i), "agency", a.AgencyID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO meeting_attendees (meeting_id, person_name, person_title, agency_id, membership_id, attendance, delegate_name, guest)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, a.PersonName, a.PersonTitle, nullID(a.AgencyID), nullID(a.MembershipID), a.Attendance, a.DelegateName, a.Guest); err != nil {
			return err
		}
	}
	for _, d := range c.DecisionIDs {
		if err := mustExist(ctx, tx, "decisions", "decision_ids", "decision", d); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO meeting_decisions (meeting_id, decision_id) VALUES (?, ?)`, id, d); err != nil {
			return err
		}
	}
	return nil
}

// mustExist is an Invalid error naming field when table has no row id.
func mustExist(ctx context.Context, q store.Querier, table, field, what string, id int64) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return errs.Field(field, "%s %d does not exist", what, id)
	}
	return nil
}

func standingAgency(ctx context.Context, q store.Querier) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM agencies WHERE kind = 'standing' AND active ORDER BY id LIMIT 1`).Scan(&id)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.E(errs.Invalid, "there is no standing agency to organise the meeting")
	}
	return id, err
}

const meetingCols = `id, title, kind, held_on, start_time, place, chair, agenda, minutes, organiser_agency_id, created_at, updated_at`

func scanMeeting(r interface{ Scan(...any) error }) (Meeting, error) {
	var m Meeting
	err := r.Scan(&m.ID, &m.Title, &m.Kind, &m.HeldOn, &m.StartTime, &m.Place, &m.Chair, &m.Agenda, &m.Minutes, &m.OrganiserAgencyID, &m.CreatedAt, &m.UpdatedAt)
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m, err
}

// GetMeeting returns a meeting with its attendees, decisions and
// documents. Any signed-in user reads meetings.
func (s *Service) GetMeeting(ctx context.Context, id int64) (Meeting, error) {
	p, err := caller(ctx)
	if err != nil {
		return Meeting{}, err
	}
	if !access.CanReadMeetings(p) {
		return Meeting{}, s.log.Denied(ctx, "read meetings", "meeting", fmt.Sprint(id))
	}
	m, err := scanMeeting(s.db.QueryRow(ctx, `SELECT `+meetingCols+` FROM meetings WHERE id = ?`, id))
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Meeting{}, errs.E(errs.NotFound, "meeting %d not found", id)
		}
		return Meeting{}, fmt.Errorf("directive: get meeting %d: %w", id, err)
	}
	if err := s.meetingDetails(ctx, &m); err != nil {
		return Meeting{}, fmt.Errorf("directive: get meeting %d: %w", id, err)
	}
	return m, nil
}

func (s *Service) meetingDetails(ctx context.Context, m *Meeting) error {
	rows, err := s.db.Query(ctx, `SELECT a.id, a.person_name, a.person_title, COALESCE(a.agency_id, 0), COALESCE(g.code, ''), COALESCE(a.membership_id, 0),
		a.attendance, a.delegate_name, a.guest FROM meeting_attendees a LEFT JOIN agencies g ON g.id = a.agency_id WHERE a.meeting_id = ? ORDER BY a.guest, a.id`, m.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	m.Attendees = []Attendee{}
	for rows.Next() {
		var a Attendee
		if err := rows.Scan(&a.ID, &a.PersonName, &a.PersonTitle, &a.AgencyID, &a.AgencyCode, &a.MembershipID, &a.Attendance, &a.DelegateName, &a.Guest); err != nil {
			return err
		}
		m.Attendees = append(m.Attendees, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	drows, err := s.db.Query(ctx, `SELECT d.id, d.number, d.decided_on, d.title FROM meeting_decisions md JOIN decisions d ON d.id = md.decision_id
		WHERE md.meeting_id = ? ORDER BY d.decided_on, d.id`, m.ID)
	if err != nil {
		return err
	}
	defer drows.Close()
	m.Decisions = []DecisionRef{}
	for drows.Next() {
		var d DecisionRef
		if err := drows.Scan(&d.ID, &d.Number, &d.Date, &d.Title); err != nil {
			return err
		}
		m.Decisions = append(m.Decisions, d)
	}
	if err := drows.Err(); err != nil {
		return err
	}
	drows.Close()
	frows, err := s.db.Query(ctx, `SELECT id, name, sha256, size, uploaded_by, uploaded_at FROM meeting_documents WHERE meeting_id = ? ORDER BY id`, m.ID)
	if err != nil {
		return err
	}
	defer frows.Close()
	m.Documents = []Document{}
	for frows.Next() {
		var d Document
		if err := frows.Scan(&d.ID, &d.Name, &d.SHA256, &d.Size, &d.UploadedBy, &d.UploadedAt); err != nil {
			return err
		}
		d.UploadedAt = d.UploadedAt.UTC()
		m.Documents = append(m.Documents, d)
	}
	return frows.Err()
}

// MeetingFilter narrows ListMeetings: Year 0 is every year, From and To
// (YYYY-MM-DD, both included) a date range.
type MeetingFilter struct {
	Year     int
	From, To string
	Limit    int
	Offset   int
}

// ListMeetings lists meetings, latest first, without details, and the
// total that match.
func (s *Service) ListMeetings(ctx context.Context, f MeetingFilter) ([]Meeting, int, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !access.CanReadMeetings(p) {
		return nil, 0, s.log.Denied(ctx, "read meetings", "meeting", "")
	}
	cond, args := "1 = 1", []any{}
	if f.Year != 0 {
		cond += " AND held_on >= ? AND held_on <= ?"
		args = append(args, fmt.Sprintf("%04d-01-01", f.Year), fmt.Sprintf("%04d-12-31", f.Year))
	}
	if f.From != "" {
		cond += " AND held_on >= ?"
		args = append(args, f.From)
	}
	if f.To != "" {
		cond += " AND held_on <= ?"
		args = append(args, f.To)
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM meetings WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("directive: count meetings: %w", err)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	rows, err := s.db.Query(ctx, `SELECT `+meetingCols+` FROM meetings WHERE `+cond+` ORDER BY held_on DESC, id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("directive: list meetings: %w", err)
	}
	defer rows.Close()
	out := []Meeting{}
	for rows.Next() {
		m, err := scanMeeting(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("directive: list meetings: %w", err)
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// AddDocument stores a file in the blob store and attaches it to meeting
// id (admins and coordinators). The name is cleaned; content over the
// size limit is TooLarge and nothing is kept.
func (s *Service) AddDocument(ctx context.Context, meetingID int64, name string, r io.Reader) (Document, error) {
	p, err := s.meetingManager(ctx, "attach a document to a meeting", fmt.Sprint(meetingID))
	if err != nil {
		return Document{}, err
	}
	if s.blobs == nil {
		return Document{}, errs.E(errs.Unavailable, "no file store is configured")
	}
	name, err = cleanFileName(name)
	if err != nil {
		return Document{}, err
	}
	if err := mustExist(ctx, s.db, "meetings", "id", "meeting", meetingID); err != nil {
		return Document{}, errs.E(errs.NotFound, "meeting %d not found", meetingID)
	}
	info, err := s.blobs.Put(ctx, r, s.cfg.MaxFileSize)
	if err != nil {
		return Document{}, fmt.Errorf("directive: store document: %w", err)
	}
	d := Document{Name: name, SHA256: info.SHA256, Size: info.Size, UploadedBy: p.Label(), UploadedAt: s.stamp()}
	err = s.transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO meeting_documents (meeting_id, name, sha256, size, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			meetingID, d.Name, d.SHA256, d.Size, d.UploadedBy, d.UploadedAt).Scan(&d.ID); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "meeting.document", ObjectType: "meeting", ObjectID: fmt.Sprint(meetingID), Detail: d.Name + " " + d.SHA256})
	})
	if err != nil {
		return Document{}, fmt.Errorf("directive: attach document: %w", err)
	}
	return d, nil
}

// OpenDocument returns a meeting document's record and content; the
// caller closes the reader.
func (s *Service) OpenDocument(ctx context.Context, meetingID, docID int64) (Document, io.ReadCloser, error) {
	m, err := s.GetMeeting(ctx, meetingID)
	if err != nil {
		return Document{}, nil, err
	}
	for _, d := range m.Documents {
		if d.ID == docID {
			if s.blobs == nil {
				return Document{}, nil, errs.E(errs.Unavailable, "no file store is configured")
			}
			rc, _, err := s.blobs.Open(ctx, d.SHA256)
			if err != nil {
				return Document{}, nil, fmt.Errorf("directive: open document %d: %w", docID, err)
			}
			return d, rc, nil
		}
	}
	return Document{}, nil, errs.E(errs.NotFound, "document %d not found", docID)
}

// cleanFileName keeps the base name of an uploaded file, on one line.
func cleanFileName(name string) (string, error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name, err := cleanText(text{field: "name", max: maxFileName}, name)
	if err != nil {
		return "", err
	}
	if name == "" || name == "." || name == ".." {
		return "", errs.Field("name", "a file name is required")
	}
	return name, nil
}
