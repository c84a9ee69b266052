// Package auth holds people and access to Bulwark: user accounts, password
// login with lockout, sessions with CSRF tokens, TOTP second factor with
// recovery codes, and API tokens. Every method checks the caller's rights
// itself (access.From(ctx); the system principal is the CLI) and records
// each change in the audit log inside the change's transaction. Secrets
// (passwords, session IDs, API tokens, recovery codes) are stored only as
// hashes and never written to the audit log; TOTP secrets must be read back to
// compute codes: they are sealed with a key kept outside the database
// (Config.Secrets, package sealed) and never audited.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/sealed"
	"bulwark/internal/store"
)

// Config tunes the service. Zero fields take the defaults named below.
type Config struct {
	// SessionTTL is the idle expiry of a session, default 12h.
	SessionTTL time.Duration
	// SessionMaxAge bounds a session's life however active it is,
	// default 7 days, so a stolen cookie does not live for ever.
	SessionMaxAge time.Duration
	// MaxFailures is the number of failed logins before the account
	// locks, default 10; after SlowDownAfter (3) failures each attempt
	// waits, longer each time.
	MaxFailures int
	// LockFor is how long a locked account stays locked, default 15m.
	LockFor time.Duration
	// MinPasswordLen is the minimum password length in characters,
	// default 12.
	MinPasswordLen int
	// Require2FA makes TOTP mandatory for admins and coordinators.
	Require2FA bool
	// Issuer names the service in authenticator apps, default "Bulwark".
	Issuer string
	// Argon2 holds the password hashing cost; zero means DefaultArgon2.
	// Tests use tiny values; existing hashes keep verifying with their
	// own parameters and are upgraded at the next successful login.
	Argon2 Argon2
	// Sleep waits d or until ctx ends; it is the login slow-down. Nil
	// means a real timer; tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// Location is the time zone of the "try again after HH:MM" message,
	// default UTC+7 (Vietnam).
	Location *time.Location
	// Secrets seals TOTP seeds in the database; nil stores them in clear
	// (tests and tools). Seeds stored in clear before a key was configured
	// keep working and are sealed at the user's next two-factor login.
	Secrets *sealed.Box
}

// Defaults and limits.
const (
	DefaultSessionTTL     = 12 * time.Hour
	DefaultSessionMaxAge  = 7 * 24 * time.Hour
	DefaultMaxFailures    = 10
	DefaultLockFor        = 15 * time.Minute
	DefaultMinPasswordLen = 12
	DefaultIssuer         = "Bulwark"

	// SlowDownAfter is the number of failures after which each login
	// attempt is delayed.
	SlowDownAfter = 3

	// pendingTTL is how long a password-verified session waits for its
	// second factor.
	pendingTTL = 5 * time.Minute
	// touchEvery bounds how often session and token use is written back.
	touchEvery = time.Minute
	// maxDelay caps one slow-down.
	maxDelay = 10 * time.Second
)

func (c Config) withDefaults() Config {
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.SessionMaxAge <= 0 {
		c.SessionMaxAge = DefaultSessionMaxAge
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.LockFor <= 0 {
		c.LockFor = DefaultLockFor
	}
	if c.MinPasswordLen <= 0 {
		c.MinPasswordLen = DefaultMinPasswordLen
	}
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if c.Argon2 == (Argon2{}) {
		c.Argon2 = DefaultArgon2()
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	if c.Location == nil {
		c.Location = time.FixedZone("ICT", 7*3600)
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Service manages users, sessions, second factors and API tokens. It is
// safe for concurrent use.
type Service struct {
	db  *store.DB
	log *audit.Log
	cfg Config
	now func() time.Time

	// dummy is a hash verified for unknown emails so they cost the same
	// time as known ones; computed on first use to keep start-up fast.
	dummyOnce sync.Once
	dummy     string
}

// NewService returns a Service over db writing to log. now is the clock
// (time.Now when nil).
func NewService(db *store.DB, log *audit.Log, cfg Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, log: log, cfg: cfg.withDefaults(), now: now}
}

// Config returns the effective configuration (defaults filled in).
func (s *Service) Config() Config { return s.cfg }

// clock returns the current time in UTC at the precision both databases
// keep, so values read back compare equal to values written.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		h, err := HashPassword("dummy password for timing only", s.cfg.Argon2)
		if err != nil {
			// HashPassword only fails on bad parameters, which
			// withDefaults rules out; keep a valid hash anyway.
			h = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
		}
		s.dummy = h
	})
	return s.dummy
}

// randomString returns n random bytes in unpadded base64url.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b)
}

// sha256Hex is how session IDs, API tokens and recovery codes are stored:
// they carry 256 or 80 random bits, so a fast hash is enough and lookups
// stay indexable.
func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// caller returns the principal of ctx or an Unauthorized error.
func caller(ctx context.Context) (*access.Principal, error) { return access.Require(ctx) }

// self returns the principal of ctx when it is a signed-in user (not the
// system, which has no account of its own).
func self(ctx context.Context, what string) (*access.Principal, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.UserID == 0 {
		return nil, errs.E(errs.Invalid, "%s needs a signed-in user, not the system", what)
	}
	return p, nil
}

// lockPostgres serialises a check-then-write across connections on
// PostgreSQL; SQLite's single writer already does it.
func lockPostgres(ctx context.Context, tx *store.Tx, key int64) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, key); err != nil {
		return fmt.Errorf("auth: lock: %w", err)
	}
	return nil
}

// Advisory lock keys (the audit log uses 7331002).
const lockAdmins int64 = 7331010

type sessionIDKey struct{}

// WithSessionID returns a context naming the caller's current session, so
// that ChangePassword keeps that session while ending all the others. The
// web layer sets it next to access.With.
func WithSessionID(ctx context.Context, sessionID string) context.Context {
	return context.WithValue(ctx, sessionIDKey{}, sessionID)
}

func sessionIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(sessionIDKey{}).(string)
	return s
}
