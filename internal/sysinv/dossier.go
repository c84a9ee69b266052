package sysinv

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// The dossier statuses, in workflow order.
const (
	DossierDraft          = "draft"
	DossierSubmitted      = "submitted"
	DossierUnderAppraisal = "under_appraisal"
	DossierAppraised      = "appraised"
	DossierApproved       = "approved"
	DossierReturned       = "returned"
)

// DossierStatuses lists the statuses.
var DossierStatuses = []string{DossierDraft, DossierSubmitted, DossierUnderAppraisal, DossierAppraised, DossierApproved, DossierReturned}

// Step is a dossier transition a user asks for.
type Step struct {
	// Action: submit, start_appraisal, appraised, approve, return.
	Action string `json:"action"`
	// Note: the appraisal opinion, or the reasons of a return (required).
	Note string `json:"note"`
	// Decision of an approval (required when approving).
	DecisionNumber string `json:"decision_number"`
	DecisionDate   string `json:"decision_date"`
	DecisionSigner string `json:"decision_signer"`
}

// Actions lists the step actions.
var Actions = []string{"submit", "start_appraisal", "appraised", "approve", "return"}

// Event is one transition of the dossier.
type Event struct {
	ID    int64     `json:"id"`
	From  string    `json:"from"`
	To    string    `json:"to"`
	Level int       `json:"level"`
	Note  string    `json:"note"`
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
}

// Dossier is the level dossier of a system: where it stands, who appraises
// and approves at its level, the deadline of the current stage, its
// history and documents.
type Dossier struct {
	Status    string     `json:"status"`
	Level     int        `json:"level"` // the proposed level the dossier is about
	Appraiser string     `json:"appraiser"`
	Approver  string     `json:"approver"`
	Due       string     `json:"due,omitempty"`
	Overdue   bool       `json:"overdue"`
	Note      string     `json:"note,omitempty"`
	Events    []Event    `json:"events"`
	Documents []Document `json:"documents"`
	// Next lists the actions the caller may take now.
	Next []string `json:"next"`
}

// Document is a file attached to a system's dossier.
type Document struct {
	ID          int64     `json:"id"`
	SystemID    int64     `json:"system_id"`
	Kind        string    `json:"kind"`
	Name        string    `json:"name"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

func (s *Service) addEvent(ctx context.Context, tx *store.Tx, systemID int64, from, to string, level int, note string) error {
	_, err := tx.Exec(ctx, `INSERT INTO sysinv_dossier_events (system_id, from_status, to_status, level, note, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		systemID, from, to, level, note, access.From(ctx).Label(), s.stamp())
	if err != nil {
		return fmt.Errorf("sysinv: dossier event: %w", err)
	}
	return nil
}

// allowed returns the actions p may take on sys's dossier now.
func allowed(p *access.Principal, sys System) []string {
	var out []string
	lvl := sys.ProposedLevel
	edit := access.CanEditSystem(p, sys.OwnerAgencyID)
	appraise := access.CanAppraiseLevel(p, sys.OwnerAgencyID, lvl)
	approve := access.CanApproveLevel(p, sys.OwnerAgencyID, lvl)
	switch sys.DossierStatus {
	case DossierDraft, DossierReturned:
		if edit && lvl > 0 {
			out = append(out, "submit")
		}
	case DossierSubmitted:
		if appraise {
			out = append(out, "start_appraisal", "return")
		}
	case DossierUnderAppraisal:
		if appraise {
			out = append(out, "appraised", "return")
		}
	case DossierAppraised:
		if approve {
			out = append(out, "approve", "return")
		}
	}
	return out
}

