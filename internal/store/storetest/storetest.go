// Package storetest gives tests a migrated database on each engine: SQLite
// in a file under t.TempDir() and a fresh database on the real PostgreSQL
// server. With BULWARK_TEST_POSTGRES=required (as in CI) a missing server
// fails the test instead of skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"bulwark/internal/store"
)

// AdminURL is the PostgreSQL server the tests create their databases on;
// BULWARK_TEST_POSTGRES_URL overrides it.
func AdminURL() string {
	if u := os.Getenv("BULWARK_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Each runs fn as a subtest against a freshly migrated database of each
// engine: "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated SQLite database in a temporary folder.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bulwark.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// Postgres returns a migrated, empty PostgreSQL database created for this
// test and dropped when it ends.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	u := NewDatabase(t)
	db, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return db
}

// NewDatabase creates an empty PostgreSQL database for the test, drops it
// at cleanup, and returns its URL. It skips when the server is unreachable,
// unless BULWARK_TEST_POSTGRES=required.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		if os.Getenv("BULWARK_TEST_POSTGRES") == "required" {
			t.Fatalf("PostgreSQL is required (BULWARK_TEST_POSTGRES=required) but unreachable at %s: %v", AdminURL(), err)
		}
		t.Skipf("PostgreSQL unreachable at %s (set BULWARK_TEST_POSTGRES=required to fail instead): %v", AdminURL(), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "bulwark_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	})
	pu, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("postgres url: %v", err)
	}
	pu.Path = "/" + name
	return fmt.Sprint(pu)
}
