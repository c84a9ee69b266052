package directive

import (
	"context"
	"fmt"
	"io"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Update is one entry of a directive's history: an acknowledgement, a
// progress note, a completion, an acceptance, a return, a cancellation.
// A Restricted note is shown only to its agency, the issuer and the
// province's coordinators.
type Update struct {
	ID         int64     `json:"id"`
	TaskID     int64     `json:"task_id"`
	AgencyID   int64     `json:"agency_id"`
	AgencyCode string    `json:"agency_code"`
	Author     string    `json:"author"`
	Kind       string    `json:"kind"`
	Note       string    `json:"note"`
	Percent    *int      `json:"percent"`
	Restricted bool      `json:"restricted"`
	Files      []File    `json:"files"`
	CreatedAt  time.Time `json:"created_at"`
}

// File is an attachment of an update, kept in the blob store.
type File struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Upload is a file to attach: its name and content.
type Upload struct {
	Name string
	Body io.Reader
}

// Report is what an assigned agency posts. TaskID 0 means the current
// task. Percent (0..100) is optional. At most 10 files.
type Report struct {
	TaskID     int64    `json:"task_id"`
	Note       string   `json:"note"`
	Percent    *int     `json:"percent"`
	Restricted bool     `json:"restricted"`
	Files      []Upload `json:"-"`
}

const maxFiles = 10

// task picks the task of d that an action is about: id, or the current one.
func task(d Directive, id int64) (Task, error) {
	if id == 0 {
		if len(d.Tasks) == 0 {
			return Task{}, errs.E(errs.Conflict, "the directive has no task")
		}
		return d.CurrentTask(), nil
	}
	for _, t := range d.Tasks {
		if t.ID == id {
			return t, nil
		}
	}
	return Task{}, errs.Field("task_id", "task %d is not part of directive %d", id, d.ID)
}

// assignee loads directive id and checks the caller reports for an
// assigned agency (lead only when leadOnly).
func (s *Service) assignee(ctx context.Context, q store.Querier, id int64, leadOnly bool, action string) (*access.Principal, Directive, error) {
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
	ok := access.CanReportOnDirective(p, ds[0].refs())
	if leadOnly {
		ok = access.CanCompleteDirective(p, ds[0].refs())
	}
	if !ok {
		return nil, Directive{}, &denial{action: action, objectID: fmt.Sprint(id)}
	}
	if ds[0].CancelledAt != nil {
		return nil, Directive{}, errs.E(errs.Conflict, "the directive was cancelled")
	}
	return p, ds[0], nil
}

// Acknowledge records that the caller's agency received the directive; the
// current task moves from assigned to acknowledged.
func (s *Service) Acknowledge(ctx context.Context, id int64) (Directive, error) {
	err := s.act(ctx, func(tx *store.Tx) error {
		p, d, err := s.assignee(ctx, tx, id, false, "acknowledge a directive")
		if err != nil {
			return err
		}
		t := d.CurrentTask()
		now := s.stamp()
		if t.State == StateAssigned {
			if _, err := tx.Exec(ctx, `UPDATE directive_tasks SET state = ?, acknowledged_at = ?, updated_at = ? WHERE id = ?`, StateAcknowledged, now, now, t.ID); err != nil {
				return err
			}
		}
		if err := s.addUpdate(ctx, tx, p, d, t.ID, "acknowledge", "", nil, false); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "directive.acknowledge", ObjectType: "directive", ObjectID: fmt.Sprint(id)})
	})
	if err != nil {
		return Directive{}, fmt.Errorf("directive: acknowledge %d: %w", id, err)
	}
	return s.Get(ctx, id)
}

func cleanReport(r Report, needNote bool) (Report, error) {
	note, err := cleanText(text{field: "note", max: maxNote, required: needNote, multiline: true}, r.Note)
	if err != nil {
		return r, err
	}
	r.Note = note
	if r.Percent != nil && (*r.Percent < 0 || *r.Percent > 100) {
		return r, errs.Field("percent", "must be from 0 to 100")
	}
	if len(r.Files) > maxFiles {
		return r, errs.Field("files", "at most %d files per update", maxFiles)
	}
	return r, nil
}

