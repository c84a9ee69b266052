package fraud

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/blob"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/web"
)

// Indicator is a confirmed phishing domain or URL handed to threat
// intelligence.
type Indicator struct {
	Type        string // ioc type: "domain" or "url"
	Value       string // canonical (ioc.Normalize output)
	TLP         string // always "CLEAR": confirmed scams are public
	Description string
	SubjectID   int64
	ConfirmedAt time.Time
	// AgencyID is the agency of the analyst who confirmed the subject: it
	// owns the indicator in threat intelligence.
	AgencyID int64
}

// IndicatorSink takes confirmed phishing domains and URLs as indicators.
// The threat-intelligence capability implements it; fraud declares it so
// the two never share tables. ShareIndicator must be idempotent: the same
// value may be handed over again after a subject is re-confirmed.
type IndicatorSink interface {
	ShareIndicator(ctx context.Context, ind Indicator) error
}

// IndicatorWithdrawer is implemented by sinks that can take indicators
// back: when a confirmed phishing subject is cleared (a mistake, a site
// cleaned up), its indicators stop being shared as scams.
type IndicatorWithdrawer interface {
	WithdrawIndicator(ctx context.Context, ind Indicator) error
}

// Config holds the tunable rules of the capability. Zero values take the
// defaults noted on each field.
type Config struct {
	// Retention is how long a closed report keeps the reporter's contact
	// and narrative before it is anonymised (default 365 days).
	Retention time.Duration
	// TelecomDue and BankDue are the answer deadlines of referrals
	// (default 48 hours and 24 hours).
	TelecomDue time.Duration
	BankDue    time.Duration
	// The three rate limits below are kept in memory by each serve
	// process (web.Limiter): with N processes behind a load balancer a
	// client can get up to N times the burst. Run one serve process, or
	// let the proxy in front pin a client address to one process, when
	// the limits must hold exactly.
	//
	// PerIPInterval and PerIPBurst limit public reports per client address
	// (default 1 per 2 minutes after a burst of 5).
	PerIPInterval time.Duration
	PerIPBurst    int
	// PerIdentifierInterval and PerIdentifierBurst limit public reports
	// naming one identifier (default 1 per minute after a burst of 30),
	// so nobody can flood a number into the top of the queue.
	PerIdentifierInterval time.Duration
	PerIdentifierBurst    int
	// LookupInterval and LookupBurst limit public look-ups per address
	// (default 1 per second after a burst of 30).
	LookupInterval time.Duration
	LookupBurst    int
	// MaxImportBytes bounds one CSV import (default
	// DefaultMaxImportBytes).
	MaxImportBytes int64
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Retention, 365*24*time.Hour)
	def(&c.TelecomDue, 48*time.Hour)
	def(&c.BankDue, 24*time.Hour)
	def(&c.PerIPInterval, 2*time.Minute)
	defInt(&c.PerIPBurst, 5)
	def(&c.PerIdentifierInterval, time.Minute)
	defInt(&c.PerIdentifierBurst, 30)
	def(&c.LookupInterval, time.Second)
	defInt(&c.LookupBurst, 30)
	if c.MaxImportBytes <= 0 {
		c.MaxImportBytes = DefaultMaxImportBytes
	}
}

// Service is the fraud capability. It is safe for concurrent use.
type Service struct {
	db    *store.DB
	log   *audit.Log
	blobs blob.Store
	// blobInUse asks whether another capability sharing the blob store
	// still refers to a file (see purge.go).
	blobInUse func(ctx context.Context, sum string) (bool, error)
	sink      IndicatorSink
	cfg       Config
	now       func() time.Time
	loc       *time.Location // the province's time zone
	slog      *slog.Logger

	ipLim     *web.Limiter
	identLim  *web.Limiter
	lookupLim *web.Limiter
}

// Deps are the collaborators of the service. Sink may be nil: confirmed
// indicators are then only kept in the hand-off table (ListHandoffs).
type Deps struct {
	DB    *store.DB
	Audit *audit.Log
	Blobs blob.Store
	// BlobInUse reports whether a record outside fraud refers to a stored
	// file (the store is shared by hash); without it, only fraud's own
	// records are checked before an erased report's file is deleted.
	BlobInUse func(ctx context.Context, sum string) (bool, error)
	Sink      IndicatorSink
	Logger    *slog.Logger
	Now       func() time.Time
}

// New returns the service.
func New(d Deps, cfg Config) *Service {
	cfg.defaults()
	now := d.Now
	if now == nil {
		now = time.Now
	}
	lg := d.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Service{
		loc: time.FixedZone("ICT", 7*3600),
		db:  d.DB, log: d.Audit, blobs: d.Blobs, blobInUse: d.BlobInUse, sink: d.Sink, cfg: cfg, now: now, slog: lg,
		ipLim:     web.NewLimiter(cfg.PerIPInterval, cfg.PerIPBurst),
		identLim:  web.NewLimiter(cfg.PerIdentifierInterval, cfg.PerIdentifierBurst),
		lookupLim: web.NewLimiter(cfg.LookupInterval, cfg.LookupBurst),
	}
}

// SetSink wires the threat-intelligence capability after construction
// (the two services are built independently).
func (s *Service) SetSink(sink IndicatorSink) { s.sink = sink }

// Location is the province's time zone: figures count days and years in it.
func (s *Service) Location() *time.Location { return s.loc }

// Config returns the effective configuration (defaults applied).
func (s *Service) Config() Config { return s.cfg }

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// writeLock serialises this package's writers on PostgreSQL so that
// read-then-write sequences (subject upserts, status changes) cannot race;
// SQLite's write lock, taken at BEGIN, does the same there.
const writeLock = 7331400

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

func (s *Service) record(ctx context.Context, tx *store.Tx, action, objType string, id int64, detail string) error {
	return s.log.Record(ctx, tx, audit.Entry{Action: action, ObjectType: objType, ObjectID: fmt.Sprint(id), Detail: detail})
}

// verifier returns the caller when they are a fraud verifier; a refusal
// is audited.
func (s *Service) verifier(ctx context.Context, action string) (*access.Principal, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !access.IsFraudVerifier(p) {
		return nil, s.log.Denied(ctx, action, "fraud", "")
	}
	return p, nil
}

// trackingAlphabet has no 0/O, 1/I/L: the code is read aloud and typed
// from paper.
const trackingAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newTrackingCode returns a code like "LD-7K3M-Q9TX-2HNP" (60 bits).
func newTrackingCode() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	var sb strings.Builder
	sb.WriteString("LD")
	for i, c := range b {
		if i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(trackingAlphabet[int(c)%len(trackingAlphabet)])
	}
	return sb.String()
}

// trackingHash is what the database keeps of a tracking code: a leaked
// database does not let anyone follow reports.
func trackingHash(code string) string {
	code = strings.ToUpper(strings.Join(strings.Fields(code), ""))
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// validTrackingCode checks the shape before any database work.
func validTrackingCode(code string) bool {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != 17 || !strings.HasPrefix(code, "LD-") {
		return false
	}
	for i, c := range code[2:] {
		if i%5 == 0 {
			if c != '-' {
				return false
			}
			continue
		}
		if !strings.ContainsRune(trackingAlphabet, c) {
			return false
		}
	}
	return true
}

func notFound(what string) error { return errs.E(errs.NotFound, "%s not found", what) }
