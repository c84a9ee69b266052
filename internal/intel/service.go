package intel

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/intel/warninglist"
	"bulwark/internal/sealed"
	"bulwark/internal/store"
)

// Config is the capability's configuration.
type Config struct {
	// SpoolDir holds uploaded import files while their job runs; the
	// system's temporary folder when empty.
	SpoolDir string
	// MaxImportBytes bounds one uploaded or fetched import (default 2 GiB).
	MaxImportBytes int64
	// Producer names this Bulwark in exports (the identity of STIX bundles,
	// the Orgc of MISP events, the SOA of RPZ zones).
	Producer string
	// RPZDomain is the origin of exported RPZ zones (default rpz.bulwark.).
	RPZDomain string
}

// Deps are what the service works with. HTTP is the client of feed pulls
// and URL imports (a client with a timeout when nil).
type Deps struct {
	DB    *store.DB
	Audit *audit.Log
	Log   *slog.Logger
	HTTP  *http.Client
	Now   func() time.Time
	// Secrets seals the credentials of feeds in the database; nil stores
	// them in clear (tests, tools without the key file).
	Secrets *sealed.Box
}

// Service is the threat-intelligence capability. It is safe for
// concurrent use. Imports and feed pulls run in background goroutines;
// Close waits for them.
type Service struct {
	db      *store.DB
	log     *audit.Log
	slog    *slog.Logger
	http    *http.Client
	now     func() time.Time
	cfg     Config
	secrets *sealed.Box
	wl      atomic.Pointer[warninglist.Set]
	jobs    sync.WaitGroup
	base    context.Context
	cancel  context.CancelFunc
	// progress keeps the live figures of running imports between their
	// periodic writes to the database.
	mu       sync.Mutex
	progress map[int64]*ImportJob
	notify   changeNotifier
	finder   atomic.Pointer[finderBox]
}

// NewService returns the service with the built-in warning lists loaded;
// call LoadWarningLists to add the admin's lists from the database.
func NewService(d Deps, cfg Config) (*Service, error) {
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
		d.HTTP = &http.Client{Timeout: 5 * time.Minute}
	}
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = 2 << 30
	}
	if cfg.Producer == "" {
		cfg.Producer = "Bulwark"
	}
	if cfg.RPZDomain == "" {
		cfg.RPZDomain = "rpz.bulwark."
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Service{db: d.DB, log: d.Audit, slog: d.Log, http: d.HTTP, now: d.Now, cfg: cfg, secrets: d.Secrets,
		base: base, cancel: cancel, progress: map[int64]*ImportJob{}}
	lists, err := warninglist.Builtin()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("intel: built-in warning lists: %w", err)
	}
	set, _ := warninglist.NewSet(lists)
	s.wl.Store(set)
	return s, nil
}

// Close stops background jobs and waits for them to finish.
func (s *Service) Close() {
	s.notify.stop()
	s.cancel()
	s.jobs.Wait()
}

// stamp is the current time as stored: UTC, to the microsecond.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// writeLock serialises this package's writers on PostgreSQL, so the
// read-merge-write of a batch cannot race another; SQLite's write lock,
// taken at BEGIN, does the same there.
const writeLock = 7331200

func (s *Service) transact(ctx context.Context, fn func(tx *store.Tx) error) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, writeLock); err != nil {
				return fmt.Errorf("intel: lock: %w", err)
			}
		}
		return fn(tx)
	})
}

func (s *Service) record(ctx context.Context, tx *store.Tx, action, objType string, id any, detail string) error {
	return s.log.Record(ctx, tx, audit.Entry{Action: action, ObjectType: objType, ObjectID: fmt.Sprint(id), Detail: detail})
}

// deny audits a refusal and returns the Forbidden error.
func (s *Service) deny(ctx context.Context, action, objType string, id any) error {
	return s.log.Denied(ctx, action, objType, fmt.Sprint(id))
}

// caller returns the principal of ctx or Unauthorized.
func caller(ctx context.Context) (*access.Principal, error) { return access.Require(ctx) }

// ownerAgency resolves the owner of a report: the caller's agency unless
// an admin or the system names another one.
func ownerAgency(ctx context.Context, q store.Querier, p *access.Principal, requested int64) (int64, error) {
	id := requested
	if id == 0 {
		id = p.AgencyID
	}
	if id == 0 {
		if !p.System {
			return 0, errs.Field("agency_id", "the caller belongs to no agency")
		}
		var sid int64
		err := q.QueryRow(ctx, `SELECT id FROM agencies WHERE kind = 'standing' AND active ORDER BY id LIMIT 1`).Scan(&sid)
		if errs.Is(err, errs.NotFound) {
			return 0, errs.Field("agency_id", "name the owner agency (no standing agency is recorded)")
		}
		if err != nil {
			return 0, fmt.Errorf("intel: standing agency: %w", err)
		}
		return sid, nil
	}
	if id != p.AgencyID && !p.System && !p.Has(access.Admin) {
		return 0, access.Deny("report indicators for another agency")
	}
	if id != p.AgencyID {
		var ok int
		err := q.QueryRow(ctx, `SELECT 1 FROM agencies WHERE id = ?`, id).Scan(&ok)
		if errs.Is(err, errs.NotFound) {
			return 0, errs.Field("agency_id", "no agency has id %d", id)
		}
		if err != nil {
			return 0, fmt.Errorf("intel: check agency: %w", err)
		}
	}
	return id, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC()
}

func timePtr(t store.Time) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func auditEntry(action string, id int64, detail string) audit.Entry {
	return audit.Entry{Action: action, ObjectType: "intel_import", ObjectID: fmt.Sprint(id), Detail: detail}
}
