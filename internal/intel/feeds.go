package intel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/sealed"
	"bulwark/internal/store"
)

// Feed kinds.
const (
	FeedSTIX     = "stix"
	FeedTAXII    = "taxii"
	FeedMISPFeed = "misp-feed"
	FeedCSV      = "csv"
	FeedPlain    = "plain"
)

// Feed is a remote source pulled on a schedule.
type Feed struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	URL        string     `json:"url"`
	Collection string     `json:"collection,omitempty"`
	HasToken   bool       `json:"has_token"`
	CSVMapping string     `json:"csv_mapping,omitempty"`
	AgencyID   int64      `json:"agency_id"`
	TLP        access.TLP `json:"tlp"`
	Interval   int        `json:"interval_seconds"`
	Enabled    bool       `json:"enabled"`
	ETag       string     `json:"etag,omitempty"`
	Modified   string     `json:"last_modified,omitempty"`
	Cursor     string     `json:"cursor,omitempty"`
	NextRunAt  time.Time  `json:"next_run_at"`
	LastRunAt  *time.Time `json:"last_run_at,omitempty"`
	LastStatus string     `json:"last_status,omitempty"`
	LastMsg    string     `json:"last_message,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	token      string
}

// FeedInput creates or changes a feed. Token is the API token or password
// of the remote server (TAXII: Bearer token); it is stored, never shown.
type FeedInput struct {
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	URL        string     `json:"url"`
	Collection string     `json:"collection,omitempty"`
	Token      string     `json:"token,omitempty"`
	CSVMapping string     `json:"csv_mapping,omitempty"`
	AgencyID   int64      `json:"agency_id,omitempty"`
	TLP        access.TLP `json:"tlp,omitempty"`
	Interval   int        `json:"interval_seconds"`
	Enabled    *bool      `json:"enabled,omitempty"`
}

// FeedRun is one logged pull.
type FeedRun struct {
	ID         int64     `json:"id"`
	FeedID     int64     `json:"feed_id"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Status     string    `json:"status"` // ok, not-modified, failed
	Created    int64     `json:"created"`
	Merged     int64     `json:"merged"`
	Rejected   int64     `json:"rejected"`
	Message    string    `json:"message,omitempty"`
}

func (in *FeedInput) check() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		return errs.Field("name", "required, at most 100 bytes")
	}
	switch in.Kind {
	case FeedSTIX, FeedTAXII, FeedMISPFeed, FeedCSV, FeedPlain:
	default:
		return errs.Field("kind", "must be stix, taxii, misp-feed, csv or plain")
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.URL) > 2000 {
		return errs.Field("url", "must be an http(s) URL")
	}
	if in.Kind == FeedTAXII && strings.TrimSpace(in.Collection) == "" {
		return errs.Field("collection", "name the TAXII collection id")
	}
	if len(in.Collection) > 200 || len(in.Token) > 2000 {
		return errs.Field("token", "too long")
	}
	if in.Kind == FeedCSV {
		if _, err := ParseCSVMapping(in.CSVMapping); err != nil {
			return err
		}
	}
	if in.TLP == "" {
		in.TLP = access.Amber
	}
	t, err := access.ParseTLP(string(in.TLP))
	if err != nil {
		return err
	}
	in.TLP = t
	if in.Interval < 60 || in.Interval > 7*24*3600 {
		return errs.Field("interval_seconds", "must be from 60 seconds to 7 days")
	}
	return nil
}

const feedColumns = `id, name, kind, url, collection, token, csv_mapping, agency_id, tlp, interval_seconds, enabled, etag, last_modified, cursor, next_run_at, last_run_at, last_status, last_message, created_at`

