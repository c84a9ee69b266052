package intel

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/intel/warninglist"
	"bulwark/internal/store"
)

// Import formats.
const (
	FormatSTIX     = "stix"
	FormatMISP     = "misp"
	FormatMISPFeed = "misp-feed"
	FormatCSV      = "csv"
	FormatPlain    = "plain"
)

// Formats lists the import formats.
var Formats = []string{FormatSTIX, FormatMISP, FormatMISPFeed, FormatCSV, FormatPlain}

// Import job statuses.
const (
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// maxProblems bounds the problems kept in a job's report; the counts stay
// exact beyond it.
const maxProblems = 1000

// Problem is one line or object of an import that was rejected, only
// partly represented, or hit a warning list.
type Problem struct {
	Kind   string `json:"kind"` // rejected, partial, warning
	Where  string `json:"where"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// ImportJob is an import's progress and final report.
type ImportJob struct {
	ID         int64      `json:"id"`
	AgencyID   int64      `json:"agency_id"`
	UserID     int64      `json:"user_id,omitempty"`
	Format     string     `json:"format"`
	Name       string     `json:"name"`
	Status     string     `json:"status"`
	BytesTotal int64      `json:"bytes_total"`
	BytesRead  int64      `json:"bytes_read"`
	Items      int64      `json:"items"`
	Created    int64      `json:"created"`
	Merged     int64      `json:"merged"`
	Rejected   int64      `json:"rejected"`
	Warned     int64      `json:"warned"`
	Problems   []Problem  `json:"problems"`
	Error      string     `json:"error,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Percent is the share of the input read, 0-100 (0 when the size is
// unknown).
func (j ImportJob) Percent() int {
	if j.Status == StatusDone {
		return 100
	}
	if j.BytesTotal <= 0 {
		return 0
	}
	return int(min(100, j.BytesRead*100/j.BytesTotal))
}

// CSVMapping says which CSV columns hold what: 1-based numbers or header
// names. Value is required; without Type the importer's fixed type or
// detection applies.
type CSVMapping struct {
	Value       string `json:"value"`
	Type        string `json:"type,omitempty"`
	TLP         string `json:"tlp,omitempty"`
	Tags        string `json:"tags,omitempty"`
	Description string `json:"description,omitempty"`
	Confidence  string `json:"confidence,omitempty"`
	FirstSeen   string `json:"first_seen,omitempty"`
	LastSeen    string `json:"last_seen,omitempty"`
	ValidUntil  string `json:"valid_until,omitempty"`
	// Header: the first row names the columns.
	Header bool `json:"header,omitempty"`
	// Comma is the separator (",", ";", "\t"); "," when empty.
	Comma string `json:"comma,omitempty"`
}

// ParseCSVMapping reads "value=1,type=2,tags=tags,header" style mappings
// (the CLI's --map flag and the import form).
func ParseCSVMapping(s string) (CSVMapping, error) {
	var m CSVMapping
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if part == "header" {
			m.Header = true
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return m, errs.Field("mapping", "%q is not field=column", part)
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "value":
			m.Value = v
		case "type":
			m.Type = v
		case "tlp":
			m.TLP = v
		case "tags":
			m.Tags = v
		case "description":
			m.Description = v
		case "confidence":
			m.Confidence = v
		case "first_seen":
			m.FirstSeen = v
		case "last_seen":
			m.LastSeen = v
		case "valid_until":
			m.ValidUntil = v
		case "comma":
			if v == "tab" {
				v = "\t"
			}
			m.Comma = v
		default:
			return m, errs.Field("mapping", "unknown field %q", k)
		}
	}
	return m, nil
}

// ImportOptions describe an import.
type ImportOptions struct {
	Format string `json:"format"`
	// Name is shown in the job list (a file name, a URL).
	Name string `json:"name,omitempty"`
	// Source names the entries' source; the format and name when empty.
	Source string `json:"source,omitempty"`
	// TLP applies to items that carry none (AMBER when empty).
	TLP access.TLP `json:"tlp,omitempty"`
	// Type fixes the type of plain lists and of CSV files without a type
	// column; without it each value's type is detected.
	Type       string   `json:"type,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	Confidence *int     `json:"confidence,omitempty"`
	// ValidFor sets the expiry of items that carry none (0: none).
	ValidFor time.Duration `json:"valid_for,omitempty"`
	AgencyID int64         `json:"agency_id,omitempty"`
	CSV      CSVMapping    `json:"csv,omitempty"`
	// IncludeNonIDS imports MISP attributes whose to_ids is false.
	IncludeNonIDS bool `json:"include_non_ids,omitempty"`
	// Since skips MISP feed events not changed after this Unix time
	// (feed pulls pass their cursor).
	Since int64 `json:"since,omitempty"`
}

func (o *ImportOptions) check() error {
	switch o.Format {
	case FormatSTIX, FormatMISP, FormatMISPFeed, FormatCSV, FormatPlain:
	default:
		return errs.Field("format", "must be one of stix, misp, misp-feed, csv, plain")
	}
	if o.TLP == "" {
		o.TLP = access.Amber
	}
	t, err := access.ParseTLP(string(o.TLP))
	if err != nil {
		return err
	}
	o.TLP = t
	if o.Source == "" {
		o.Source = o.Format
		if o.Name != "" {
			o.Source += ":" + o.Name
		}
	}
	o.Source = truncate(o.Source, MaxSource-4)
	if len(o.Name) > 500 {
		o.Name = truncate(o.Name, 500)
	}
	if o.Format == FormatCSV && o.CSV.Value == "" {
		o.CSV.Value = "1"
	}
	if o.Confidence != nil && (*o.Confidence < 0 || *o.Confidence > 100) {
		return errs.Field("confidence", "must be from 0 to 100")
	}
	if _, err := cleanTags(o.Tags); err != nil {
		return err
	}
	return nil
}

// canImport checks the caller and resolves the owner agency.
func (s *Service) startJob(ctx context.Context, opts *ImportOptions, total int64) (*access.Principal, *ImportJob, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !access.CanShareIntel(p) {
		return nil, nil, s.deny(ctx, "import indicators", "intel_import", "")
	}
	if err := opts.check(); err != nil {
		return nil, nil, err
	}
	job := &ImportJob{Format: opts.Format, Name: opts.Name, Status: StatusRunning, BytesTotal: total, UserID: p.UserID, StartedAt: s.stamp(), Problems: []Problem{}}
	err = s.transact(ctx, func(tx *store.Tx) error {
		if job.AgencyID, err = ownerAgency(ctx, tx, p, opts.AgencyID); err != nil {
			return err
		}
		opts.AgencyID = job.AgencyID
		if err := tx.QueryRow(ctx, `INSERT INTO intel_imports (agency_id, user_id, format, name, status, bytes_total, started_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			job.AgencyID, nullID(p.UserID), job.Format, job.Name, job.Status, total, job.StartedAt).Scan(&job.ID); err != nil {
			return fmt.Errorf("intel: start import: %w", err)
		}
		return s.record(ctx, tx, "intel.import.start", "intel_import", job.ID, opts.Format+" "+opts.Name)
	})
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	s.progress[job.ID] = job
	s.mu.Unlock()
	return p, job, nil
}

