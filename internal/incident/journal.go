package incident

import (
	"context"
	"fmt"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// JournalKind says what a journal entry is.
type JournalKind string

// The kinds of journal entry: one timeline for all three.
const (
	JournalComment JournalKind = "comment"
	JournalStatus  JournalKind = "status"
	JournalEvent   JournalKind = "event"
)

// Entry is one line of an incident's journal. Nothing is ever deleted; an
// edited comment keeps its previous texts in Revisions.
type Entry struct {
	ID        int64       `json:"id"`
	At        time.Time   `json:"at"`
	Kind      JournalKind `json:"kind"`
	Event     string      `json:"event,omitempty"` // for events: created, edited, task.created, ...
	ActorID   int64       `json:"actor_user_id,omitempty"`
	Actor     string      `json:"actor"`
	Body      string      `json:"body"`
	OldStatus Status      `json:"old_status,omitempty"`
	NewStatus Status      `json:"new_status,omitempty"`
	EditedAt  *time.Time  `json:"edited_at,omitempty"`
	Revisions []Revision  `json:"revisions,omitempty"`
}

// Revision is a previous text of a journal entry (or, on an "edited" event,
// the previous description of the incident).
type Revision struct {
	Body       string    `json:"body"`
	ReplacedAt time.Time `json:"replaced_at"`
	Editor     string    `json:"editor"`
}

func actorOf(ctx context.Context) (int64, string) {
	p := access.From(ctx)
	if p == nil {
		return 0, "system"
	}
	if p.System {
		return 0, "system"
	}
	name := p.Name
	if p.AgencyCode != "" {
		name += " (" + p.AgencyCode + ")"
	}
	return p.UserID, name
}

func (s *Service) journal(ctx context.Context, tx *store.Tx, id int64, kind JournalKind, event, body string) error {
	_, err := s.journalID(ctx, tx, id, kind, event, body)
	return err
}

func (s *Service) journalID(ctx context.Context, tx *store.Tx, id int64, kind JournalKind, event, body string) (int64, error) {
	uid, name := actorOf(ctx)
	var jid int64
	err := tx.QueryRow(ctx, `INSERT INTO incident_journal (incident_id, at, kind, event, actor_user_id, actor, body) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		id, s.stamp(), kind, event, nullID(uid), name, body).Scan(&jid)
	if err != nil {
		return 0, fmt.Errorf("incident: journal: %w", err)
	}
	return jid, nil
}

func (s *Service) journalStatus(ctx context.Context, tx *store.Tx, id int64, from, to Status, note string) error {
	uid, name := actorOf(ctx)
	_, err := tx.Exec(ctx, `INSERT INTO incident_journal (incident_id, at, kind, event, actor_user_id, actor, body, old_status, new_status) VALUES (?, ?, ?, '', ?, ?, ?, ?, ?)`,
		id, s.stamp(), JournalStatus, nullID(uid), name, note, from, to)
	if err != nil {
		return fmt.Errorf("incident: journal status: %w", err)
	}
	return nil
}

// Comment adds a comment (Markdown) to the journal; anyone who sees the
// incident may, except read-only viewers.
func (s *Service) Comment(ctx context.Context, id int64, body string) (Entry, error) {
	body, err := cleanText(text{field: "body", max: MaxComment, required: true, multiline: true}, body)
	if err != nil {
		return Entry{}, err
	}
	var jid int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		if _, _, err := s.allowed(ctx, tx, id, "comment on the incident", CanComment); err != nil {
			return err
		}
		if jid, err = s.journalID(ctx, tx, id, JournalComment, "", body); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, s.stamp(), id); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.comment", id, fmt.Sprintf("journal %d", jid))
	})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, jid)
}

// EditComment replaces the text of the caller's own comment; the previous
// text is kept as a revision. Only comments can be edited, only by their
// author.
func (s *Service) EditComment(ctx context.Context, id, entryID int64, body string) (Entry, error) {
	body, err := cleanText(text{field: "body", max: MaxComment, required: true, multiline: true}, body)
	if err != nil {
		return Entry{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		p, _, err := s.allowed(ctx, tx, id, "comment on the incident", CanComment)
		if err != nil {
			return err
		}
		var kind JournalKind
		var author int64
		var old string
		err = tx.QueryRow(ctx, `SELECT kind, COALESCE(actor_user_id, 0), body FROM incident_journal WHERE id = ? AND incident_id = ?`, entryID, id).Scan(&kind, &author, &old)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.NotFound, "no such journal entry")
		}
		if err != nil {
			return err
		}
		if kind != JournalComment {
			return errs.E(errs.Conflict, "only comments can be edited; status changes and events are kept as they happened")
		}
		if author != p.UserID || p.UserID == 0 {
			return access.Deny("edit another person's comment")
		}
		if old == body {
			return nil
		}
		now := s.stamp()
		if _, err := tx.Exec(ctx, `INSERT INTO incident_journal_revisions (journal_id, body, replaced_at, editor) VALUES (?, ?, ?, ?)`, entryID, old, now, p.Label()); err != nil {
			return fmt.Errorf("incident: keep revision: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE incident_journal SET body = ?, edited_at = ? WHERE id = ?`, body, now, entryID); err != nil {
			return fmt.Errorf("incident: edit comment: %w", err)
		}
		return s.record(ctx, tx, "incident.comment_edit", id, fmt.Sprintf("journal %d", entryID))
	})
	if err != nil {
		return Entry{}, err
	}
	return s.entry(ctx, entryID)
}

