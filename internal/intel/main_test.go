package intel

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// sharedPG is one migrated PostgreSQL database for the package's tests,
// emptied before each test: creating and migrating a database per test
// costs seconds each.
var sharedPG struct {
	url string
	err error
}

func TestMain(m *testing.M) {
	cleanup := setupPG()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func setupPG() func() {
	admin, err := sql.Open("pgx", storetest.AdminURL())
	if err != nil {
		sharedPG.err = err
		return func() {}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		sharedPG.err = err
		admin.Close()
		return func() {}
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "bulwark_intel_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		sharedPG.err = err
		admin.Close()
		return func() {}
	}
	u, _ := url.Parse(storetest.AdminURL())
	u.Path = "/" + name
	sharedPG.url = u.String()
	db, err := store.Open(context.Background(), sharedPG.url)
	if err == nil {
		_, err = db.Migrate(context.Background())
		db.Close()
	}
	sharedPG.err = err
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}
}

// emptiedPG opens the shared PostgreSQL database with every table this
// package's tests fill emptied.
func emptiedPG(t testing.TB) *store.DB {
	t.Helper()
	if sharedPG.err != nil || sharedPG.url == "" {
		if os.Getenv("BULWARK_TEST_POSTGRES") == "required" {
			t.Fatalf("PostgreSQL is required (BULWARK_TEST_POSTGRES=required): %v", sharedPG.err)
		}
		t.Skipf("PostgreSQL unavailable (set BULWARK_TEST_POSTGRES=required to fail instead): %v", sharedPG.err)
	}
	db, err := store.Open(context.Background(), sharedPG.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, err = db.Exec(context.Background(), `TRUNCATE intel_taxii_status, intel_feed_runs, intel_feeds, intel_warninglists, intel_imports, intel_sightings,
		intel_entry_people, intel_entry_shares, intel_entries, intel_indicators, audit_log, users, agencies RESTART IDENTITY CASCADE`)
	if err != nil {
		t.Fatal(fmt.Errorf("empty tables: %w", err))
	}
	return db
}
