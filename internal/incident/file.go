package incident

import (
	"context"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// File is an evidence file on an incident. Its content is in the blob
// store under SHA256; it is only ever served as a download.
type File struct {
	ID          int64     `json:"id"`
	IncidentID  int64     `json:"incident_id"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Note        string    `json:"note"`
	Uploader    string    `json:"uploader"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// cleanFileName keeps the last path element of a client's file name,
// without control characters, at most MaxNameLen bytes.
func cleanFileName(name string) (string, error) {
	if len(name) > 4*MaxNameLen {
		return "", errs.Field("name", "the file name must be at most %d bytes", MaxNameLen)
	}
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(strings.TrimSpace(name))
	if !utf8.ValidString(name) {
		return "", errs.Field("name", "the file name is not valid UTF-8")
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == "/" || name == ".." {
		return "", errs.Field("name", "a file name is required")
	}
	if len(name) > MaxNameLen {
		return "", errs.Field("name", "the file name must be at most %d bytes", MaxNameLen)
	}
	return name, nil
}

// cleanContentType keeps a well-formed media type, or octet-stream.
func cleanContentType(ct string) string {
	if len(ct) > 200 {
		return "application/octet-stream"
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt == "" {
		return "application/octet-stream"
	}
	return mt
}

// AddFile streams an evidence file into the blob store (SHA-256 computed
// while streaming, refused past the configured limit with errs.TooLarge)
// and records it on the incident. Contributors may call it. Permission is
// checked before any byte is read.
func (s *Service) AddFile(ctx context.Context, id int64, name, contentType, note string, body io.Reader) (File, error) {
	name, err := cleanFileName(name)
	if err != nil {
		return File{}, err
	}
	if note, err = cleanText(text{field: "note", max: MaxShort}, note); err != nil {
		return File{}, err
	}
	p, err := caller(ctx)
	if err != nil {
		return File{}, err
	}
	inc, err := s.visible(ctx, s.db, p, id)
	if err != nil {
		return File{}, s.audited(ctx, err)
	}
	if !CanContribute(p, &inc) {
		return File{}, s.log.Denied(ctx, "add evidence to the incident", "incident", fmt.Sprint(id))
	}
	if inc.Status == StatusDuplicate {
		return File{}, errs.E(errs.Conflict, "this incident was merged into %s; add evidence there", inc.MergedIntoRef)
	}
	if s.blobs == nil {
		return File{}, errs.E(errs.Unavailable, "no file store is configured")
	}
	info, err := s.blobs.Put(ctx, body, s.cfg.MaxFileSize)
	if err != nil {
		return File{}, err
	}
	var fid int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		uid, who := actorOf(ctx)
		err := tx.QueryRow(ctx, `INSERT INTO incident_files (incident_id, sha256, size, name, content_type, note, uploaded_by, uploader, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			id, info.SHA256, info.Size, name, cleanContentType(contentType), note, nullID(uid), who, s.stamp()).Scan(&fid)
		if err != nil {
			return fmt.Errorf("incident: record file: %w", err)
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "file", name+" sha256:"+info.SHA256); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.file", id, fmt.Sprintf("file %d sha256 %s size %d", fid, info.SHA256, info.Size))
	})
	if err != nil {
		return File{}, err
	}
	return s.file(ctx, id, fid)
}

const fileCols = `id, incident_id, sha256, size, name, content_type, note, uploader, uploaded_at`

func scanFile(r scanner) (File, error) {
	var f File
	var at store.Time
	err := r.Scan(&f.ID, &f.IncidentID, &f.SHA256, &f.Size, &f.Name, &f.ContentType, &f.Note, &f.Uploader, &at)
	f.UploadedAt = at.Time
	return f, err
}

func (s *Service) file(ctx context.Context, id, fid int64) (File, error) {
	f, err := scanFile(s.db.QueryRow(ctx, `SELECT `+fileCols+` FROM incident_files WHERE id = ? AND incident_id = ?`, fid, id))
	if errs.Is(err, errs.NotFound) {
		return f, errs.Wrap(errs.NotFound, err, "no such file")
	}
	return f, err
}

// Files lists an incident's evidence files.
func (s *Service) Files(ctx context.Context, id int64) ([]File, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.viewed(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+fileCols+` FROM incident_files WHERE incident_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: files: %w", err)
	}
	defer rows.Close()
	out := []File{}
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// OpenFile opens an evidence file for download by someone who sees the
// incident; the download is audited.
func (s *Service) OpenFile(ctx context.Context, id, fid int64) (io.ReadCloser, File, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, File{}, err
	}
	if _, err := s.visible(ctx, s.db, p, id); err != nil {
		return nil, File{}, s.audited(ctx, err)
	}
	f, err := s.file(ctx, id, fid)
	if err != nil {
		return nil, f, err
	}
	if s.blobs == nil {
		return nil, f, errs.E(errs.Unavailable, "no file store is configured")
	}
	rc, _, err := s.blobs.Open(ctx, f.SHA256)
	if err != nil {
		return nil, f, err
	}
	_ = s.log.Write(ctx, auditEntry("incident.file_download", "incident", fmt.Sprint(id), fmt.Sprintf("file %d", fid)))
	return rc, f, nil
}