// StartImport starts an import of the file at path in the background and
// returns the job at once; follow it with GetImport. The file is removed
// when the job ends if removeAfter is set (uploads spooled to disk). The
// job runs under the caller's identity but outlives the request.
func (s *Service) StartImport(ctx context.Context, path string, removeAfter bool, opts ImportOptions) (ImportJob, error) {
	var total int64
	if opts.Format != FormatMISPFeed {
		fi, err := os.Stat(path)
		if err != nil {
			return ImportJob{}, errs.Wrap(errs.Invalid, err, "cannot read the import file")
		}
		total = fi.Size()
	}
	p, job, err := s.startJob(ctx, &opts, total)
	if err != nil {
		if removeAfter {
			os.Remove(path)
		}
		return ImportJob{}, err
	}
	snapshot := *job
	jctx := access.With(s.base, p)
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		s.runJob(jctx, p, job, opts, func(imp *importer) error {
			err := imp.fromPath(jctx, path)
			// The spooled upload goes before the job is marked finished,
			// so whoever sees "done" never finds the file still there.
			if removeAfter {
				os.Remove(path)
			}
			return err
		})
	}()
	return snapshot, nil
}

// ImportReader runs an import from r in the caller's goroutine (the CLI,
// feed pulls, TAXII POST) and returns the final report. total is the size
// of r when known, for progress.
func (s *Service) ImportReader(ctx context.Context, r io.Reader, total int64, opts ImportOptions) (ImportJob, error) {
	p, job, err := s.startJob(ctx, &opts, total)
	if err != nil {
		return ImportJob{}, err
	}
	s.runJob(ctx, p, job, opts, func(imp *importer) error { return imp.fromReader(ctx, r) })
	return s.GetImport(access.With(ctx, p), job.ID)
}

// ImportFeedSource runs a MISP feed import from a folder or URL in the
// caller's goroutine.
func (s *Service) ImportMISPFeed(ctx context.Context, location string, opts ImportOptions) (ImportJob, error) {
	opts.Format = FormatMISPFeed
	p, job, err := s.startJob(ctx, &opts, 0)
	if err != nil {
		return ImportJob{}, err
	}
	s.runJob(ctx, p, job, opts, func(imp *importer) error { return imp.fromPath(ctx, location) })
	return s.GetImport(access.With(ctx, p), job.ID)
}