// storeFiles puts uploads into the blob store before the transaction, so
// a slow upload holds no lock.
func (s *Service) storeFiles(ctx context.Context, ups []Upload) ([]File, error) {
	if len(ups) == 0 {
		return nil, nil
	}
	if s.blobs == nil {
		return nil, errs.E(errs.Unavailable, "no file store is configured")
	}
	var out []File
	for _, u := range ups {
		name, err := cleanFileName(u.Name)
		if err != nil {
			return nil, err
		}
		info, err := s.blobs.Put(ctx, u.Body, s.cfg.MaxFileSize)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", name, err)
		}
		out = append(out, File{Name: name, SHA256: info.SHA256, Size: info.Size})
	}
	return out, nil
}

// Progress posts a progress note of an assigned agency (lead or
// coordinating), with optional percent and attachments; an open task moves
// to in progress.
func (s *Service) Progress(ctx context.Context, id int64, r Report) (Update, error) {
	r, err := cleanReport(r, true)
	if err != nil {
		return Update{}, err
	}
	files, err := s.storeFiles(ctx, r.Files)
	if err != nil {
		return Update{}, fmt.Errorf("directive: progress on %d: %w", id, err)
	}
	var uid int64
	err = s.act(ctx, func(tx *store.Tx) error {
		p, d, err := s.assignee(ctx, tx, id, false, "report progress on a directive")
		if err != nil {
			return err
		}
		t, err := task(d, r.TaskID)
		if err != nil {
			return err
		}
		if t.State == StateDone || t.State == StateCancelled {
			return errs.E(errs.Conflict, "the task due %s is closed; post on the current one", t.DueOn)
		}
		now := s.stamp()
		percent := t.Percent
		if r.Percent != nil {
			percent = *r.Percent
		}
		if _, err := tx.Exec(ctx, `UPDATE directive_tasks SET state = ?, percent = ?, updated_at = ? WHERE id = ?`, StateInProgress, percent, now, t.ID); err != nil {
			return err
		}
		if err := s.addUpdate(ctx, tx, p, d, t.ID, "progress", r.Note, r.Percent, r.Restricted); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT MAX(id) FROM directive_updates WHERE directive_id = ?`, id).Scan(&uid); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := tx.Exec(ctx, `INSERT INTO directive_files (update_id, directive_id, name, sha256, size, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				uid, id, f.Name, f.SHA256, f.Size, now); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "directive.progress", ObjectType: "directive", ObjectID: fmt.Sprint(id), Detail: fmt.Sprintf("task %d, %d file(s)", t.ID, len(files))})
	})
	if err != nil {
		return Update{}, fmt.Errorf("directive: progress on %d: %w", id, err)
	}
	ups, err := s.Updates(ctx, id)
	if err != nil {
		return Update{}, err
	}
	for _, u := range ups {
		if u.ID == uid {
			return u, nil
		}
	}
	return Update{}, errs.E(errs.Internal, "update %d vanished", uid)
}

