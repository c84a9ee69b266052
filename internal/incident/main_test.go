package incident_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// The PostgreSQL side of these tests starts from a template database
// migrated once per package run: CREATE DATABASE ... TEMPLATE copies it in
// tens of milliseconds, where migrating a fresh database takes most of a
// second. Each test still gets a database of its own.
var pgTemplate struct {
	once sync.Once
	name string
	err  error
	skip string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pgTemplate.name != "" {
		if admin, err := sql.Open("pgx", storetest.AdminURL()); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgTemplate.name+" WITH (FORCE)")
			cancel()
			admin.Close()
		}
	}
	os.Exit(code)
}

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func dbURL(name string) (string, error) {
	u, err := url.Parse(storetest.AdminURL())
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func makeTemplate() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := sql.Open("pgx", storetest.AdminURL())
	if err != nil {
		pgTemplate.err = err
		return
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		pgTemplate.skip = fmt.Sprintf("PostgreSQL unreachable at %s: %v", storetest.AdminURL(), err)
		return
	}
	name := randomName("bulwark_inctmpl_")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		pgTemplate.err = err
		return
	}
	pgTemplate.name = name
	u, err := dbURL(name)
	if err != nil {
		pgTemplate.err = err
		return
	}
	db, err := store.Open(ctx, u)
	if err != nil {
		pgTemplate.err = err
		return
	}
	defer db.Close()
	_, pgTemplate.err = db.Migrate(ctx)
}

// postgres returns a migrated PostgreSQL database for the test, copied
// from the package's template; it skips like storetest when the server is
// unreachable, unless BULWARK_TEST_POSTGRES=required.
func postgres(t testing.TB) *store.DB {
	t.Helper()
	pgTemplate.once.Do(makeTemplate)
	if pgTemplate.skip != "" {
		if os.Getenv("BULWARK_TEST_POSTGRES") == "required" {
			t.Fatalf("PostgreSQL is required (BULWARK_TEST_POSTGRES=required): %s", pgTemplate.skip)
		}
		t.Skip(pgTemplate.skip)
	}
	if pgTemplate.err != nil {
		t.Fatalf("postgres template: %v", pgTemplate.err)
	}
	admin, err := sql.Open("pgx", storetest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := randomName("bulwark_test_")
	// Copies from one template cannot run at once: PostgreSQL refuses a
	// template that another CREATE DATABASE is reading.
	pgCopy.Lock()
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+pgTemplate.name)
	pgCopy.Unlock()
	if err != nil {
		admin.Close()
		t.Fatalf("copy template: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	})
	u, err := dbURL(name)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var pgCopy sync.Mutex

// each runs fn on SQLite and on PostgreSQL, like storetest.Each.
func each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgres(t)) })
}
