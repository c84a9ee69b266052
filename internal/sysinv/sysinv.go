// Package sysinv is the inventory of the province's important information
// systems (Decree 85/2016, Circular 12/2022): each system's record with its
// security level 1–5, the level dossier from draft to approval, its
// components with their addresses and software, the recurring duties the
// level brings, the vulnerabilities from the NVD and CISA KEV catalogues
// that hit its components, the requirement checklist and a risk score.
//
// Access: an agency sees and edits its own systems; the standing agency's
// coordinators and admins see all; component addresses of another agency's
// system follow the system's address TLP (AMBER by default). Every rule is
// checked here, in the service, so pages and API cannot differ. Deadlines
// and weights come from Rules (rules.json), not from code.
//
// Sub-packages: cpe parses CPE names and NVD version ranges; feed streams
// the NVD and KEV files.
package sysinv

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"bulwark/internal/audit"
	"bulwark/internal/blob"
	"bulwark/internal/errs"
	"bulwark/internal/notify"
	"bulwark/internal/store"
)

// System types, information classes, reaches and statuses.
var (
	Types       = []string{"internal", "citizen_services", "shared_infrastructure", "industrial_control", "other"}
	InfoClasses = []string{"public", "private", "personal", "state_secret"}
	Reaches     = []string{"agency", "province", "national"}
	Statuses    = []string{"planned", "operating", "retired"}
	// ComponentKinds are what a component is.
	ComponentKinds = []string{"host", "service", "application", "database", "network", "other"}
	// DocumentKinds are the documents a dossier carries.
	DocumentKinds = []string{"dossier", "appraisal", "decision", "security_plan", "ir_plan", "other"}
)

// Notifier queues a notification inside the transaction of the change that
// causes it; *notify.Outbox satisfies it.
type Notifier interface {
	Enqueue(ctx context.Context, q store.Querier, m notify.Message) error
}

// IncidentSource tells which incidents hit a system; the incident
// capability provides it (wired in internal/cli). Nil: none.
type IncidentSource interface {
	// IncidentCounts counts, per system, the incidents detected since
	// since, by severity (low, medium, high, critical), whoever asks: the
	// risk score is the system's own figure and shows no incident.
	IncidentCounts(ctx context.Context, since time.Time) (map[int64]map[string]int, error)
	// SystemIncidents lists the newest incidents of a system that the
	// caller may see, and how many the caller sees in all.
	SystemIncidents(ctx context.Context, systemID int64, limit int) ([]IncidentBrief, int, error)
}

// IncidentBrief is an incident as the system page lists it.
type IncidentBrief struct {
	ID         int64     `json:"id"`
	Ref        string    `json:"ref"`
	Title      string    `json:"title"`
	Severity   string    `json:"severity"`
	Status     string    `json:"status"`
	Serious    bool      `json:"serious"`
	DetectedAt time.Time `json:"detected_at"`
}

// Deps are what the service works with. Blobs, Notifier and Incidents may
// be nil (documents, notifications and incident counts are then off).
type Deps struct {
	DB        *store.DB
	Audit     *audit.Log
	Blobs     blob.Store
	Notifier  Notifier
	Incidents IncidentSource
	Log       *slog.Logger
	Now       func() time.Time
	// HTTP fetches feeds given by URL; nil uses a client with a 10-minute
	// timeout.
	HTTP *http.Client
}

// Config tunes the service.
type Config struct {
	Rules           Rules // zero value: DefaultRules()
	MaxDocumentSize int64 // one dossier document (default blob.DefaultMaxSize)
	MaxFeedSize     int64 // one uncompressed feed file (default feed.DefaultMaxSize)
	BaseURL         string
}

// Service is the information systems capability. It is safe for concurrent
// use.
type Service struct {
	db        *store.DB
	log       *audit.Log
	blobs     blob.Store
	notifier  Notifier
	incidents IncidentSource
	slog      *slog.Logger
	now       func() time.Time
	http      *http.Client
	cfg       Config
	loc       *time.Location
	// base outlives requests: background imports run under it; Close
	// cancels it and waits for them (jobs).
	base   context.Context
	cancel context.CancelFunc
	jobs   sync.WaitGroup
	// onChange is called after components' addresses change (detection
	// reloads the systems its alerts name).
	onChange atomic.Pointer[func()]
}

// SetOnChange registers fn, called after a change to the addresses the
// detection capability uses (a component saved or deleted, a system's
// record changed). fn must not block.
func (s *Service) SetOnChange(fn func()) { s.onChange.Store(&fn) }

// addressesChanged calls the registered hook, if any.
func (s *Service) addressesChanged() {
	if fn := s.onChange.Load(); fn != nil && *fn != nil {
		(*fn)()
	}
}

// NewService returns the service.
func NewService(d Deps, cfg Config) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Audit == nil {
		d.Audit = audit.New(d.DB, d.Now)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: 10 * time.Minute}
	}
	if cfg.Rules.ApprovalWorkingDays == 0 {
		cfg.Rules = DefaultRules()
	}
	if cfg.MaxDocumentSize <= 0 {
		cfg.MaxDocumentSize = blob.DefaultMaxSize
	}
	base, cancel := context.WithCancel(context.Background())
	return &Service{db: d.DB, log: d.Audit, blobs: d.Blobs, notifier: d.Notifier, incidents: d.Incidents, slog: d.Log,
		now: d.Now, http: d.HTTP, cfg: cfg, loc: time.FixedZone("ICT", 7*3600), base: base, cancel: cancel}
}

// Close stops background imports and waits for them to end (a stopped
// import is recorded as failed; what it read stays imported).
func (s *Service) Close() {
	s.cancel()
	s.jobs.Wait()
}

// Rules returns the rules in force.
func (s *Service) Rules() Rules { return s.cfg.Rules }

// MaxDocumentSize is the upload limit of one dossier document in bytes.
func (s *Service) MaxDocumentSize() int64 { return s.cfg.MaxDocumentSize }

// stamp is the current time as stored: UTC, to the microsecond.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// today is the province's current date (UTC+7) at midnight UTC, the form
// date strings parse into.
func (s *Service) today() time.Time {
	t := s.now().In(s.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// writeLock serialises this package's writers on PostgreSQL so that
// read-check-write sequences cannot race; SQLite's write lock does it
// there.
const writeLock = 7331500

func (s *Service) transact(ctx context.Context, fn func(tx *store.Tx) error) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, writeLock); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		return fn(tx)
	})
}

func (s *Service) record(ctx context.Context, tx *store.Tx, action, objType string, id any, detail string) error {
	return s.log.Record(ctx, tx, audit.Entry{Action: action, ObjectType: objType, ObjectID: fmt.Sprint(id), Detail: detail})
}

// deny records a refusal and returns the Forbidden error.
func (s *Service) deny(ctx context.Context, action string, id int64) error {
	return s.log.Denied(ctx, action, "system", fmt.Sprint(id))
}

func oneOf(field, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return errs.Field(field, "must be one of %v", allowed)
	}
	return nil
}

func checkDate(field, v string) error {
	if v == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return errs.Field(field, "must be a date YYYY-MM-DD")
	}
	return nil
}

func checkLen(field, v string, max int) error {
	if len(v) > max {
		return errs.Field(field, "must be at most %d bytes", max)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = 50
	}
	if limit > 5000 {
		limit = 5000
	}
	return limit, max(offset, 0)
}

func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}
