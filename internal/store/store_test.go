package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		name, in, want string
		d              store.Dialect
	}{
		{"sqlite untouched", "SELECT ? , ?", "SELECT ? , ?", store.SQLite},
		{"postgres numbered", "SELECT a FROM t WHERE a = ? AND b = ?", "SELECT a FROM t WHERE a = $1 AND b = $2", store.Postgres},
		{"literal kept", "SELECT '?' , ?", "SELECT '?' , $1", store.Postgres},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.Rebind(tt.d, tt.in); got != tt.want {
				t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestMigrationsMatch fails when a migration number exists in one dialect
// and not in the other.
func TestMigrationsMatch(t *testing.T) {
	s, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []store.Migration) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if diff := cmp.Diff(names(s), names(p)); diff != "" {
		t.Errorf("sqlite and postgres migrations differ (-sqlite +postgres):\n%s", diff)
	}
	for i := range s {
		if i < len(p) && s[i].Version != p[i].Version {
			t.Errorf("migration %d: sqlite version %d, postgres %d", i, s[i].Version, p[i].Version)
		}
	}
}

func TestStoreContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t.Logf("running on %s", db.Dialect())
		now := time.Date(2026, 3, 1, 8, 30, 0, 123000000, time.UTC)
		var id int64
		err := db.QueryRow(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			"X1", "Cơ quan'; DROP TABLE agencies;--", "district", now, now).Scan(&id)
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
		var name string
		var created store.Time
		var active bool
		if err := db.QueryRow(ctx, `SELECT name_vi, created_at, active FROM agencies WHERE id = ?`, id).Scan(&name, &created, &active); err != nil {
			t.Fatalf("select: %v", err)
		}
		if name != "Cơ quan'; DROP TABLE agencies;--" || !created.Time.Equal(now) || !active {
			t.Errorf("read back = %q %v %v, want literal name, %v, true", name, created.Time, active, now)
		}
		var maxT store.Time
		if err := db.QueryRow(ctx, `SELECT MAX(created_at) FROM agencies`).Scan(&maxT); err != nil || !maxT.Time.Equal(now) {
			t.Errorf("MAX(created_at) = %v, %v; want %v", maxT.Time, err, now)
		}

		// Unique violation is a Conflict, by code.
		_, err = db.Exec(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`, "X1", "dup", "district", now, now)
		if !errs.Is(err, errs.Conflict) {
			t.Errorf("duplicate insert error = %v, want Conflict", err)
		}
		// Foreign key violation is Invalid.
		_, err = db.Exec(ctx, `INSERT INTO agencies (code, name_vi, kind, parent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`, "X2", "n", "district", 99999, now, now)
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("bad parent error = %v, want Invalid", err)
		}
		// No rows is NotFound.
		err = db.QueryRow(ctx, `SELECT name_vi FROM agencies WHERE id = ?`, 424242).Scan(&name)
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("missing row error = %v, want NotFound", err)
		}
		// A failed transaction leaves nothing behind.
		boom := errors.New("boom")
		err = db.Transact(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`, "X3", "n", "district", now, now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Transact = %v, want boom", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM agencies WHERE code = ?`, "X3").Scan(&n); err != nil || n != 0 {
			t.Errorf("rolled back row count = %d, %v; want 0", n, err)
		}
		st, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range st {
			if !m.Applied {
				t.Errorf("migration %d not applied", m.Version)
			}
		}
		// Migrating again applies nothing.
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Errorf("second Migrate = %d applied, %v; want 0, nil", len(applied), err)
		}
	})
}

func TestFailedMigrationChangesNothing(t *testing.T) {
	// A broken statement after a good one in the same file must leave
	// neither behind. We run the same SQL the way Migrate does.
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.Transact(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `CREATE TABLE half_done (id INTEGER)`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `CREATE TABLE broken (`)
			return err
		})
		if err == nil {
			t.Fatal("broken DDL succeeded")
		}
		_, err = db.Exec(ctx, `SELECT id FROM half_done`)
		if err == nil {
			t.Error("half_done exists after a failed transaction")
		}
	})
}

func TestOpenSQLiteCreatesFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("data folder not created: %v", err)
	}
	var mode string
	if err := db.QueryRow(context.Background(), `PRAGMA journal_mode`).Scan(&mode); err != nil || !strings.EqualFold(mode, "wal") {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}
