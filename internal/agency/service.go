// Package agency keeps the province's organisation chart: the agencies
// (standing agency, member departments, districts, military, telecoms,
// banks and other units) with the history of their names, kinds, parents
// and mergers; the decisions that set up bodies and appoint people; the
// bodies themselves (the subcommittee, its working group); and who sat on
// which body, in which role, from when to when, by which decision.
//
// Names are data with history: agencies are renamed and merged (the
// Department of Information and Communications merged into the Department
// of Science and Technology in 2025), so nothing is deleted; a merged agency
// stays, inactive, pointing at the one that absorbed it, and a membership
// that ends keeps its row, so "who was on the subcommittee on date X" can
// be answered for any past date.
//
// Every method checks the caller (access.From(ctx)) itself; every change
// is written to the audit log in the transaction of the change.
package agency

import (
	"context"
	"fmt"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/store"
)

// Service reads and changes agencies, decisions, bodies and memberships.
// It is safe for concurrent use.
type Service struct {
	db  *store.DB
	log *audit.Log
	now func() time.Time
	// loc is the province's time zone, which decides what "today" is.
	loc *time.Location
}

// NewService returns a Service over db that audits to log. now is the
// clock (time.Now when nil); a nil log writes to an audit.Log over db.
func NewService(db *store.DB, log *audit.Log, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = audit.New(db, now)
	}
	// Viet Nam keeps UTC+7 all year; a fixed zone avoids needing tzdata.
	return &Service{db: db, log: log, now: now, loc: time.FixedZone("ICT", 7*3600)}
}

// stamp is the current time as stored: UTC, to the microsecond (the
// precision PostgreSQL keeps), so values read back compare equal.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// today is the current calendar date in the province, YYYY-MM-DD.
func (s *Service) today() string { return s.now().In(s.loc).Format(dateLayout) }

// writeLock is the PostgreSQL advisory lock that serialises this package's
// writers, so the uniqueness checks done before an insert (agency code,
// one standing agency, one head per body) cannot race. SQLite's write lock,
// taken at BEGIN, does the same there.
const writeLock = 7331010

// transact runs fn in a write transaction holding writeLock.
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

// reader checks that the caller may read the directory: any signed-in user
// or the system.
func (s *Service) reader(ctx context.Context) (*access.Principal, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !access.CanReadDirectory(p) {
		return nil, s.log.Denied(ctx, "read the directory", "agency", "")
	}
	return p, nil
}

// writer checks that the caller is signed in and allowed by ok; a refusal
// is recorded in the audit log.
func (s *Service) writer(ctx context.Context, ok func(*access.Principal) bool, action, objectType, objectID string) (*access.Principal, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !ok(p) {
		return nil, s.log.Denied(ctx, action, objectType, objectID)
	}
	return p, nil
}

// nullID is NULL for a zero id, for optional references.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullText is NULL for an empty string, for optional dates.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// page bounds a limit and offset: limit 1..500 (default 50), offset >= 0.
func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		limit = 500
	}
	if offset < 0 {
		offset = 0
	}
	return limit, offset
}