func scanFeed(r interface{ Scan(...any) error }) (Feed, error) {
	var f Feed
	var last store.Time
	err := r.Scan(&f.ID, &f.Name, &f.Kind, &f.URL, &f.Collection, &f.token, &f.CSVMapping, &f.AgencyID, &f.TLP, &f.Interval, &f.Enabled,
		&f.ETag, &f.Modified, &f.Cursor, &f.NextRunAt, &last, &f.LastStatus, &f.LastMsg, &f.CreatedAt)
	f.HasToken = f.token != ""
	f.LastRunAt = timePtr(last)
	f.NextRunAt, f.CreatedAt = f.NextRunAt.UTC(), f.CreatedAt.UTC()
	return f, err
}

func (s *Service) requireFeedAdmin(ctx context.Context) (*access.Principal, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !access.CanManageIntelSources(p) {
		return nil, s.deny(ctx, "manage intelligence feeds", "intel_feed", "")
	}
	return p, nil
}

// CreateFeed adds a feed (admins); its first pull is due at once.
func (s *Service) CreateFeed(ctx context.Context, in FeedInput) (Feed, error) {
	p, err := s.requireFeedAdmin(ctx)
	if err != nil {
		return Feed{}, err
	}
	if err := in.check(); err != nil {
		return Feed{}, err
	}
	var id int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		agency, err := ownerAgency(ctx, tx, p, in.AgencyID)
		if err != nil {
			return err
		}
		now := s.stamp()
		enabled := in.Enabled == nil || *in.Enabled
		err = tx.QueryRow(ctx, `INSERT INTO intel_feeds (name, kind, url, collection, token, csv_mapping, agency_id, tlp, interval_seconds, enabled, next_run_at, created_at)
			VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.Name, in.Kind, in.URL, in.Collection, in.CSVMapping, agency, string(in.TLP), in.Interval, enabled, now, now).Scan(&id)
		if errs.Is(err, errs.Conflict) {
			return errs.Field("name", "a feed of that name exists")
		}
		if err != nil {
			return fmt.Errorf("intel: create feed: %w", err)
		}
		if in.Token != "" {
			tok, err := s.secrets.Seal(feedPurpose(id), in.Token)
			if err != nil {
				return fmt.Errorf("intel: seal feed credential: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE intel_feeds SET token = ? WHERE id = ?`, tok, id); err != nil {
				return fmt.Errorf("intel: create feed: %w", err)
			}
		}
		return s.record(ctx, tx, "intel.feed.create", "intel_feed", id, in.Kind+" "+in.Name)
	})
	if err != nil {
		return Feed{}, err
	}
	return s.GetFeed(ctx, id)
}

// UpdateFeed changes a feed (admins). An empty Token keeps the stored one.
func (s *Service) UpdateFeed(ctx context.Context, id int64, in FeedInput) (Feed, error) {
	if _, err := s.requireFeedAdmin(ctx); err != nil {
		return Feed{}, err
	}
	if err := in.check(); err != nil {
		return Feed{}, err
	}
	tok, err := s.secrets.Seal(feedPurpose(id), in.Token)
	if err != nil {
		return Feed{}, fmt.Errorf("intel: seal feed credential: %w", err)
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		enabled := in.Enabled == nil || *in.Enabled
		res, err := tx.Exec(ctx, `UPDATE intel_feeds SET name = ?, kind = ?, url = ?, collection = ?, token = CASE WHEN ? = '' THEN token ELSE ? END, csv_mapping = ?, tlp = ?, interval_seconds = ?, enabled = ? WHERE id = ?`,
			in.Name, in.Kind, in.URL, in.Collection, tok, tok, in.CSVMapping, string(in.TLP), in.Interval, enabled, id)
		if err != nil {
			return fmt.Errorf("intel: update feed: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "no feed %d", id)
		}
		return s.record(ctx, tx, "intel.feed.update", "intel_feed", id, in.Kind+" "+in.Name)
	})
	if err != nil {
		return Feed{}, err
	}
	return s.GetFeed(ctx, id)
}

// DeleteFeed removes a feed and its run log (admins); what it imported
// stays.
func (s *Service) DeleteFeed(ctx context.Context, id int64) error {
	if _, err := s.requireFeedAdmin(ctx); err != nil {
		return err
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM intel_feed_runs WHERE feed_id = ?`, id); err != nil {
			return fmt.Errorf("intel: delete feed: %w", err)
		}
		res, err := tx.Exec(ctx, `DELETE FROM intel_feeds WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("intel: delete feed: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "no feed %d", id)
		}
		return s.record(ctx, tx, "intel.feed.delete", "intel_feed", id, "")
	})
}

