package incident

import (
	"context"
	"fmt"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/blob"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// IndicatorSink receives the observables flagged as indicators, for the
// threat-intelligence capability. It is called after the change commits;
// a failure is logged on the journal and retried on the next flagging.
type IndicatorSink interface {
	SubmitIndicators(ctx context.Context, inds []Indicator) error
}

// Indicator is an observable handed to threat intelligence.
type Indicator struct {
	IncidentID  int64      `json:"incident_id"`
	IncidentRef string     `json:"incident_ref"`
	Type        string     `json:"type"`
	Value       string     `json:"value"`
	TLP         access.TLP `json:"tlp"`
	FirstSeen   *time.Time `json:"first_seen,omitempty"`
	LastSeen    *time.Time `json:"last_seen,omitempty"`
	OwnerAgency int64      `json:"owner_agency_id"`
}

// Notifier queues a notification inside the transaction of the change
// that causes it (an outbox), so a rolled-back change notifies nobody.
type Notifier interface {
	Notify(ctx context.Context, q store.Querier, n Notification) error
}

// Notification is one event to send: by email to Emails and to every
// webhook subscribed to Event.
type Notification struct {
	Event   string   // incident.created, incident.assigned, incident.status, incident.deadline
	Emails  []string // recipients; may be empty (webhooks only)
	Subject string
	Text    string
	// Payload is the webhook body: never the incident's text, only its
	// reference, status and labels, since webhook receivers are outside
	// the TLP rules.
	Payload map[string]any
}

// Config is the capability's configuration.
type Config struct {
	// MaxFileSize bounds one evidence upload (default blob.DefaultMaxSize).
	MaxFileSize int64
	// BaseURL is the site's public address, for links in notifications.
	BaseURL string
	// Place is the town printed before the date of documents
	// ("Bình An, ngày ... tháng ... năm ...").
	Place string
}

// Deps are what the service works with. Indicators and Notifier may be nil.
type Deps struct {
	DB         *store.DB
	Audit      *audit.Log
	Blobs      blob.Store
	Indicators IndicatorSink
	Notifier   Notifier
	Now        func() time.Time
}

// Service is the incident capability. It is safe for concurrent use.
type Service struct {
	db       *store.DB
	log      *audit.Log
	blobs    blob.Store
	sink     IndicatorSink
	notifier Notifier
	systems  SystemCatalog
	now      func() time.Time
	loc      *time.Location
	cfg      Config
}

// NewService returns the service. A nil Audit writes to an audit.Log over
// DB; a nil Now is time.Now.
func NewService(d Deps, cfg Config) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Audit == nil {
		d.Audit = audit.New(d.DB, d.Now)
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = blob.DefaultMaxSize
	}
	return &Service{db: d.DB, log: d.Audit, blobs: d.Blobs, sink: d.Indicators, notifier: d.Notifier,
		now: d.Now, loc: time.FixedZone("ICT", 7*3600), cfg: cfg}
}

// SetIndicatorSink connects the threat-intelligence capability once it is
// built (it is wired after incidents). Call it before serving: it is not
// synchronised with requests in flight.
func (s *Service) SetIndicatorSink(sink IndicatorSink) { s.sink = sink }

// MaxFileSize is the evidence upload limit in bytes.
func (s *Service) MaxFileSize() int64 { return s.cfg.MaxFileSize }

// Location is the province's time zone (UTC+7 all year).
func (s *Service) Location() *time.Location { return s.loc }

// stamp is the current time as stored: UTC, to the microsecond (the
// precision PostgreSQL keeps).
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// writeLock serialises this package's writers on PostgreSQL, so
// read-check-write sequences (workflow checks, merges) cannot race;
// SQLite's write lock, taken at BEGIN, does the same there.
const writeLock = 7331100

// transact runs fn in a write transaction holding writeLock; a refusal
// found inside is audited after the transaction ends.
func (s *Service) transact(ctx context.Context, fn func(tx *store.Tx) error) error {
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, writeLock); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		return fn(tx)
	})
	return s.audited(ctx, err)
}

func (s *Service) record(ctx context.Context, tx *store.Tx, action string, id int64, detail string) error {
	return s.log.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "incident", ObjectID: fmt.Sprint(id), Detail: detail})
}

// caller returns the principal or Unauthorized.
func caller(ctx context.Context) (*access.Principal, error) { return access.Require(ctx) }

// standingID returns the active standing agency's id.
func standingID(ctx context.Context, q store.Querier) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM agencies WHERE kind = 'standing' AND active ORDER BY id LIMIT 1`).Scan(&id)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.E(errs.Conflict, "no standing agency is recorded; name a lead agency")
	}
	if err != nil {
		return 0, fmt.Errorf("standing agency: %w", err)
	}
	return id, nil
}

// agencyExists checks an agency id for a field.
func agencyExists(ctx context.Context, q store.Querier, field string, id int64) error {
	var ok int
	err := q.QueryRow(ctx, `SELECT 1 FROM agencies WHERE id = ? AND active`, id).Scan(&ok)
	if errs.Is(err, errs.NotFound) {
		return errs.Field(field, "no active agency has id %d", id)
	}
	return err
}

func userExists(ctx context.Context, q store.Querier, field string, id int64) error {
	var ok int
	err := q.QueryRow(ctx, `SELECT 1 FROM users WHERE id = ?`, id).Scan(&ok)
	if errs.Is(err, errs.NotFound) {
		return errs.Field(field, "no user has id %d", id)
	}
	return err
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

func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = 50
	}
	if limit > maxListLimit {
		limit = maxListLimit
	}
	if offset < 0 {
		offset = 0
	}
	if offset > 1_000_000 {
		offset = 1_000_000
	}
	return limit, offset
}
