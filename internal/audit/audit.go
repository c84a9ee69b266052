// Package audit keeps the append-only, hash-chained audit log. Every change,
// login, failed login, token event and permission denial is one row; each
// row's hash covers its fields and the previous row's hash, so editing or
// deleting a row breaks the chain at that row, which Verify reports.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Entry is one audit row.
type Entry struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	ActorUserID int64     `json:"actor_user_id,omitempty"`
	Actor       string    `json:"actor"`
	AgencyID    int64     `json:"agency_id,omitempty"`
	Action      string    `json:"action"`
	ObjectType  string    `json:"object_type,omitempty"`
	ObjectID    string    `json:"object_id,omitempty"`
	IP          string    `json:"ip,omitempty"`
	Detail      string    `json:"detail,omitempty"`
	PrevHash    string    `json:"prev_hash"`
	Hash        string    `json:"hash"`
}

// genesis is the previous hash of the first row.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// maxDetail bounds the detail text; the log is not a data store.
const maxDetail = 2000

// Log writes and reads the audit log.
type Log struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Log over db; now is the clock (time.Now when nil).
func New(db *store.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: db, now: now}
}

type ipKey struct{}

// WithClientIP returns a context that carries the client's address, which
// Record copies into rows that do not name one.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ipKey{}, ip)
}

func clientIP(ctx context.Context) string {
	s, _ := ctx.Value(ipKey{}).(string)
	return s
}

// Record appends e inside tx, the transaction of the change it records, so
// the change and its audit row commit or fail together. Actor, agency and
// IP are filled from ctx when empty.
func (l *Log) Record(ctx context.Context, tx *store.Tx, e Entry) error {
	if p := access.From(ctx); p != nil {
		if e.ActorUserID == 0 {
			e.ActorUserID = p.UserID
		}
		if e.Actor == "" {
			e.Actor = p.Label()
		}
		if e.AgencyID == 0 {
			e.AgencyID = p.AgencyID
		}
	}
	if e.Actor == "" {
		e.Actor = "anonymous"
	}
	if e.IP == "" {
		e.IP = clientIP(ctx)
	}
	if len(e.Detail) > maxDetail {
		e.Detail = e.Detail[:maxDetail]
	}
	e.At = l.now().UTC().Truncate(time.Microsecond)
	if tx.Dialect() == store.Postgres {
		// Serialise writers of the chain; SQLite's write lock does it there.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7331002)`); err != nil {
			return fmt.Errorf("audit: lock: %w", err)
		}
	}
	prev := genesis
	err := tx.QueryRow(ctx, `SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return fmt.Errorf("audit: read chain head: %w", err)
	}
	e.PrevHash = prev
	e.Hash = hashOf(e)
	err = tx.QueryRow(ctx, `INSERT INTO audit_log (at, actor_user_id, actor, agency_id, action, object_type, object_id, ip, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.At, nullID(e.ActorUserID), e.Actor, nullID(e.AgencyID), e.Action, e.ObjectType, e.ObjectID, e.IP, e.Detail, e.PrevHash, e.Hash).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("audit: append %s: %w", e.Action, err)
	}
	return nil
}

// Write appends e in a transaction of its own, for events that change
// nothing else (a failed login, a denial, a view of personal data).
func (l *Log) Write(ctx context.Context, e Entry) error {
	return l.db.Transact(ctx, func(tx *store.Tx) error { return l.Record(ctx, tx, e) })
}