func (s *Service) runJob(ctx context.Context, p *access.Principal, job *ImportJob, opts ImportOptions, read func(*importer) error) {
	imp := &importer{s: s, p: p, job: job, opts: opts, set: s.wl.Load(), lastSave: time.Now()}
	stop := s.db.KeepAlive("intel_imports", job.ID, s.now)
	defer stop()
	err := read(imp)
	if err == nil {
		err = imp.flush(ctx)
	}
	now := s.stamp()
	s.mu.Lock()
	job.FinishedAt = &now
	job.Status = StatusDone
	if err != nil {
		job.Status = StatusFailed
		job.Error = truncate(errs.Message(err), 1000)
		if errs.KindOf(err) == errs.Internal {
			job.Error = truncate(err.Error(), 1000)
			s.slog.Error("intel import failed", "job", job.ID, "err", err)
		}
	}
	s.mu.Unlock()
	sctx := context.WithoutCancel(ctx)
	if err := s.saveJob(sctx, job, true); err != nil {
		s.slog.Error("intel import: save report", "job", job.ID, "err", err)
	}
	s.mu.Lock()
	delete(s.progress, job.ID)
	created, merged := job.Created, job.Merged
	s.mu.Unlock()
	if created+merged > 0 {
		s.changed()
	}
}

// saveJob writes the job's figures (and, when final, its report).
func (s *Service) saveJob(ctx context.Context, job *ImportJob, final bool) error {
	s.mu.Lock()
	j := *job
	j.Problems = append([]Problem(nil), job.Problems...)
	s.mu.Unlock()
	report, err := json.Marshal(j.Problems)
	if err != nil {
		return err
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE intel_imports SET status = ?, bytes_total = ?, bytes_read = ?, items = ?, created = ?, merged = ?, rejected = ?, warned = ?, report = ?, error = ?, finished_at = ? WHERE id = ?`,
			j.Status, j.BytesTotal, j.BytesRead, j.Items, j.Created, j.Merged, j.Rejected, j.Warned, string(report), j.Error, nullTime(j.FinishedAt), j.ID); err != nil {
			return fmt.Errorf("intel: save import %d: %w", j.ID, err)
		}
		if final {
			return s.log.Record(ctx, tx, auditEntry("intel.import."+j.Status, j.ID,
				fmt.Sprintf("%s %s: %d items, %d created, %d merged, %d rejected, %d warnings", j.Format, j.Name, j.Items, j.Created, j.Merged, j.Rejected, j.Warned)))
		}
		return nil
	})
}

// GetImport returns an import job: its live figures while it runs. The
// caller's agency's jobs, or any for admins and the system.
func (s *Service) GetImport(ctx context.Context, id int64) (ImportJob, error) {
	p, err := caller(ctx)
	if err != nil {
		return ImportJob{}, err
	}
	s.mu.Lock()
	if j, ok := s.progress[id]; ok {
		c := *j
		c.Problems = append([]Problem(nil), j.Problems...)
		s.mu.Unlock()
		if !p.System && !p.Has(access.Admin) && c.AgencyID != p.AgencyID {
			return ImportJob{}, errs.E(errs.NotFound, "no import %d", id)
		}
		return c, nil
	}
	s.mu.Unlock()
	j, err := scanJob(s.db.QueryRow(ctx, `SELECT `+jobColumns+` FROM intel_imports WHERE id = ?`, id))
	if err == nil && j.Status == StatusRunning {
		// Running, but not in this process: another server's, or left
		// by one that stopped.
		if err := s.RecoverImports(ctx); err != nil {
			return ImportJob{}, err
		}
		j, err = scanJob(s.db.QueryRow(ctx, `SELECT `+jobColumns+` FROM intel_imports WHERE id = ?`, id))
	}
	if errs.Is(err, errs.NotFound) || (err == nil && !p.System && !p.Has(access.Admin) && j.AgencyID != p.AgencyID) {
		return ImportJob{}, errs.E(errs.NotFound, "no import %d", id)
	}
	if err != nil {
		return ImportJob{}, fmt.Errorf("intel: get import %d: %w", id, err)
	}
	return j, nil
}

// Imports lists the latest 100 imports of the caller's agency (all for
// admins), without their reports.
func (s *Service) Imports(ctx context.Context) ([]ImportJob, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.RecoverImports(ctx); err != nil {
		return nil, err
	}
	q := `SELECT ` + jobColumns + ` FROM intel_imports`
	var args []any
	if !p.System && !p.Has(access.Admin) {
		q += ` WHERE agency_id = ?`
		args = append(args, p.AgencyID)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY id DESC LIMIT 100`, args...)
	if err != nil {
		return nil, fmt.Errorf("intel: list imports: %w", err)
	}
	defer rows.Close()
	out := []ImportJob{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("intel: list imports: %w", err)
		}
		s.mu.Lock()
		if live, ok := s.progress[j.ID]; ok {
			j = *live
		}
		s.mu.Unlock()
		j.Problems = nil
		out = append(out, j)
	}
	return out, rows.Err()
}

