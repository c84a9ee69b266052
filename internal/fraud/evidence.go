package fraud

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// SniffEvidence decides the type of an evidence file from its first bytes
// (never from its name or the sender's Content-Type): images (PNG, JPEG,
// GIF, WebP), audio (MP3, WAV, OGG, AMR, M4A) and PDF. Anything else is
// refused with a message naming the field "evidence".
func SniffEvidence(head []byte) (string, error) {
	switch {
	case bytes.HasPrefix(head, []byte("#!AMR\n")):
		return "audio/amr", nil
	case len(head) >= 12 && string(head[4:8]) == "ftyp" && (string(head[8:12]) == "M4A " || string(head[8:12]) == "M4B "):
		return "audio/mp4", nil
	}
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
		"audio/mpeg", "audio/wave", "application/ogg", "audio/ogg":
		if ct == "application/ogg" {
			ct = "audio/ogg"
		}
		return ct, nil
	}
	return "", errs.Field("evidence", "only pictures (PNG, JPEG, GIF, WebP), recordings (MP3, WAV, OGG, AMR, M4A) and PDF files are accepted")
}

// AddEvidence stores one evidence file for the report a tracking code
// names (the reporter adding files) — see AddEvidenceByID for staff. The
// content is streamed: the first 512 bytes decide the type, the rest goes
// to the blob store, which stops reading past MaxEvidenceSize. At most
// MaxEvidenceFiles per report.
func (s *Service) AddEvidence(ctx context.Context, code, filename string, r io.Reader) (Evidence, error) {
	id, status, err := s.reportIDByCode(ctx, code)
	if err != nil {
		return Evidence{}, err
	}
	if status == ReportProcessed {
		return Evidence{}, errs.E(errs.Conflict, "this report has been processed; files can no longer be added")
	}
	return s.addEvidence(ctx, id, filename, r)
}

// AddEvidenceByID stores an evidence file on a report, for staff who may
// read the report.
func (s *Service) AddEvidenceByID(ctx context.Context, reportID int64, filename string, r io.Reader) (Evidence, error) {
	if _, err := s.GetReport(ctx, reportID); err != nil {
		return Evidence{}, err
	}
	return s.addEvidence(ctx, reportID, filename, r)
}

func (s *Service) addEvidence(ctx context.Context, reportID int64, filename string, r io.Reader) (Evidence, error) {
	if s.blobs == nil {
		return Evidence{}, errs.E(errs.Unavailable, "file storage is not configured")
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_evidence WHERE report_id = ?`, reportID).Scan(&n); err != nil {
		return Evidence{}, fmt.Errorf("fraud: count evidence: %w", err)
	}
	if n >= MaxEvidenceFiles {
		return Evidence{}, errs.Field("evidence", "at most %d files per report", MaxEvidenceFiles)
	}
	head := make([]byte, 512)
	k, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Evidence{}, fmt.Errorf("fraud: read evidence: %w", err)
	}
	if k == 0 {
		return Evidence{}, errs.Field("evidence", "the file is empty")
	}
	head = head[:k]
	ct, err := SniffEvidence(head)
	if err != nil {
		return Evidence{}, err
	}
	info, err := s.blobs.Put(ctx, io.MultiReader(bytes.NewReader(head), r), MaxEvidenceSize)
	if err != nil {
		if errs.Is(err, errs.TooLarge) {
			return Evidence{}, errs.E(errs.TooLarge, "a file may be at most %d MB", MaxEvidenceSize>>20)
		}
		return Evidence{}, fmt.Errorf("fraud: store evidence: %w", err)
	}
	ev := Evidence{ReportID: reportID, SHA256: info.SHA256, Size: info.Size, ContentType: ct, Filename: cleanFilename(filename), CreatedAt: s.stamp()}
	err = s.transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO fraud_evidence (report_id, sha256, size, content_type, filename, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, ev.ReportID, ev.SHA256, ev.Size, ev.ContentType, ev.Filename, ev.CreatedAt).Scan(&ev.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, "fraud.evidence.add", "fraud_report", reportID, ev.ContentType+" "+ev.SHA256)
	})
	if err != nil {
		return Evidence{}, fmt.Errorf("fraud: add evidence: %w", err)
	}
	return ev, nil
}

// cleanFilename keeps a short, harmless display name (the file is stored
// and served by its hash, never by this name).
func cleanFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, name)
	for len(name) > 120 || !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
		if len(name) > 120 {
			name = name[:120]
		}
	}
	if name == "." || name == "" {
		name = "file"
	}
	return name
}

func (s *Service) evidenceOf(ctx context.Context, q store.Querier, reportID int64) ([]Evidence, error) {
	rows, err := q.Query(ctx, `SELECT id, report_id, sha256, size, content_type, filename, created_at FROM fraud_evidence WHERE report_id = ? ORDER BY id`, reportID)
	if err != nil {
		return nil, fmt.Errorf("fraud: evidence: %w", err)
	}
	defer rows.Close()
	out := []Evidence{}
	for rows.Next() {
		var e Evidence
		if err := rows.Scan(&e.ID, &e.ReportID, &e.SHA256, &e.Size, &e.ContentType, &e.Filename, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("fraud: evidence: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// OpenEvidence returns an evidence file for verifiers. The caller serves
// it as an attachment with the stored (sniffed) type.
func (s *Service) OpenEvidence(ctx context.Context, id int64) (Evidence, io.ReadCloser, error) {
	if _, err := s.verifier(ctx, "fraud.evidence.read"); err != nil {
		return Evidence{}, nil, err
	}
	var e Evidence
	err := s.db.QueryRow(ctx, `SELECT id, report_id, sha256, size, content_type, filename, created_at FROM fraud_evidence WHERE id = ?`, id).
		Scan(&e.ID, &e.ReportID, &e.SHA256, &e.Size, &e.ContentType, &e.Filename, &e.CreatedAt)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Evidence{}, nil, notFound("file")
		}
		return Evidence{}, nil, fmt.Errorf("fraud: open evidence: %w", err)
	}
	if s.blobs == nil {
		return Evidence{}, nil, errs.E(errs.Unavailable, "file storage is not configured")
	}
	rc, _, err := s.blobs.Open(ctx, e.SHA256)
	if err != nil {
		return Evidence{}, nil, err
	}
	return e, rc, nil
}