// Complete marks a task done with its result (the lead agency only). The
// completion date is today in the province, which decides on time or
// late; the issuer is told and accepts or returns it.
func (s *Service) Complete(ctx context.Context, id int64, r Report) (Directive, error) {
	r, err := cleanReport(r, true)
	if err != nil {
		return Directive{}, errs.Field("note", "describe the result")
	}
	files, err := s.storeFiles(ctx, r.Files)
	if err != nil {
		return Directive{}, fmt.Errorf("directive: complete %d: %w", id, err)
	}
	err = s.act(ctx, func(tx *store.Tx) error {
		p, d, err := s.assignee(ctx, tx, id, true, "mark a directive done")
		if err != nil {
			return err
		}
		t, err := task(d, r.TaskID)
		if err != nil {
			return err
		}
		if t.State == StateDone || t.State == StateCancelled {
			return errs.E(errs.Conflict, "the task due %s is already closed", t.DueOn)
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE directive_tasks SET state = ?, percent = 100, done_on = ?, result = ?, accepted_at = NULL, return_reason = '', updated_at = ? WHERE id = ?`,
			StateDone, s.Today(), r.Note, now, t.ID); err != nil {
			return err
		}
		if err := s.addUpdate(ctx, tx, p, d, t.ID, "done", r.Note, nil, r.Restricted); err != nil {
			return err
		}
		var uid int64
		if err := tx.QueryRow(ctx, `SELECT MAX(id) FROM directive_updates WHERE directive_id = ?`, id).Scan(&uid); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := tx.Exec(ctx, `INSERT INTO directive_files (update_id, directive_id, name, sha256, size, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				uid, id, f.Name, f.SHA256, f.Size, now); err != nil {
				return err
			}
		}
		if err := s.notifyAgencies(ctx, tx, []int64{d.Issuer.ID}, "directive.done", "[Bulwark] Đã hoàn thành: "+clip(d.Title, 120),
			fmt.Sprintf("%s báo cáo hoàn thành nhiệm vụ \"%s\" (hạn %s). Đề nghị xem xét, chấp nhận hoặc trả lại.\n%s", d.Lead.Code, d.Title, t.DueOn, s.link(id)), id); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "directive.done", ObjectType: "directive", ObjectID: fmt.Sprint(id), Detail: fmt.Sprintf("task %d due %s done %s", t.ID, t.DueOn, s.Today())})
	})
	if err != nil {
		return Directive{}, fmt.Errorf("directive: complete %d: %w", id, err)
	}
	return s.Get(ctx, id)
}