// GetFeed returns a feed (admins).
func (s *Service) GetFeed(ctx context.Context, id int64) (Feed, error) {
	if _, err := s.requireFeedAdmin(ctx); err != nil {
		return Feed{}, err
	}
	f, err := scanFeed(s.db.QueryRow(ctx, `SELECT `+feedColumns+` FROM intel_feeds WHERE id = ?`, id))
	if errs.Is(err, errs.NotFound) {
		return Feed{}, errs.E(errs.NotFound, "no feed %d", id)
	}
	return f, err
}

// Feeds lists the feeds (admins).
func (s *Service) Feeds(ctx context.Context) ([]Feed, error) {
	if _, err := s.requireFeedAdmin(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+feedColumns+` FROM intel_feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("intel: list feeds: %w", err)
	}
	defer rows.Close()
	out := []Feed{}
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("intel: list feeds: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FeedRuns returns the latest 50 pulls of a feed (admins).
func (s *Service) FeedRuns(ctx context.Context, id int64) ([]FeedRun, error) {
	if _, err := s.requireFeedAdmin(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, feed_id, started_at, finished_at, status, created, merged, rejected, message FROM intel_feed_runs WHERE feed_id = ? ORDER BY id DESC LIMIT 50`, id)
	if err != nil {
		return nil, fmt.Errorf("intel: feed runs: %w", err)
	}
	defer rows.Close()
	out := []FeedRun{}
	for rows.Next() {
		var r FeedRun
		if err := rows.Scan(&r.ID, &r.FeedID, &r.StartedAt, &r.FinishedAt, &r.Status, &r.Created, &r.Merged, &r.Rejected, &r.Message); err != nil {
			return nil, fmt.Errorf("intel: feed runs: %w", err)
		}
		r.StartedAt, r.FinishedAt = r.StartedAt.UTC(), r.FinishedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// RunFeed pulls a feed now (admins) and returns the logged run.
func (s *Service) RunFeed(ctx context.Context, id int64) (FeedRun, error) {
	if _, err := s.requireFeedAdmin(ctx); err != nil {
		return FeedRun{}, err
	}
	f, err := scanFeed(s.db.QueryRow(ctx, `SELECT `+feedColumns+` FROM intel_feeds WHERE id = ?`, id))
	if err != nil {
		return FeedRun{}, err
	}
	return s.pull(ctx, f), nil
}

// RunDueFeeds pulls every enabled feed whose time has come and returns
// how many ran. Each feed is claimed by moving its next run forward first,
// so several servers sharing a database do not pull it twice.
func (s *Service) RunDueFeeds(ctx context.Context) (int, error) {
	now := s.stamp()
	rows, err := s.db.Query(ctx, `SELECT `+feedColumns+` FROM intel_feeds WHERE enabled AND next_run_at <= ? ORDER BY next_run_at LIMIT 20`, now)
	if err != nil {
		return 0, fmt.Errorf("intel: due feeds: %w", err)
	}
	var due []Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("intel: due feeds: %w", err)
		}
		due = append(due, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("intel: due feeds: %w", err)
	}
	n := 0
	for _, f := range due {
		res, err := s.db.Exec(ctx, `UPDATE intel_feeds SET next_run_at = ? WHERE id = ? AND next_run_at = ?`, now.Add(time.Duration(f.Interval)*time.Second), f.ID, f.NextRunAt)
		if err != nil {
			return n, fmt.Errorf("intel: claim feed %d: %w", f.ID, err)
		}
		if c, _ := res.RowsAffected(); c == 0 {
			continue
		}
		s.pull(ctx, f)
		n++
	}
	return n, nil
}

// RunFeeds runs the feed scheduler until ctx ends, checking every tick.
func (s *Service) RunFeeds(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if _, err := s.RunDueFeeds(ctx); err != nil && ctx.Err() == nil {
			s.slog.Warn("intel feeds", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pull fetches and imports one feed as the system acting for the feed's
// agency, then logs the run on the feed.
func (s *Service) pull(ctx context.Context, f Feed) FeedRun {
	sys := access.With(ctx, access.SystemPrincipal())
	run := FeedRun{FeedID: f.ID, StartedAt: s.stamp(), Status: "ok"}
	opts := ImportOptions{Name: "feed " + f.Name, Source: "feed:" + f.Name, TLP: f.TLP, AgencyID: f.AgencyID}
	var upd feedState
	upd.etag, upd.modified, upd.cursor = f.ETag, f.Modified, f.Cursor
	var job ImportJob
	var err error
	stored := f.token
	f.token, err = s.secrets.Open(feedPurpose(f.ID), stored)
	if err != nil {
		f.Kind, err = "", errs.E(errs.Unavailable, "the feed's credential does not open with this server's key (key file changed?): enter it again")
	} else if s.secrets != nil && stored != "" && !sealed.Sealed(stored) {
		// A credential stored before sealing was configured: seal it now.
		if tok, serr := s.secrets.Seal(feedPurpose(f.ID), f.token); serr == nil {
			_, _ = s.db.Exec(ctx, `UPDATE intel_feeds SET token = ? WHERE id = ? AND token = ?`, tok, f.ID, stored)
		}
	}
	switch f.Kind {
	case FeedSTIX, FeedCSV, FeedPlain:
		opts.Format = f.Kind
		if f.Kind == FeedCSV {
			opts.CSV, _ = ParseCSVMapping(f.CSVMapping)
		}
		job, err = s.pullHTTP(sys, f, opts, &upd)
	case FeedMISPFeed:
		since, _ := strconv.ParseInt(f.Cursor, 10, 64)
		opts.Since = since
		start := s.now().Unix()
		job, err = s.ImportMISPFeed(sys, f.URL, opts)
		if err == nil && job.Status == StatusDone {
			upd.cursor = strconv.FormatInt(start-1, 10)
		}
	case FeedTAXII:
		job, err = s.pullTAXII(sys, f, opts, &upd)
	}
	switch {
	case err != nil:
		run.Status, run.Message = "failed", errs.Message(err)
		if errs.KindOf(err) == errs.Internal {
			run.Message = err.Error()
		}
	case upd.notModified:
		run.Status, run.Message = "not-modified", "the source has not changed"
	case job.Status == StatusFailed:
		run.Status, run.Message = "failed", job.Error
	default:
		run.Message = fmt.Sprintf("import %d: %d items", job.ID, job.Items)
	}
	run.Created, run.Merged, run.Rejected = job.Created, job.Merged, job.Rejected
	run.Message = truncate(run.Message, 1000)
	run.FinishedAt = s.stamp()
	if run.Status == "failed" {
		upd.etag, upd.modified, upd.cursor = f.ETag, f.Modified, f.Cursor
		s.slog.Warn("intel feed pull failed", "feed", f.Name, "reason", run.Message)
	} else {
		s.slog.Info("intel feed pulled", "feed", f.Name, "status", run.Status, "created", run.Created, "merged", run.Merged, "rejected", run.Rejected)
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO intel_feed_runs (feed_id, started_at, finished_at, status, created, merged, rejected, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			f.ID, run.StartedAt, run.FinishedAt, run.Status, run.Created, run.Merged, run.Rejected, run.Message).Scan(&run.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE intel_feeds SET etag = ?, last_modified = ?, cursor = ?, last_run_at = ?, last_status = ?, last_message = ? WHERE id = ?`,
			upd.etag, upd.modified, upd.cursor, run.FinishedAt, run.Status, run.Message, f.ID)
		return err
	})
	if err != nil {
		s.slog.Error("intel feed: log run", "feed", f.Name, "err", err)
	}
	return run
}

// feedPurpose binds a sealed feed credential to its row.
func feedPurpose(id int64) string { return "intel-feed:" + strconv.FormatInt(id, 10) }

type feedState struct {
	etag, modified, cursor string
	notModified            bool
}

func (s *Service) pullHTTP(ctx context.Context, f Feed, opts ImportOptions, st *feedState) (ImportJob, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return ImportJob{}, errs.Wrap(errs.Invalid, err, "bad feed URL")
	}
	if f.ETag != "" {
		req.Header.Set("If-None-Match", f.ETag)
	}
	if f.Modified != "" {
		req.Header.Set("If-Modified-Since", f.Modified)
	}
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return ImportJob{}, errs.Wrap(errs.Unavailable, err, "cannot reach the feed: "+err.Error())
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		st.notModified = true
		return ImportJob{}, nil
	case resp.StatusCode != http.StatusOK:
		return ImportJob{}, errs.E(errs.Unavailable, "the feed answered %s", resp.Status)
	}
	body := io.LimitReader(resp.Body, s.cfg.MaxImportBytes)
	job, err := s.ImportReader(ctx, body, max(resp.ContentLength, 0), opts)
	if err == nil && job.Status == StatusDone {
		st.etag, st.modified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	}
	return job, err
}

// taxiiMediaType is the TAXII 2.1 media type.
const taxiiMediaType = "application/taxii+json;version=2.1"

type taxiiEnvelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// pullTAXII walks a remote collection's objects added after the cursor,
// page by page, importing each page as a bundle.
func (s *Service) pullTAXII(ctx context.Context, f Feed, opts ImportOptions, st *feedState) (ImportJob, error) {
	opts.Format = FormatSTIX
	base := strings.TrimSuffix(f.URL, "/") + "/collections/" + url.PathEscape(f.Collection) + "/objects/"
	var total ImportJob
	after, next := st.cursor, ""
	for page := 0; page < 1000; page++ {
		q := url.Values{}
		if after != "" {
			q.Set("added_after", after)
		}
		if next != "" {
			q.Set("next", next)
		}
		q.Set("limit", "1000")
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"?"+q.Encode(), nil)
		if err != nil {
			return total, errs.Wrap(errs.Invalid, err, "bad TAXII URL")
		}
		req.Header.Set("Accept", taxiiMediaType)
		if f.token != "" {
			req.Header.Set("Authorization", "Bearer "+f.token)
		}
		resp, err := s.http.Do(req)
		if err != nil {
			return total, errs.Wrap(errs.Unavailable, err, "cannot reach the TAXII server: "+err.Error())
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return total, errs.E(errs.Unavailable, "the TAXII server answered %s", resp.Status)
		}
		var env taxiiEnvelope
		err = json.NewDecoder(io.LimitReader(resp.Body, 256<<20)).Decode(&env)
		last := resp.Header.Get("X-TAXII-Date-Added-Last")
		resp.Body.Close()
		if err != nil {
			return total, errs.Wrap(errs.Invalid, err, "the TAXII envelope is not valid JSON")
		}
		if len(env.Objects) > 0 {
			var buf bytes.Buffer
			buf.WriteString(`{"type":"bundle","id":"bundle--` + uuid.NewString() + `","objects":[`)
			for i, o := range env.Objects {
				if i > 0 {
					buf.WriteByte(',')
				}
				buf.Write(o)
			}
			buf.WriteString("]}")
			job, err := s.ImportReader(ctx, &buf, int64(buf.Len()), opts)
			if err != nil {
				return total, err
			}
			total.ID, total.Status = job.ID, job.Status
			total.Items += job.Items
			total.Created += job.Created
			total.Merged += job.Merged
			total.Rejected += job.Rejected
			if job.Status == StatusFailed {
				total.Error = job.Error
				return total, nil
			}
		}
		if last != "" {
			st.cursor = last
		}
		if !env.More || env.Next == "" {
			break
		}
		next = env.Next
	}
	if total.Status == "" {
		total.Status = StatusDone
	}
	return total, nil
}
