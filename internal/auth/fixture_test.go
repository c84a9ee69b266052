package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/store"
)

// testArgon2 is the cheapest valid cost, so tests hash in microseconds.
var testArgon2 = Argon2{Memory: 8, Time: 1, Threads: 1}

// fixture is a Service over a fresh database with a controllable clock,
// a recording sleep, three agencies and the system principal.
type fixture struct {
	t   testing.TB
	db  *store.DB
	svc *Service
	log *audit.Log
	sys context.Context

	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

const (
	agStanding = "CA-TINH"
	agDoST     = "SO-KHCN"
	agBank     = "NH-A"
)

func newFixture(t testing.TB, db *store.DB, cfg Config) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, now: time.Date(2026, 5, 4, 1, 2, 3, 0, time.UTC)}
	f.log = audit.New(db, f.clock)
	if cfg.Argon2 == (Argon2{}) {
		cfg.Argon2 = testArgon2
	}
	cfg.Sleep = func(_ context.Context, d time.Duration) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.sleeps = append(f.sleeps, d)
		return nil
	}
	f.svc = NewService(db, f.log, cfg, f.clock)
	f.sys = access.With(context.Background(), access.SystemPrincipal())
	for _, a := range []struct{ code, kind string }{
		{agStanding, "standing"}, {agDoST, "department"}, {agBank, "bank"},
	} {
		_, err := db.Exec(context.Background(), `INSERT INTO agencies (code, name_vi, name_en, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			a.code, "Cơ quan "+a.code, "Agency "+a.code, a.kind, f.now, f.now)
		if err != nil {
			t.Fatalf("insert agency: %v", err)
		}
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fixture) takeSleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sleeps
	f.sleeps = nil
	return s
}

const testPassword = "Sông Hồng chảy qua 36 phố"

// user creates a user as the system and returns it.
func (f *fixture) user(email, agency string, roles ...access.Role) User {
	f.t.Helper()
	u, err := f.svc.CreateUser(f.sys, NewUser{Email: email, Name: "Người dùng " + email, AgencyCode: agency, Password: testPassword, Roles: roles})
	if err != nil {
		f.t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

// as returns a context acting as u.
func (f *fixture) as(u User) context.Context {
	f.t.Helper()
	p, err := f.svc.Principal(context.Background(), u.ID)
	if err != nil {
		f.t.Fatalf("Principal(%d): %v", u.ID, err)
	}
	return access.With(context.Background(), p)
}

// auditRows returns all audit rows, oldest first.
func (f *fixture) auditRows() []audit.Entry {
	f.t.Helper()
	var out []audit.Entry
	before := int64(0)
	for {
		page, next, err := f.log.List(f.sys, audit.Filter{Limit: 500, Before: before})
		if err != nil {
			f.t.Fatalf("audit list: %v", err)
		}
		out = append(out, page...)
		if next == 0 {
			break
		}
		before = next
	}
	// List is newest first; reverse.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// actions returns the actions of audit rows, oldest first, optionally only
// those starting with prefix.
func (f *fixture) actions(prefix string) []string {
	f.t.Helper()
	var out []string
	for _, e := range f.auditRows() {
		if len(e.Action) >= len(prefix) && e.Action[:len(prefix)] == prefix {
			out = append(out, e.Action)
		}
	}
	return out
}
