package sysinv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/notify"
	"bulwark/internal/store"
	"bulwark/internal/sysinv/cpe"
	"bulwark/internal/sysinv/feed"
)

// FeedRun is the report of one catalogue import.
type FeedRun struct {
	ID             int64          `json:"id"`
	Kind           string         `json:"kind"` // nvd or kev
	Source         string         `json:"source"`
	Status         string         `json:"status"` // running, done, failed
	CatalogVersion string         `json:"catalog_version,omitempty"`
	Records        int            `json:"records"`
	Added          int            `json:"added"`
	Updated        int            `json:"updated"`
	Unchanged      int            `json:"unchanged"`
	Skipped        int            `json:"skipped"`
	ProblemCount   int            `json:"problem_count"`
	Problems       []feed.Problem `json:"problems,omitempty"`
	FindingsNew    int            `json:"findings_new"`
	Bytes          int64          `json:"bytes"`
	BytesTotal     int64          `json:"bytes_total,omitempty"` // size of the file of a background import
	BytesRead      int64          `json:"bytes_read,omitempty"`  // how much of it has been read
	Error          string         `json:"error,omitempty"`
	Actor          string         `json:"actor"`
	StartedAt      time.Time      `json:"started_at"`
	FinishedAt     *time.Time     `json:"finished_at,omitempty"`
}

// importBatch is how many records one transaction writes; the run's row
// is updated after each, which is the progress others see.
const importBatch = 500

// ImportFeed imports an NVD CVE JSON 2.0 or CISA KEV file from r (kind
// "nvd", "kev" or "" to detect). The import is incremental: an NVD record
// whose lastModified is not newer than the stored one is left alone
// ("unchanged"), a KEV entry already flagged with the same data likewise.
// Bad records are reported in the run, not fatal. After the import every
// component is matched again; new findings get their due dates and the
// owners are notified. The run is returned even when the file broke off
// (Status "failed", Error set) — what was read before stays imported.
// Only province coordinators and admins may import.
func (s *Service) ImportFeed(ctx context.Context, kind, source string, r io.Reader) (FeedRun, error) {
	run, err := s.beginRun(ctx, kind, source, 0)
	if err != nil {
		return FeedRun{}, err
	}
	return s.importRun(ctx, run, kind, r, nil, nil)
}

// StartImportFile imports the catalogue file at path in the background, as
// ImportFeed does, and returns the run at once; follow it with GetFeedRun
// (records and bytes read are updated after every batch). The file is
// removed when the import ends if removeAfter is set (uploads spooled to
// disk), before the run is marked finished.
func (s *Service) StartImportFile(ctx context.Context, kind, source, path string, removeAfter bool) (FeedRun, error) {
	cleanup := func() {
		if removeAfter {
			os.Remove(path)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		cleanup()
		return FeedRun{}, errs.Wrap(errs.Invalid, err, "cannot read the feed file")
	}
	run, err := s.beginRun(ctx, kind, source, fi.Size())
	if err != nil {
		cleanup()
		return FeedRun{}, err
	}
	p, _ := access.Require(ctx)
	jctx := access.With(s.base, p)
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		f, err := os.Open(path)
		if err != nil {
			cleanup()
			s.failRun(run.ID, "cannot read the feed file")
			return
		}
		cr := &readCounter{r: f}
		_, err = s.importRun(jctx, run, kind, cr, cr, func() {
			f.Close()
			cleanup()
		})
		if err != nil {
			s.slog.Error("vulnerability feed import failed", "run", run.ID, "err", err)
			s.failRun(run.ID, "the import stopped: "+clip(err.Error(), 900))
		}
	}()
	return run, nil
}

// readCounter counts the bytes read from a file, for progress.
type readCounter struct {
	r io.Reader
	n int64
}