const jobColumns = `id, agency_id, COALESCE(user_id, 0), format, name, status, bytes_total, bytes_read, items, created, merged, rejected, warned, report, error, started_at, finished_at`

func scanJob(r interface{ Scan(...any) error }) (ImportJob, error) {
	var j ImportJob
	var report string
	var fin store.Time
	err := r.Scan(&j.ID, &j.AgencyID, &j.UserID, &j.Format, &j.Name, &j.Status, &j.BytesTotal, &j.BytesRead, &j.Items, &j.Created, &j.Merged, &j.Rejected, &j.Warned, &report, &j.Error, &j.StartedAt, &fin)
	if err != nil {
		return j, err
	}
	j.StartedAt = j.StartedAt.UTC()
	j.FinishedAt = timePtr(fin)
	j.Problems = []Problem{}
	if report != "" {
		_ = json.Unmarshal([]byte(report), &j.Problems)
	}
	return j, nil
}

// RecoverImports marks as failed the imports left running by a server
// that stopped: those whose heartbeat is older than store.StaleAfter, so
// the live imports of another server (or of this one, when a CLI command
// opens the database meanwhile) are left alone. It runs at start and
// before imports are read.
func (s *Service) RecoverImports(ctx context.Context) error {
	_, err := s.db.FailStale(ctx, "intel_imports", s.now(), "interrupted: the server stopped during the import")
	return err
}

// importer carries one job's state.
type importer struct {
	s        *Service
	p        *access.Principal
	job      *ImportJob
	opts     ImportOptions
	set      *warninglist.Set
	batch    []clean
	where    []string
	read     atomic.Int64
	lastSave time.Time
}

// flushSize is how many items one import transaction carries.
const flushSize = 2000

func (imp *importer) problem(kind, where, value, reason string) {
	imp.s.mu.Lock()
	defer imp.s.mu.Unlock()
	switch kind {
	case "rejected":
		imp.job.Rejected++
	case "warning":
		imp.job.Warned++
	}
	if len(imp.job.Problems) < maxProblems {
		imp.job.Problems = append(imp.job.Problems, Problem{Kind: kind, Where: where, Value: truncate(value, 200), Reason: truncate(reason, 500)})
	}
}

// add validates one item and queues it.
func (imp *importer) add(ctx context.Context, where string, in Input) error {
	imp.s.mu.Lock()
	imp.job.Items++
	imp.s.mu.Unlock()
	if in.Source == "" {
		in.Source = imp.opts.Source
	}
	in.AgencyID = imp.opts.AgencyID
	if in.Confidence == nil {
		in.Confidence = imp.opts.Confidence
	}
	in.Tags = append(in.Tags, imp.opts.Tags...)
	if in.ValidUntil == nil && imp.opts.ValidFor > 0 {
		vu := imp.s.now().Add(imp.opts.ValidFor)
		in.ValidUntil = &vu
	}
	c, err := validate(in, imp.s.now(), imp.opts.TLP)
	if err != nil {
		imp.problem("rejected", where, in.Value, errs.Message(err))
		return nil
	}
	c.agency = imp.opts.AgencyID
	if hits := imp.set.Match(string(c.typ), c.value); len(hits) > 0 {
		c.hits = hits
		names := make([]string, len(hits))
		for i, h := range hits {
			names[i] = h.List
		}
		imp.problem("warning", where, c.value, "on warning list: "+strings.Join(names, "; "))
	}
	imp.batch = append(imp.batch, c)
	imp.where = append(imp.where, where)
	if len(imp.batch) >= flushSize {
		return imp.flush(ctx)
	}
	return nil
}

func (imp *importer) flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(imp.batch) > 0 {
		var outs []Outcome
		err := imp.s.transact(ctx, func(tx *store.Tx) error {
			var err error
			outs, err = imp.s.upsert(ctx, tx, imp.batch, imp.p.UserID)
			return err
		})
		if err != nil {
			return err
		}
		imp.s.mu.Lock()
		for _, o := range outs {
			if o.Created {
				imp.job.Created++
			} else {
				imp.job.Merged++
			}
		}
		imp.s.mu.Unlock()
		imp.batch, imp.where = imp.batch[:0], imp.where[:0]
	}
	imp.s.mu.Lock()
	imp.job.BytesRead = imp.read.Load()
	imp.s.mu.Unlock()
	if time.Since(imp.lastSave) > 2*time.Second {
		imp.lastSave = time.Now()
		return imp.s.saveJob(ctx, imp.job, false)
	}
	return nil
}

// countingReader counts bytes for progress.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