// Accept accepts a done task's result (the issuer or a coordinator).
func (s *Service) Accept(ctx context.Context, id, taskID int64) (Directive, error) {
	err := s.act(ctx, func(tx *store.Tx) error {
		p, d, err := s.changer(ctx, tx, id, "accept a directive's result")
		if err != nil {
			return err
		}
		t, err := s.doneTask(d, taskID)
		if err != nil {
			return err
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE directive_tasks SET accepted_at = ?, updated_at = ? WHERE id = ?`, now, now, t.ID); err != nil {
			return err
		}
		if err := s.addUpdate(ctx, tx, p, d, t.ID, "accept", "", nil, false); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "directive.accept", ObjectType: "directive", ObjectID: fmt.Sprint(id), Detail: fmt.Sprintf("task %d", t.ID)})
	})
	if err != nil {
		return Directive{}, fmt.Errorf("directive: accept %d: %w", id, err)
	}
	return s.Get(ctx, id)
}

// Return sends a done task back to the lead agency with a reason (the
// issuer or a coordinator); its completion is undone, so the deadline
// counts again.
func (s *Service) Return(ctx context.Context, id, taskID int64, reason string) (Directive, error) {
	reason, err := cleanText(text{field: "reason", max: maxNote, required: true, multiline: true}, reason)
	if err != nil {
		return Directive{}, err
	}
	err = s.act(ctx, func(tx *store.Tx) error {
		p, d, err := s.changer(ctx, tx, id, "return a directive")
		if err != nil {
			return err
		}
		t, err := s.doneTask(d, taskID)
		if err != nil {
			return err
		}
		if t.AcceptedAt != nil {
			return errs.E(errs.Conflict, "the result was already accepted")
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `UPDATE directive_tasks SET state = ?, done_on = NULL, return_reason = ?, updated_at = ? WHERE id = ?`, StateReturned, reason, now, t.ID); err != nil {
			return err
		}
		if err := s.addUpdate(ctx, tx, p, d, t.ID, "return", reason, nil, false); err != nil {
			return err
		}
		if err := s.notifyAgencies(ctx, tx, []int64{d.Lead.ID}, "directive.returned", "[Bulwark] Nhiệm vụ bị trả lại: "+clip(d.Title, 120),
			fmt.Sprintf("Kết quả nhiệm vụ \"%s\" bị trả lại: %s\n%s", d.Title, reason, s.link(id)), id); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "directive.return", ObjectType: "directive", ObjectID: fmt.Sprint(id), Detail: clip(reason, 200)})
	})
	if err != nil {
		return Directive{}, fmt.Errorf("directive: return %d: %w", id, err)
	}
	return s.Get(ctx, id)
}

// doneTask picks the task to accept or return: taskID, or the latest done
// one.
func (s *Service) doneTask(d Directive, taskID int64) (Task, error) {
	if taskID != 0 {
		t, err := task(d, taskID)
		if err != nil {
			return Task{}, err
		}
		if t.State != StateDone {
			return Task{}, errs.E(errs.Conflict, "the task due %s is not done yet", t.DueOn)
		}
		return t, nil
	}
	for i := len(d.Tasks) - 1; i >= 0; i-- {
		if d.Tasks[i].State == StateDone {
			return d.Tasks[i], nil
		}
	}
	return Task{}, errs.E(errs.Conflict, "no task of the directive is done yet")
}

func (s *Service) addUpdate(ctx context.Context, tx *store.Tx, p *access.Principal, d Directive, taskID int64, kind, note string, percent *int, restricted bool) error {
	agencyID := p.AgencyID
	var pc any
	if percent != nil {
		pc = *percent
	}
	_, err := tx.Exec(ctx, `INSERT INTO directive_updates (directive_id, task_id, agency_id, user_id, author, kind, note, percent, restricted, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, nullID(taskID), nullID(agencyID), nullID(p.UserID), p.Label(), kind, note, pc, restricted, s.stamp())
	return err
}

// Updates lists a directive's history, oldest first, without the
// restricted notes the caller may not read.
func (s *Service) Updates(ctx context.Context, id int64) ([]Update, error) {
	d, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	p := access.From(ctx)
	rows, err := s.db.Query(ctx, `SELECT u.id, COALESCE(u.task_id, 0), COALESCE(u.agency_id, 0), COALESCE(g.code, ''), u.author, u.kind, u.note, u.percent, u.restricted, u.created_at
		FROM directive_updates u LEFT JOIN agencies g ON g.id = u.agency_id WHERE u.directive_id = ? ORDER BY u.id`, id)
	if err != nil {
		return nil, fmt.Errorf("directive: updates of %d: %w", id, err)
	}
	defer rows.Close()
	out := []Update{}
	byID := map[int64]int{}
	for rows.Next() {
		var u Update
		var pc *int64
		if err := rows.Scan(&u.ID, &u.TaskID, &u.AgencyID, &u.AgencyCode, &u.Author, &u.Kind, &u.Note, &pc, &u.Restricted, &u.CreatedAt); err != nil {
			return nil, fmt.Errorf("directive: updates of %d: %w", id, err)
		}
		if u.Restricted && !access.CanSeeRestrictedNote(p, u.AgencyID, d.Issuer.ID) {
			continue
		}
		if pc != nil {
			v := int(*pc)
			u.Percent = &v
		}
		u.CreatedAt = u.CreatedAt.UTC()
		u.Files = []File{}
		byID[u.ID] = len(out)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	frows, err := s.db.Query(ctx, `SELECT update_id, id, name, sha256, size FROM directive_files WHERE directive_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("directive: files of %d: %w", id, err)
	}
	defer frows.Close()
	for frows.Next() {
		var uid int64
		var f File
		if err := frows.Scan(&uid, &f.ID, &f.Name, &f.SHA256, &f.Size); err != nil {
			return nil, err
		}
		if i, ok := byID[uid]; ok {
			out[i].Files = append(out[i].Files, f)
		}
	}
	return out, frows.Err()
}

// OpenFile returns an attachment the caller may read (not one of a
// restricted note of another agency) and its content.
func (s *Service) OpenFile(ctx context.Context, id, fileID int64) (File, io.ReadCloser, error) {
	ups, err := s.Updates(ctx, id)
	if err != nil {
		return File{}, nil, err
	}
	for _, u := range ups {
		for _, f := range u.Files {
			if f.ID == fileID {
				if s.blobs == nil {
					return File{}, nil, errs.E(errs.Unavailable, "no file store is configured")
				}
				rc, _, err := s.blobs.Open(ctx, f.SHA256)
				if err != nil {
					return File{}, nil, fmt.Errorf("directive: open file %d: %w", fileID, err)
				}
				return f, rc, nil
			}
		}
	}
	return File{}, nil, errs.E(errs.NotFound, "file %d not found", fileID)
}
