package intel

import (
	"context"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/sealed"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// fixture is a database with three agencies (A the standing agency, B, C)
// and one user each, and the service over it.
type fixture struct {
	db      *store.DB
	svc     *Service
	agency  map[string]int64
	user    map[string]int64
	now     time.Time
	sysCtx  context.Context
	clockAt *time.Time
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: db, agency: map[string]int64{}, user: map[string]int64{}}
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	f.clockAt = &now
	f.now = now
	for _, code := range []string{"A", "B", "C"} {
		kind := "department"
		if code == "A" {
			kind = "standing"
		}
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			"AG"+code, "Agency "+code, kind, now, now).Scan(&id); err != nil {
			t.Fatalf("insert agency: %v", err)
		}
		f.agency[code] = id
		var uid int64
		if err := db.QueryRow(ctx, `INSERT INTO users (email, name, agency_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			"u"+code+"@example.vn", "User "+code, id, now, now).Scan(&uid); err != nil {
			t.Fatalf("insert user: %v", err)
		}
		f.user[code] = uid
	}
	box, err := sealed.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(Deps{DB: db, Now: func() time.Time { return *f.clockAt }, Secrets: box}, Config{SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	f.svc = svc
	f.sysCtx = access.With(ctx, access.SystemPrincipal())
	return f
}

// testKey seals the feed credentials of the tests.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// as returns a context acting as the user of agency code with roles.
func (f *fixture) as(code string, roles ...access.Role) context.Context {
	if len(roles) == 0 {
		roles = []access.Role{access.Analyst}
	}
	p := &access.Principal{UserID: f.user[code], Email: "u" + code + "@example.vn", AgencyID: f.agency[code], AgencyCode: "AG" + code,
		Roles: roles, Standing: code == "A"}
	return access.With(context.Background(), p)
}

func (f *fixture) advance(d time.Duration) { *f.clockAt = f.clockAt.Add(d) }

func each(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newFixture(t, storetest.SQLite(t))) })
	t.Run("postgres", func(t *testing.T) { fn(t, newFixture(t, emptiedPG(t))) })
}

func intp(n int) *int { return &n }

func tp(t time.Time) *time.Time { return &t }

// freshDB returns an empty database of the same engine as f's.
func freshDB(t *testing.T, f *fixture) *store.DB {
	t.Helper()
	if f.db.Dialect() == store.Postgres {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}

func openSQLiteForTest(t *testing.T) *store.DB { return storetest.SQLite(t) }