func (c *readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// failRun marks a background run that could not finish.
func (s *Service) failRun(id int64, msg string) {
	ctx := context.Background()
	if _, err := s.db.Exec(ctx, `UPDATE sysinv_feed_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running'`,
		msg, s.stamp(), id); err != nil {
		s.slog.Error("vulnerability feed import: mark failed", "run", id, "err", err)
	}
}

// beginRun checks the caller and the kind and records a running import.
func (s *Service) beginRun(ctx context.Context, kind, source string, total int64) (FeedRun, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return FeedRun{}, err
	}
	if !access.CanImportVulnFeeds(p) {
		return FeedRun{}, s.log.Denied(ctx, "import vulnerability feeds", "vuln_feed", "")
	}
	switch feed.Kind(kind) {
	case "", feed.NVD, feed.KEV:
	default:
		return FeedRun{}, errs.Field("kind", "must be nvd, kev or empty (detect)")
	}
	source = clip(strings.TrimSpace(source), 500)
	run := FeedRun{Kind: kind, Source: source, Status: "running", Actor: p.Label(), StartedAt: s.stamp(), BytesTotal: total}
	if run.Kind == "" {
		run.Kind = "detect"
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO sysinv_feed_runs (kind, source, status, actor, started_at, bytes_total) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			run.Kind, run.Source, run.Status, run.Actor, run.StartedAt, total).Scan(&run.ID); err != nil {
			return fmt.Errorf("sysinv: start feed run: %w", err)
		}
		return s.record(ctx, tx, "vuln_feed.import", "vuln_feed", run.ID, source)
	})
	if err != nil {
		return FeedRun{}, err
	}
	return run, nil
}

// importRun reads the catalogue into the run begun by beginRun. progress,
// when set, counts the bytes read for the per-batch update; beforeFinish,
// when set, runs before the run is marked finished.
func (s *Service) importRun(ctx context.Context, run FeedRun, kind string, r io.Reader, progress *readCounter, beforeFinish func()) (FeedRun, error) {
	stop := s.db.KeepAlive("sysinv_feed_runs", run.ID, s.now)
	defer stop()
	var cves []feed.CVE
	var kevs []feed.KEVEntry
	flush := func() error {
		if len(cves) == 0 && len(kevs) == 0 {
			return nil
		}
		err := s.transact(ctx, func(tx *store.Tx) error {
			for _, c := range cves {
				if err := s.upsertCVE(ctx, tx, c, &run); err != nil {
					return err
				}
			}
			for _, k := range kevs {
				if err := s.upsertKEV(ctx, tx, k, &run); err != nil {
					return err
				}
			}
			if progress != nil {
				run.BytesRead = progress.n
			}
			_, err := tx.Exec(ctx, `UPDATE sysinv_feed_runs SET records = ?, added = ?, updated = ?, unchanged = ?, bytes_read = ? WHERE id = ?`,
				run.Records+len(cves)+len(kevs), run.Added, run.Updated, run.Unchanged, run.BytesRead, run.ID)
			return err
		})
		run.Records += len(cves) + len(kevs)
		cves, kevs = cves[:0], kevs[:0]
		return err
	}
	max := s.cfg.MaxFeedSize
	info, readErr := feed.Read(r, feed.Kind(kind), max, feed.Handler{
		CVE: func(c feed.CVE) error {
			cves = append(cves, c)
			if len(cves) >= importBatch {
				return flush()
			}
			return nil
		},
		KEV: func(k feed.KEVEntry) error {
			kevs = append(kevs, k)
			if len(kevs) >= importBatch {
				return flush()
			}
			return nil
		},
	})
	if readErr == nil {
		readErr = flush()
	} else if ferr := flush(); ferr != nil {
		readErr = errors.Join(readErr, ferr)
	}
	if info.Kind != "" {
		run.Kind = string(info.Kind)
	}
	run.CatalogVersion, run.Skipped, run.ProblemCount, run.Problems, run.Bytes = info.CatalogVersion, info.Skipped, info.ProblemCount, info.Problems, info.Bytes
	run.Status = "done"
	if readErr != nil {
		run.Status = "failed"
		run.Error = clip(readErr.Error(), 1000)
		if errors.Is(readErr, feed.ErrTooLarge) {
			run.Error = fmt.Sprintf("the file is larger than the limit of %d bytes", s.maxFeed())
		}
	}
	if progress != nil {
		run.BytesRead = progress.n
	}
	if beforeFinish != nil {
		beforeFinish()
	}
	// Match again even after a failure: what was imported counts. A
	// background import stopped by Close still records its end.
	ctx = context.WithoutCancel(ctx)
	var newFindings []newFinding
	err := s.transact(ctx, func(tx *store.Tx) error {
		var err error
		newFindings, err = s.matchComponents(ctx, tx, 0, 0)
		if err != nil {
			return err
		}
		run.FindingsNew = len(newFindings)
		if err := s.notifyFindings(ctx, tx, newFindings); err != nil {
			return err
		}
		problems, _ := json.Marshal(run.Problems)
		now := s.stamp()
		run.FinishedAt = &now
		_, err = tx.Exec(ctx, `UPDATE sysinv_feed_runs SET kind = ?, status = ?, catalog_version = ?, records = ?, added = ?, updated = ?, unchanged = ?,
			skipped = ?, problem_count = ?, problems = ?, findings_new = ?, bytes = ?, bytes_read = ?, error = ?, finished_at = ? WHERE id = ?`,
			run.Kind, run.Status, run.CatalogVersion, run.Records, run.Added, run.Updated, run.Unchanged, run.Skipped, run.ProblemCount,
			string(problems), run.FindingsNew, run.Bytes, run.BytesRead, run.Error, now, run.ID)
		if err != nil {
			return fmt.Errorf("sysinv: finish feed run: %w", err)
		}
		return nil
	})
	if err != nil {
		return run, err
	}
	s.slog.Info("vulnerability feed imported", "run", run.ID, "kind", run.Kind, "records", run.Records, "added", run.Added,
		"updated", run.Updated, "problems", run.ProblemCount, "findings_new", run.FindingsNew, "status", run.Status)
	return run, nil
}