const entryCols = `j.id, j.at, j.kind, j.event, COALESCE(j.actor_user_id, 0), j.actor, j.body, j.old_status, j.new_status, j.edited_at`

func scanEntry(r scanner) (Entry, error) {
	var e Entry
	var at, edited store.Time
	if err := r.Scan(&e.ID, &at, &e.Kind, &e.Event, &e.ActorID, &e.Actor, &e.Body, &e.OldStatus, &e.NewStatus, &edited); err != nil {
		return e, err
	}
	e.At, e.EditedAt = at.Time, edited.Ptr()
	return e, nil
}

func (s *Service) entry(ctx context.Context, jid int64) (Entry, error) {
	e, err := scanEntry(s.db.QueryRow(ctx, `SELECT `+entryCols+` FROM incident_journal j WHERE j.id = ?`, jid))
	if err != nil {
		return e, fmt.Errorf("incident: journal entry %d: %w", jid, err)
	}
	e.Revisions, err = s.revisions(ctx, jid)
	return e, err
}

func (s *Service) revisions(ctx context.Context, jid int64) ([]Revision, error) {
	rows, err := s.db.Query(ctx, `SELECT body, replaced_at, editor FROM incident_journal_revisions WHERE journal_id = ? ORDER BY id`, jid)
	if err != nil {
		return nil, fmt.Errorf("incident: revisions: %w", err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		var r Revision
		var at store.Time
		if err := rows.Scan(&r.Body, &at, &r.Editor); err != nil {
			return nil, err
		}
		r.ReplacedAt = at.Time
		out = append(out, r)
	}
	return out, rows.Err()
}

// Journal returns the incident's timeline, oldest first, with revisions.
func (s *Service) Journal(ctx context.Context, id int64) ([]Entry, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.viewed(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+entryCols+` FROM incident_journal j WHERE j.incident_id = ? ORDER BY j.id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: journal: %w", err)
	}
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	revs, err := s.allRevisions(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Revisions = revs[out[i].ID]
	}
	return out, nil
}

func (s *Service) allRevisions(ctx context.Context, id int64) (map[int64][]Revision, error) {
	rows, err := s.db.Query(ctx, `SELECT r.journal_id, r.body, r.replaced_at, r.editor FROM incident_journal_revisions r
		JOIN incident_journal j ON j.id = r.journal_id WHERE j.incident_id = ? ORDER BY r.id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: revisions: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Revision{}
	for rows.Next() {
		var jid int64
		var r Revision
		var at store.Time
		if err := rows.Scan(&jid, &r.Body, &at, &r.Editor); err != nil {
			return nil, err
		}
		r.ReplacedAt = at.Time
		out[jid] = append(out[jid], r)
	}
	return out, rows.Err()
}