// GetDossier returns the dossier of a system the caller may read.
func (s *Service) GetDossier(ctx context.Context, systemID int64) (Dossier, error) {
	sys, err := s.GetSystem(ctx, systemID)
	if err != nil {
		return Dossier{}, err
	}
	d := Dossier{Status: sys.DossierStatus, Level: sys.ProposedLevel, Due: sys.DossierDue, Note: sys.DossierNote,
		Next: allowed(access.From(ctx), sys)}
	d.Appraiser, d.Approver = Bodies(sys.ProposedLevel)
	if due, ok := parseDate(sys.DossierDue); ok && due.Before(s.today()) &&
		(d.Status == DossierUnderAppraisal || d.Status == DossierAppraised) {
		d.Overdue = true
	}
	rows, err := s.db.Query(ctx, `SELECT id, from_status, to_status, level, note, actor, at FROM sysinv_dossier_events WHERE system_id = ? ORDER BY id`, systemID)
	if err != nil {
		return Dossier{}, fmt.Errorf("sysinv: dossier events: %w", store.Translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		var at store.Time
		if err := rows.Scan(&e.ID, &e.From, &e.To, &e.Level, &e.Note, &e.Actor, &at); err != nil {
			return Dossier{}, fmt.Errorf("sysinv: scan event: %w", store.Translate(err))
		}
		e.At = at.Time
		d.Events = append(d.Events, e)
	}
	if err := rows.Err(); err != nil {
		return Dossier{}, store.Translate(err)
	}
	d.Documents, err = s.documents(ctx, systemID)
	return d, err
}

// Advance moves the dossier one step. Deadlines: starting the appraisal
// sets its due date (Rules.AppraisalDays by level); the appraisal's result
// sets the approval's due date (Rules.ApprovalWorkingDays working days).
// Approving records the decision and makes the proposed level the approved
// one. A return needs reasons and goes back to the owner, who may submit
// again. Refused steps are Forbidden (audited); steps that do not fit the
// status are Conflict.
func (s *Service) Advance(ctx context.Context, systemID int64, st Step) (Dossier, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Dossier{}, err
	}
	st.Note = strings.TrimSpace(st.Note)
	if err := checkLen("note", st.Note, 4000); err != nil {
		return Dossier{}, err
	}
	if err := oneOf("action", st.Action, Actions); err != nil {
		return Dossier{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		sys, err := getSystem(ctx, tx, systemID)
		if err != nil {
			return err
		}
		if !access.CanReadSystem(p, sys.OwnerAgencyID) {
			return errs.E(errs.NotFound, "system %d not found", systemID)
		}
		next := allowed(p, sys)
		ok := false
		for _, a := range next {
			ok = ok || a == st.Action
		}
		if !ok {
			if len(next) == 0 && !canActAtAll(p, sys) {
				return errs.E(errs.Forbidden, "you may not %s this dossier", st.Action)
			}
			if st.Action == "submit" && sys.ProposedLevel == 0 {
				return errs.Field("proposed_level", "propose a level before submitting the dossier")
			}
			return errs.E(errs.Conflict, "a dossier that is %s cannot take the step %q", sys.DossierStatus, st.Action)
		}
		lvl := sys.ProposedLevel
		to, due, note := "", "", st.Note
		today := s.today()
		switch st.Action {
		case "submit":
			to = DossierSubmitted
		case "start_appraisal":
			to = DossierUnderAppraisal
			due = today.AddDate(0, 0, s.cfg.Rules.AppraisalDays[strconv.Itoa(lvl)]).Format(time.DateOnly)
		case "appraised":
			to = DossierAppraised
			due = s.cfg.Rules.AddWorkingDays(today, s.cfg.Rules.ApprovalWorkingDays).Format(time.DateOnly)
		case "return":
			if note == "" {
				return errs.Field("note", "give the reasons for returning the dossier")
			}
			to = DossierReturned
		case "approve":
			st.DecisionNumber, st.DecisionSigner = strings.TrimSpace(st.DecisionNumber), strings.TrimSpace(st.DecisionSigner)
			if st.DecisionNumber == "" {
				return errs.Field("decision_number", "is required to approve")
			}
			if st.DecisionSigner == "" {
				return errs.Field("decision_signer", "is required to approve")
			}
			if st.DecisionDate == "" {
				st.DecisionDate = today.Format(time.DateOnly)
			}
			if err := checkDate("decision_date", st.DecisionDate); err != nil {
				return err
			}
			if err := checkLen("decision_number", st.DecisionNumber, 100); err != nil {
				return err
			}
			if err := checkLen("decision_signer", st.DecisionSigner, 200); err != nil {
				return err
			}
			to = DossierApproved
			if _, err := tx.Exec(ctx, `UPDATE sysinv_systems SET approved_level = proposed_level, approval_number = ?, approval_date = ?, approval_signer = ? WHERE id = ?`,
				st.DecisionNumber, st.DecisionDate, st.DecisionSigner, systemID); err != nil {
				return fmt.Errorf("sysinv: approve: %w", err)
			}
			if note == "" {
				note = fmt.Sprintf("decision %s of %s, signed by %s", st.DecisionNumber, st.DecisionDate, st.DecisionSigner)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE sysinv_systems SET dossier_status = ?, dossier_due = ?, dossier_note = ?, updated_at = ? WHERE id = ?`,
			to, due, note, s.stamp(), systemID); err != nil {
			return fmt.Errorf("sysinv: dossier step: %w", err)
		}
		if err := s.addEvent(ctx, tx, systemID, sys.DossierStatus, to, lvl, note); err != nil {
			return err
		}
		return s.record(ctx, tx, "system.dossier."+st.Action, "system", systemID, fmt.Sprintf("level %d: %s -> %s", lvl, sys.DossierStatus, to))
	})
	if errs.Is(err, errs.Forbidden) {
		return Dossier{}, s.deny(ctx, st.Action+" the level dossier", systemID)
	}
	if err != nil {
		return Dossier{}, err
	}
	return s.GetDossier(ctx, systemID)
}

// canActAtAll reports whether p has any role in sys's dossier, so that a
// step out of order is a Conflict for them and Forbidden for others.
func canActAtAll(p *access.Principal, sys System) bool {
	return access.CanEditSystem(p, sys.OwnerAgencyID) || access.CanAppraiseLevel(p, sys.OwnerAgencyID, sys.ProposedLevel) ||
		access.CanApproveLevel(p, sys.OwnerAgencyID, sys.ProposedLevel)
}

// AttachDocument stores a file (at most MaxDocumentSize bytes) in the blob
// store and attaches it to the system's dossier. The caller must be able
// to edit the system or act on its dossier.
func (s *Service) AttachDocument(ctx context.Context, systemID int64, kind, name, contentType string, r io.Reader) (Document, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Document{}, err
	}
	if s.blobs == nil {
		return Document{}, errs.E(errs.Unavailable, "no file store is configured")
	}
	if kind == "" {
		kind = "dossier"
	}
	if err := oneOf("kind", kind, DocumentKinds); err != nil {
		return Document{}, err
	}
	name = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(name, "\\", "/"), "\x00", ""))
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return Document{}, errs.Field("file", "the file needs a name")
	}
	if err := checkLen("file", name, 255); err != nil {
		return Document{}, err
	}
	sys, err := s.GetSystem(ctx, systemID)
	if err != nil {
		return Document{}, err
	}
	if !canActAtAll(p, sys) {
		return Document{}, s.deny(ctx, "attach documents to this dossier", systemID)
	}
	info, err := s.blobs.Put(ctx, r, s.cfg.MaxDocumentSize)
	if err != nil {
		if errs.Is(err, errs.TooLarge) {
			return Document{}, errs.Field("file", "is larger than %d bytes", s.cfg.MaxDocumentSize)
		}
		return Document{}, fmt.Errorf("sysinv: store document: %w", err)
	}
	if len(contentType) > 100 {
		contentType = ""
	}
	var d Document
	err = s.transact(ctx, func(tx *store.Tx) error {
		now := s.stamp()
		if err := tx.QueryRow(ctx, `INSERT INTO sysinv_documents (system_id, kind, name, sha256, size, content_type, uploaded_by, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, systemID, kind, name, info.SHA256, info.Size, contentType, p.Label(), now).Scan(&d.ID); err != nil {
			return fmt.Errorf("sysinv: attach document: %w", err)
		}
		d = Document{ID: d.ID, SystemID: systemID, Kind: kind, Name: name, SHA256: info.SHA256, Size: info.Size, ContentType: contentType, UploadedBy: p.Label(), UploadedAt: now}
		return s.record(ctx, tx, "system.document.attach", "system", systemID, name)
	})
	return d, err
}

func (s *Service) documents(ctx context.Context, systemID int64) ([]Document, error) {
	rows, err := s.db.Query(ctx, `SELECT id, system_id, kind, name, sha256, size, content_type, uploaded_by, uploaded_at FROM sysinv_documents WHERE system_id = ? ORDER BY id`, systemID)
	if err != nil {
		return nil, fmt.Errorf("sysinv: documents: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		var at store.Time
		if err := rows.Scan(&d.ID, &d.SystemID, &d.Kind, &d.Name, &d.SHA256, &d.Size, &d.ContentType, &d.UploadedBy, &at); err != nil {
			return nil, fmt.Errorf("sysinv: scan document: %w", store.Translate(err))
		}
		d.UploadedAt = at.Time
		out = append(out, d)
	}
	return out, store.Translate(rows.Err())
}

// OpenDocument returns a document's content for a caller who may read the
// system. The caller closes the reader.
func (s *Service) OpenDocument(ctx context.Context, systemID, docID int64) (Document, io.ReadCloser, error) {
	if _, err := s.GetSystem(ctx, systemID); err != nil {
		return Document{}, nil, err
	}
	if s.blobs == nil {
		return Document{}, nil, errs.E(errs.Unavailable, "no file store is configured")
	}
	docs, err := s.documents(ctx, systemID)
	if err != nil {
		return Document{}, nil, err
	}
	for _, d := range docs {
		if d.ID == docID {
			rc, _, err := s.blobs.Open(ctx, d.SHA256)
			if err != nil {
				return Document{}, nil, fmt.Errorf("sysinv: open document %d: %w", docID, err)
			}
			return d, rc, nil
		}
	}
	return Document{}, nil, errs.E(errs.NotFound, "document %d not found", docID)
}
