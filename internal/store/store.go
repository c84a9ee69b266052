// Package store owns the database handle: opening SQLite (the embedded
// default) or PostgreSQL from a URL, a small dialect layer, numbered
// migrations per dialect, transactions, and the translation of driver errors
// into errs kinds. Capability packages write their own SQL against the
// Querier interface, using ? placeholders; the store rebinds them to $n for
// PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"bulwark/internal/errs"
)

// Dialect names the database engine behind a DB.
type Dialect int

// The supported engines.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Querier is satisfied by *DB and *Tx, so query functions compose inside
// and outside transactions. Queries use ? placeholders.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *Row
	Dialect() Dialect
}

// DB is the application's database handle. On SQLite it keeps a single
// write connection beside a pool of readers (WAL lets them run together); on
// PostgreSQL both are the same pool.
type DB struct {
	dialect Dialect
	w       *sql.DB
	r       *sql.DB
	// URL is the database URL with any password removed, for messages.
	URL string
}

// Open opens the database named by rawURL: "postgres://..." or
// "postgresql://..." selects PostgreSQL; "sqlite:PATH", "file:PATH" or a
// plain path selects SQLite (the folder is created). It does not migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL)
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		return openSQLite(ctx, path)
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errs.E(errs.Invalid, "empty SQLite path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: create data folder: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_time_format", "sqlite")
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	// The writer gets a 64 MiB page cache: bulk imports (a million
	// indicators) otherwise spend much of their time in system calls.
	wq.Add("_pragma", "cache_size(-65536)")
	w, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	r.SetMaxOpenConns(8)
	db := &DB{dialect: SQLite, w: w, r: r, URL: "sqlite:" + path}
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	p, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	p.SetMaxOpenConns(20)
	p.SetMaxIdleConns(10)
	p.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{dialect: Postgres, w: p, r: p, URL: redact(rawURL)}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.PingContext(pctx); err != nil {
		p.Close()
		return nil, errs.Wrap(errs.Unavailable, err, "cannot reach PostgreSQL at "+db.URL)
	}
	return db, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://?"
	}
	return u.Redacted()
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Dialect returns the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping checks that the database answers; used by /readyz.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return errs.Wrap(errs.Unavailable, err, "database unavailable")
	}
	return nil
}

// Exec runs a statement on the writer.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.w.ExecContext(ctx, db.rebind(query), args...)
	return res, Translate(err)
}

// Query runs a query on the reader pool.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := db.r.QueryContext(ctx, db.rebind(query), args...)
	return rows, Translate(err)
}

// QueryRow runs a query expected to return at most one row. Statements that
// write (INSERT ... RETURNING) go to the writer.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	h := db.r
	if isWrite(query) {
		h = db.w
	}
	return &Row{row: h.QueryRowContext(ctx, db.rebind(query), args...)}
}

func isWrite(q string) bool {
	q = strings.TrimSpace(q)
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE":
		return true
	}
	return strings.HasPrefix(strings.ToUpper(q), "WITH") && strings.Contains(strings.ToUpper(q), "RETURNING")
}

func (db *DB) rebind(q string) string { return Rebind(db.dialect, q) }

// Rebind turns ? placeholders into $1, $2, ... for PostgreSQL. Question
// marks inside single-quoted literals are left alone.
func Rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, inStr := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Row wraps *sql.Row so that Scan translates driver errors.
type Row struct {
	row *sql.Row
}

// Scan copies the row into dest. No row gives an errs.NotFound error.
func (r *Row) Scan(dest ...any) error { return Translate(r.row.Scan(dest...)) }

// Tx is a transaction; it satisfies Querier.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
}

// Dialect returns the engine.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// Exec runs a statement inside the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := tx.tx.ExecContext(ctx, Rebind(tx.dialect, query), args...)
	return res, Translate(err)
}

// Query runs a query inside the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := tx.tx.QueryContext(ctx, Rebind(tx.dialect, query), args...)
	return rows, Translate(err)
}

// QueryRow runs a single-row query inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return &Row{row: tx.tx.QueryRowContext(ctx, Rebind(tx.dialect, query), args...)}
}

// Transact runs fn in a transaction on the writer: committed when fn returns
// nil, rolled back otherwise (and on panic). On SQLite the transaction takes
// the write lock at BEGIN, so read-then-write sequences cannot deadlock.
func (db *DB) Transact(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", Translate(err))
	}
	tx := &Tx{tx: sqlTx, dialect: db.dialect}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
			return
		}
		if cerr := sqlTx.Commit(); cerr != nil {
			err = fmt.Errorf("store: commit: %w", Translate(cerr))
		}
	}()
	return fn(tx)
}

// Translate maps driver errors to errs kinds by error code, never by message
// text: unique violations become Conflict, foreign-key and check violations
// Invalid, no rows NotFound, an unreachable server Unavailable. Other errors
// pass through unchanged; nil stays nil.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	var already *errs.Error
	if errors.As(err, &already) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errs.Wrap(errs.NotFound, err, "not found")
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return errs.Wrap(errs.Conflict, err, "already exists")
		case "23503":
			return errs.Wrap(errs.Invalid, err, "refers to something that does not exist or is still in use")
		case "23514", "23502":
			return errs.Wrap(errs.Invalid, err, "value not allowed")
		case "22001":
			return errs.Wrap(errs.Invalid, err, "value too long")
		case "57014":
			return errs.Wrap(errs.Unavailable, err, "query cancelled")
		}
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return errs.Wrap(errs.Conflict, err, "already exists")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errs.Wrap(errs.Invalid, err, "refers to something that does not exist or is still in use")
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return errs.Wrap(errs.Invalid, err, "value not allowed")
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return errs.Wrap(errs.Unavailable, err, "database busy, try again")
		}
		return err
	}
	return err
}