func (s *Service) maxFeed() int64 {
	if s.cfg.MaxFeedSize > 0 {
		return s.cfg.MaxFeedSize
	}
	return feed.DefaultMaxSize
}

// ImportFeedURL fetches a catalogue over HTTP(S) and imports it as
// ImportFeed does. Only http and https URLs are accepted.
func (s *Service) ImportFeedURL(ctx context.Context, kind, rawURL string) (FeedRun, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return FeedRun{}, err
	}
	if !access.CanImportVulnFeeds(p) {
		return FeedRun{}, s.log.Denied(ctx, "import vulnerability feeds", "vuln_feed", "")
	}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(rawURL) > 2000 {
		return FeedRun{}, errs.Field("url", "must be an http or https URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return FeedRun{}, errs.Field("url", "must be an http or https URL")
	}
	req.Header.Set("User-Agent", "bulwark-sysinv")
	resp, err := s.http.Do(req)
	if err != nil {
		return FeedRun{}, errs.Wrap(errs.Unavailable, err, "the feed could not be fetched")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return FeedRun{}, errs.E(errs.Unavailable, "the feed server answered %s", resp.Status)
	}
	return s.ImportFeed(ctx, kind, u.Redacted(), resp.Body)
}

func (s *Service) upsertCVE(ctx context.Context, tx *store.Tx, c feed.CVE, run *FeedRun) error {
	lm := c.LastModified.Format("2006-01-02T15:04:05.000")
	var cur string
	var inNVD bool
	err := tx.QueryRow(ctx, `SELECT last_modified, in_nvd FROM sysinv_vulns WHERE cve_id = ?`, c.ID).Scan(&cur, &inNVD)
	exists := err == nil
	if err != nil && !errs.Is(err, errs.NotFound) {
		return fmt.Errorf("sysinv: read %s: %w", c.ID, err)
	}
	if exists && inNVD && cur >= lm {
		run.Unchanged++
		return nil
	}
	confs, err := json.Marshal(c.Configurations)
	if err != nil {
		return fmt.Errorf("sysinv: encode %s: %w", c.ID, err)
	}
	pub := ""
	if !c.Published.IsZero() {
		pub = c.Published.Format(time.DateOnly)
	}
	now := s.stamp()
	if exists {
		run.Updated++
		// The NVD's own KEV dates count; the CISA catalogue import may have set them already.
		_, err = tx.Exec(ctx, `UPDATE sysinv_vulns SET published = ?, last_modified = ?, status = ?, description = ?, cvss = ?, severity = ?,
			vector = ?, cvss_version = ?, configurations = ?, in_nvd = TRUE,
			kev = (kev OR ?), kev_added = CASE WHEN kev_added = '' THEN ? ELSE kev_added END,
			kev_due = CASE WHEN kev_due = '' THEN ? ELSE kev_due END, updated_at = ? WHERE cve_id = ?`,
			pub, lm, c.Status, c.Description, c.CVSS, c.Severity, c.Vector, c.CVSSVersion, string(confs), c.KEVAdded != "", c.KEVAdded, c.KEVDue, now, c.ID)
	} else {
		run.Added++
		_, err = tx.Exec(ctx, `INSERT INTO sysinv_vulns (cve_id, published, last_modified, status, description, cvss, severity, vector, cvss_version,
			configurations, in_nvd, kev, kev_added, kev_due, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?, ?, ?)`,
			c.ID, pub, lm, c.Status, c.Description, c.CVSS, c.Severity, c.Vector, c.CVSSVersion, string(confs), c.KEVAdded != "", c.KEVAdded, c.KEVDue, now)
	}
	if err != nil {
		return fmt.Errorf("sysinv: store %s: %w", c.ID, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sysinv_vuln_products WHERE cve_id = ?`, c.ID); err != nil {
		return fmt.Errorf("sysinv: clear products of %s: %w", c.ID, err)
	}
	seen := map[[2]string]bool{}
	for _, conf := range c.Configurations {
		for _, n := range conf.Nodes {
			for _, m := range n.Matches {
				if !m.Vulnerable {
					continue
				}
				name, err := cpe.Parse(m.Criteria)
				if err != nil {
					continue
				}
				k := [2]string{name.Vendor, name.Product}
				if seen[k] {
					continue
				}
				seen[k] = true
				if _, err := tx.Exec(ctx, `INSERT INTO sysinv_vuln_products (cve_id, vendor, product) VALUES (?, ?, ?)`, c.ID, k[0], k[1]); err != nil {
					return fmt.Errorf("sysinv: index %s: %w", c.ID, err)
				}
			}
		}
	}
	return nil
}

func (s *Service) upsertKEV(ctx context.Context, tx *store.Tx, k feed.KEVEntry, run *FeedRun) error {
	var kev bool
	var added, due, name string
	err := tx.QueryRow(ctx, `SELECT kev, kev_added, kev_due, kev_name FROM sysinv_vulns WHERE cve_id = ?`, k.CVEID).Scan(&kev, &added, &due, &name)
	now := s.stamp()
	switch {
	case errs.Is(err, errs.NotFound):
		run.Added++
		_, err = tx.Exec(ctx, `INSERT INTO sysinv_vulns (cve_id, description, kev, kev_added, kev_due, kev_vendor, kev_product, kev_name, kev_action,
			kev_ransomware, updated_at) VALUES (?, ?, TRUE, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.CVEID, k.Description, k.DateAdded, k.DueDate, k.Vendor, k.Product, k.Name, k.RequiredAction, k.Ransomware, now)
	case err != nil:
		return fmt.Errorf("sysinv: read %s: %w", k.CVEID, err)
	case kev && added == k.DateAdded && due == k.DueDate && name == k.Name:
		run.Unchanged++
		return nil
	default:
		run.Updated++
		_, err = tx.Exec(ctx, `UPDATE sysinv_vulns SET kev = TRUE, kev_added = ?, kev_due = ?, kev_vendor = ?, kev_product = ?, kev_name = ?,
			kev_action = ?, kev_ransomware = ?, description = CASE WHEN description = '' THEN ? ELSE description END, updated_at = ? WHERE cve_id = ?`,
			k.DateAdded, k.DueDate, k.Vendor, k.Product, k.Name, k.RequiredAction, k.Ransomware, k.Description, now, k.CVEID)
	}
	if err != nil {
		return fmt.Errorf("sysinv: store KEV %s: %w", k.CVEID, err)
	}
	return nil
}

type newFinding struct {
	SystemID int64
	CVE      string
	KEV      bool
	Due      string
}

type compRow struct {
	Component
	level int
}

// matchComponents matches components against the catalogue and writes
// findings: new matches become open findings with a due date from the
// rules; a newly known-exploited flag shortens an open finding's due
// date; an open or mitigated finding that no longer matches (the software
// was upgraded) is marked fixed. systemID and componentID narrow the run
// (0: all). It returns the new findings.
func (s *Service) matchComponents(ctx context.Context, tx *store.Tx, systemID, componentID int64) ([]newFinding, error) {
	where, args := "1=1", []any{}
	if componentID != 0 {
		where, args = "c.id = ?", []any{componentID}
	} else if systemID != 0 {
		where, args = "c.system_id = ?", []any{systemID}
	}
	rows, err := tx.Query(ctx, `SELECT c.id, c.system_id, c.name, c.kind, c.level, c.ips, c.domains, c.ports, c.os, c.os_version, c.os_cpe,
		c.software, c.software_version, c.cpe, c.notes, c.created_at, c.updated_at,
		CASE WHEN s.approved_level > 0 THEN s.approved_level ELSE s.proposed_level END
		FROM sysinv_components c JOIN sysinv_systems s ON s.id = c.system_id WHERE s.status <> 'retired' AND `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("sysinv: match: %w", store.Translate(err))
	}
	var comps []compRow
	for rows.Next() {
		var c compRow
		var ips, domains, ports string
		var created, updated store.Time
		if err := rows.Scan(&c.ID, &c.SystemID, &c.Name, &c.Kind, &c.Component.Level, &ips, &domains, &ports, &c.OS, &c.OSVersion, &c.OSCPE,
			&c.Software, &c.SoftwareVersion, &c.CPE, &c.Notes, &created, &updated, &c.level); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sysinv: scan component: %w", store.Translate(err))
		}
		comps = append(comps, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, store.Translate(err)
	}
	var created []newFinding
	today := s.today()
	for _, c := range comps {
		t := target{}
		for _, raw := range []string{c.CPE, c.OSCPE} {
			if n, err := cpe.Parse(raw); err == nil {
				t.names = append(t.names, n)
			}
		}
		if c.CPE == "" && c.Software != "" {
			t.weak = append(t.weak, weakName{part: "a", product: cpe.ProductKey(c.Software), version: strings.TrimSpace(c.SoftwareVersion)})
		}
		if c.OSCPE == "" && c.OS != "" {
			if w, ok := weakOS(c.OS, c.OSVersion); ok {
				t.weak = append(t.weak, w)
			}
		}
		cands, err := candidates(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		matched := map[string]bool{}
		for _, v := range cands {
			m, ok := evaluate(v.confs, t)
			if !ok {
				continue
			}
			matched[v.id] = true
			nf, err := s.upsertFinding(ctx, tx, c, v, m, today)
			if err != nil {
				return nil, err
			}
			if nf != nil {
				created = append(created, *nf)
			}
		}
		// Findings that no longer match were fixed by an upgrade.
		frows, err := tx.Query(ctx, `SELECT id, cve_id FROM sysinv_findings WHERE component_id = ? AND status IN ('open', 'mitigated')`, c.ID)
		if err != nil {
			return nil, fmt.Errorf("sysinv: read findings: %w", store.Translate(err))
		}
		var gone []int64
		for frows.Next() {
			var id int64
			var cve string
			if err := frows.Scan(&id, &cve); err != nil {
				frows.Close()
				return nil, store.Translate(err)
			}
			if !matched[cve] {
				gone = append(gone, id)
			}
		}
		frows.Close()
		for _, id := range gone {
			if _, err := tx.Exec(ctx, `UPDATE sysinv_findings SET status = 'fixed', reason = 'the component no longer matches (software changed)',
				resolved_at = ?, updated_at = ? WHERE id = ?`, s.stamp(), s.stamp(), id); err != nil {
				return nil, fmt.Errorf("sysinv: close finding %d: %w", id, err)
			}
		}
	}
	return created, nil
}

type vulnRow struct {
	id    string
	cvss  float64
	kev   bool
	confs []feed.Configuration
}

// candidates returns the CVEs naming the component's vendor and product
// (strong) or its product name (weak).
func candidates(ctx context.Context, tx *store.Tx, t target) ([]vulnRow, error) {
	var conds []string
	var args []any
	for _, n := range t.names {
		conds = append(conds, "(p.vendor = ? AND p.product = ?)")
		args = append(args, n.Vendor, n.Product)
	}
	for _, w := range t.weak {
		conds = append(conds, "p.product = ?", "p.vendor || '_' || p.product = ?")
		args = append(args, w.product, w.product)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT v.cve_id, v.cvss, v.kev, v.configurations FROM sysinv_vulns v WHERE v.cve_id IN
		(SELECT p.cve_id FROM sysinv_vuln_products p WHERE `+strings.Join(conds, " OR ")+`) ORDER BY v.cve_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sysinv: candidates: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []vulnRow
	for rows.Next() {
		var v vulnRow
		var confs string
		if err := rows.Scan(&v.id, &v.cvss, &v.kev, &confs); err != nil {
			return nil, fmt.Errorf("sysinv: scan candidate: %w", store.Translate(err))
		}
		if confs != "" {
			if err := json.Unmarshal([]byte(confs), &v.confs); err != nil {
				continue // stored by us; a bad row is skipped rather than blocking every match
			}
		}
		out = append(out, v)
	}
	return out, store.Translate(rows.Err())
}

func (s *Service) upsertFinding(ctx context.Context, tx *store.Tx, c compRow, v vulnRow, m match, today time.Time) (*newFinding, error) {
	var id int64
	var status, due string
	var kev bool
	err := tx.QueryRow(ctx, `SELECT id, status, due_on, kev FROM sysinv_findings WHERE component_id = ? AND cve_id = ?`, c.ID, v.id).Scan(&id, &status, &due, &kev)
	now := s.stamp()
	newDue := today.AddDate(0, 0, s.cfg.Rules.FindingDays(v.cvss, v.kev, c.level)).Format(time.DateOnly)
	switch {
	case errs.Is(err, errs.NotFound):
		if _, err := tx.Exec(ctx, `INSERT INTO sysinv_findings (system_id, component_id, cve_id, strength, matched, cvss, kev, status, due_on, first_seen, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)`, c.SystemID, c.ID, v.id, m.strength, clip(m.detail, 500), v.cvss, v.kev, newDue, now, now); err != nil {
			return nil, fmt.Errorf("sysinv: add finding: %w", err)
		}
		return &newFinding{SystemID: c.SystemID, CVE: v.id, KEV: v.kev, Due: newDue}, nil
	case err != nil:
		return nil, fmt.Errorf("sysinv: read finding: %w", err)
	}
	if status == "open" && v.kev && !kev && newDue < due {
		due = newDue
	}
	if _, err := tx.Exec(ctx, `UPDATE sysinv_findings SET strength = ?, matched = ?, cvss = ?, kev = ?, due_on = ?, updated_at = ? WHERE id = ?`,
		m.strength, clip(m.detail, 500), v.cvss, v.kev, due, now, id); err != nil {
		return nil, fmt.Errorf("sysinv: update finding: %w", err)
	}
	return nil, nil
}

// notifyFindings queues one e-mail per system with new findings to the
// owner agency's coordinators and analysts. The message names the system
// and the CVEs only.
func (s *Service) notifyFindings(ctx context.Context, tx *store.Tx, nf []newFinding) error {
	if s.notifier == nil || len(nf) == 0 {
		return nil
	}
	by := map[int64][]newFinding{}
	var ids []int64
	for _, f := range nf {
		if _, ok := by[f.SystemID]; !ok {
			ids = append(ids, f.SystemID)
		}
		by[f.SystemID] = append(by[f.SystemID], f)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		sys, err := getSystem(ctx, tx, id)
		if err != nil {
			return err
		}
		emails, err := ownerEmails(ctx, tx, sys.OwnerAgencyID)
		if err != nil {
			return err
		}
		var lines []string
		kev := 0
		for _, f := range by[id] {
			flag := ""
			if f.KEV {
				flag = " [KEV]"
				kev++
			}
			lines = append(lines, fmt.Sprintf("- %s%s, hạn xử lý / due %s", f.CVE, flag, f.Due))
		}
		text := fmt.Sprintf("Hệ thống \"%s\" (cấp độ %d) có %d lỗ hổng mới được phát hiện:\nSystem \"%s\" (level %d) has %d new vulnerability findings:\n\n%s\n\n%s/systems/%d",
			sys.Name, sys.Level, len(by[id]), sys.Name, sys.Level, len(by[id]), strings.Join(lines, "\n"), strings.TrimRight(s.cfg.BaseURL, "/"), id)
		if err := s.notifier.Enqueue(ctx, tx, notify.Message{Event: "system.finding.new", Emails: emails,
			Subject: fmt.Sprintf("[Bulwark] %d lỗ hổng mới / new findings: %s", len(by[id]), clip(sys.Name, 100)), Text: text,
			Payload: map[string]any{"system_id": id, "level": sys.Level, "new_findings": len(by[id]), "known_exploited": kev}}); err != nil {
			return fmt.Errorf("sysinv: notify findings: %w", err)
		}
	}
	return nil
}

func ownerEmails(ctx context.Context, q store.Querier, agencyID int64) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT u.email FROM users u WHERE u.agency_id = ? AND NOT u.disabled
		AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role IN ('coordinator', 'analyst')) ORDER BY u.id`, agencyID)
	if err != nil {
		return nil, fmt.Errorf("sysinv: owner emails: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, e)
	}
	return out, store.Translate(rows.Err())
}

// FeedRuns lists the latest imports, newest first, for callers who may
// import.
func (s *Service) FeedRuns(ctx context.Context, limit int) ([]FeedRun, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !access.CanImportVulnFeeds(p) {
		return nil, s.log.Denied(ctx, "read vulnerability feed imports", "vuln_feed", "")
	}
	limit, _ = page(limit, 0)
	if err := s.RecoverFeedRuns(ctx); err != nil {
		return nil, err
	}
	return s.feedRuns(ctx, `ORDER BY id DESC LIMIT ?`, limit)
}

// RecoverFeedRuns marks as failed the imports left running by a server
// that stopped (heartbeat older than store.StaleAfter); imports still
// running here or on another server are left alone.
func (s *Service) RecoverFeedRuns(ctx context.Context) error {
	_, err := s.db.FailStale(ctx, "sysinv_feed_runs", s.now(), "interrupted: the server stopped during the import")
	return err
}

// GetFeedRun returns one import, running or finished (province
// coordinators and admins).
func (s *Service) GetFeedRun(ctx context.Context, id int64) (FeedRun, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return FeedRun{}, err
	}
	if !access.CanImportVulnFeeds(p) {
		return FeedRun{}, s.log.Denied(ctx, "read vulnerability feed imports", "vuln_feed", fmt.Sprint(id))
	}
	runs, err := s.feedRuns(ctx, `WHERE id = ?`, id)
	if err == nil && len(runs) == 1 && runs[0].Status == "running" {
		if err := s.RecoverFeedRuns(ctx); err != nil {
			return FeedRun{}, err
		}
		runs, err = s.feedRuns(ctx, `WHERE id = ?`, id)
	}
	if err != nil {
		return FeedRun{}, err
	}
	if len(runs) == 0 {
		return FeedRun{}, errs.E(errs.NotFound, "feed import %d not found", id)
	}
	return runs[0], nil
}

func (s *Service) feedRuns(ctx context.Context, tail string, args ...any) ([]FeedRun, error) {
	rows, err := s.db.Query(ctx, `SELECT id, kind, source, status, catalog_version, records, added, updated, unchanged, skipped, problem_count,
		problems, findings_new, bytes, bytes_total, bytes_read, error, actor, started_at, finished_at FROM sysinv_feed_runs `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("sysinv: feed runs: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []FeedRun
	for rows.Next() {
		var r FeedRun
		var problems string
		var started, finished store.Time
		if err := rows.Scan(&r.ID, &r.Kind, &r.Source, &r.Status, &r.CatalogVersion, &r.Records, &r.Added, &r.Updated, &r.Unchanged, &r.Skipped,
			&r.ProblemCount, &problems, &r.FindingsNew, &r.Bytes, &r.BytesTotal, &r.BytesRead, &r.Error, &r.Actor, &started, &finished); err != nil {
			return nil, fmt.Errorf("sysinv: scan feed run: %w", store.Translate(err))
		}
		if problems != "" {
			_ = json.Unmarshal([]byte(problems), &r.Problems)
		}
		r.StartedAt, r.FinishedAt = started.Time, finished.Ptr()
		out = append(out, r)
	}
	return out, store.Translate(rows.Err())
}

// Percent is how much of a background import's file has been read.
func (r FeedRun) Percent() int {
	if r.BytesTotal <= 0 {
		return 0
	}
	return int(min(100, r.BytesRead*100/r.BytesTotal))
}