// Denied records a permission denial and returns the Forbidden error to
// hand back to the caller.
func (l *Log) Denied(ctx context.Context, action, objectType, objectID string) error {
	_ = l.Write(ctx, Entry{Action: "access.denied", ObjectType: objectType, ObjectID: objectID, Detail: action})
	return access.Deny(action)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// hashOf is SHA-256 over the previous hash and every field, each
// length-prefixed so no two different rows serialise alike.
func hashOf(e Entry) string {
	h := sha256.New()
	for _, f := range []string{
		e.PrevHash,
		e.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(e.ActorUserID, 10),
		e.Actor,
		strconv.FormatInt(e.AgencyID, 10),
		e.Action, e.ObjectType, e.ObjectID, e.IP, e.Detail,
	} {
		fmt.Fprintf(h, "%d:%s|", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyResult is the outcome of walking the chain.
type VerifyResult struct {
	Rows     int64
	OK       bool
	BrokenID int64
	Reason   string
}

// Verify walks the whole chain in id order and reports the first row whose
// stored hash or link does not match. Only admins and the system may run it.
func (l *Log) Verify(ctx context.Context) (VerifyResult, error) {
	if p := access.From(ctx); p == nil || !p.Has(access.Admin) {
		return VerifyResult{}, access.Deny("verify the audit log")
	}
	rows, err := l.db.Query(ctx, `SELECT `+columns+` FROM audit_log ORDER BY id`)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	res := VerifyResult{OK: true}
	prev := genesis
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return res, fmt.Errorf("audit: verify: %w", err)
		}
		res.Rows++
		switch {
		case e.PrevHash != prev:
			return VerifyResult{Rows: res.Rows, BrokenID: e.ID, Reason: "link to the previous row is broken (a row was deleted or altered)"}, nil
		case hashOf(e) != e.Hash:
			return VerifyResult{Rows: res.Rows, BrokenID: e.ID, Reason: "row content does not match its hash (the row was altered)"}, nil
		}
		prev = e.Hash
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("audit: verify: %w", err)
	}
	return res, nil
}

const columns = `id, at, COALESCE(actor_user_id, 0), actor, COALESCE(agency_id, 0), action, object_type, object_id, ip, detail, prev_hash, hash`

type scanner interface{ Scan(...any) error }

func scan(r scanner) (Entry, error) {
	var e Entry
	var at store.Time
	err := r.Scan(&e.ID, &at, &e.ActorUserID, &e.Actor, &e.AgencyID, &e.Action, &e.ObjectType, &e.ObjectID, &e.IP, &e.Detail, &e.PrevHash, &e.Hash)
	e.At = at.Time
	return e, err
}

// Filter narrows a listing. Before is the keyset cursor: rows with smaller
// ids than it.
type Filter struct {
	Action   string
	Actor    string
	Object   string
	AgencyID int64
	Since    time.Time
	Until    time.Time
	Before   int64
	Limit    int
}

// List returns rows newest first, within the caller's scope: admins all,
// coordinators their own agency's. The second result is the cursor for the
// next page (0 when there is none).
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, int64, error) {
	p := access.From(ctx)
	all, agency, ok := access.AuditScope(p)
	if !ok {
		return nil, 0, l.Denied(ctx, "read the audit log", "audit", "")
	}
	if !all {
		f.AgencyID = agency
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Action != "" {
		add("action LIKE ?", strings.TrimSpace(f.Action)+"%")
	}
	if f.Actor != "" {
		add("actor LIKE ?", "%"+strings.TrimSpace(f.Actor)+"%")
	}
	if f.Object != "" {
		add("object_type = ?", strings.TrimSpace(f.Object))
	}
	if f.AgencyID != 0 {
		add("agency_id = ?", f.AgencyID)
	}
	if !f.Since.IsZero() {
		add("at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.UTC())
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	q := `SELECT ` + columns + ` FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit+1)
	rows, err := l.db.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("audit: list: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// DayCount is the number of audit rows on one day (UTC).
type DayCount struct {
	Day   string `json:"day"`
	Count int    `json:"count"`
}

// Daily counts rows per UTC day for the last days days up to now, within
// the caller's scope (all for admins, their agency's for others — every
// signed-in user may see how busy their own agency was).
func (l *Log) Daily(ctx context.Context, days int) ([]DayCount, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if days < 1 || days > 366 {
		return nil, errs.Field("days", "must be from 1 to 366")
	}
	since := l.now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	q := `SELECT at FROM audit_log WHERE at >= ?`
	args := []any{since}
	if !p.Has(access.Admin) {
		q += ` AND agency_id = ?`
		args = append(args, p.AgencyID)
	}
	rows, err := l.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: daily: %w", err)
	}
	defer rows.Close()
	perDay := map[string]int{}
	for rows.Next() {
		var t store.Time
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("audit: daily: %w", err)
		}
		perDay[t.Time.Format("2006-01-02")]++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: daily: %w", err)
	}
	out := make([]DayCount, days)
	for i := range out {
		day := since.AddDate(0, 0, i).Format("2006-01-02")
		out[i] = DayCount{Day: day, Count: perDay[day]}
	}
	return out, nil
}
