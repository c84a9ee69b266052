package detect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/detect/decode"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Sensor kinds a source can be: what sends the events, for people. The
// format decides the decoder.
var SensorKinds = []string{"web", "firewall", "ids", "edr", "windows", "wazuh", "dns", "proxy", "other"}

// Limits of source fields.
const (
	MaxSourceName = 200
	MaxSenders    = 32
)

// Source is a sensor registered by an agency.
type Source struct {
	ID       int64  `json:"id"`
	AgencyID int64  `json:"agency_id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	// Format is the decoder (decode.SourceKind).
	Format string `json:"format"`
	// SystemID is the information system the sensor watches, 0 for none;
	// SystemName is its name, for readers who may read that system. Its
	// alerts hit that system when their addresses hit none.
	SystemID   int64  `json:"system_id,omitempty"`
	SystemName string `json:"system_name,omitempty"`
	// TokenHint is the token's first characters, to tell tokens apart.
	TokenHint string `json:"token_hint"`
	// Senders are the addresses a syslog sender without a token may send
	// from (its events are this source's).
	Senders     []string      `json:"senders,omitempty"`
	SilentAfter time.Duration `json:"silent_after_ns"`
	Disabled    bool          `json:"disabled"`
	LastEventAt *time.Time    `json:"last_event_at,omitempty"`
	Accepted    int64         `json:"accepted_total"`
	Rejected    int64         `json:"rejected_total"`
	Matched     int64         `json:"matched_total"`
	CreatedAt   time.Time     `json:"created_at"`
	// Silent is true when the source sent nothing for SilentAfter (or
	// never sent anything and was created longer ago than that).
	Silent bool `json:"silent"`
	// RatePerMinute is the events accepted per minute over the last 15
	// minutes, as seen by this process.
	RatePerMinute float64 `json:"rate_per_minute"`
}

// SourceInput registers or edits a source.
type SourceInput struct {
	AgencyID    int64    `json:"agency_id,omitempty"` // 0: the caller's agency
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Format      string   `json:"format"`
	SystemID    int64    `json:"system_id,omitempty"`
	Senders     []string `json:"senders,omitempty"`
	SilentAfter string   `json:"silent_after,omitempty"` // Go duration, e.g. "30m"; empty: the default
}

// CreatedSource is a new source with its token, shown once.
type CreatedSource struct {
	Source
	Token string `json:"token"`
}

func (s *Service) validateSource(in *SourceInput) (time.Duration, error) {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		return 0, errs.Field("name", "a source needs a name")
	case utf8.RuneCountInString(in.Name) > MaxSourceName || !utf8.ValidString(in.Name):
		return 0, errs.Field("name", "at most %d characters of valid text", MaxSourceName)
	case !slices.Contains(SensorKinds, in.Kind):
		return 0, errs.Field("kind", "must be one of %s", strings.Join(SensorKinds, ", "))
	}
	if _, ok := s.decoders[decode.SourceKind(in.Format)]; !ok {
		names := make([]string, 0, len(s.decoders))
		for _, k := range decode.SourceKinds() {
			names = append(names, string(k))
		}
		return 0, errs.Field("format", "must be one of %s", strings.Join(names, ", "))
	}
	if len(in.Senders) > MaxSenders {
		return 0, errs.Field("senders", "at most %d addresses", MaxSenders)
	}
	for i, a := range in.Senders {
		ip, err := netip.ParseAddr(strings.TrimSpace(a))
		if err != nil {
			return 0, errs.Field("senders", "%q is not an IP address", a)
		}
		in.Senders[i] = ip.Unmap().String()
	}
	d := s.cfg.SilentAfter
	if in.SilentAfter != "" {
		var err error
		if d, err = time.ParseDuration(in.SilentAfter); err != nil || d < time.Minute || d > 30*24*time.Hour {
			return 0, errs.Field("silent_after", "a duration from 1m to 720h, such as 30m or 2h")
		}
	}
	return d, nil
}

// newToken returns a fresh ingest token and its stored hash.
func newToken() (token, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	token = "bws_" + base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSource registers a sensor for the caller's agency (admins may name
// another) and returns it with its ingest token, which is stored hashed
// and shown only this once.
func (s *Service) CreateSource(ctx context.Context, in SourceInput) (CreatedSource, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return CreatedSource{}, err
	}
	if in.AgencyID == 0 {
		in.AgencyID = p.AgencyID
	}
	if !access.CanManageSources(p, in.AgencyID) {
		return CreatedSource{}, access.Deny("register a sensor for this agency")
	}
	silent, err := s.validateSource(&in)
	if err != nil {
		return CreatedSource{}, err
	}
	if err := s.checkWatchedSystem(ctx, p, in.SystemID); err != nil {
		return CreatedSource{}, err
	}
	token, hash := newToken()
	now := s.now()
	var id int64
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO detect_sources (agency_id, name, kind, format, system_id, token_hash, token_hint, senders,
			silent_after_seconds, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.AgencyID, in.Name, in.Kind, in.Format, nullID(in.SystemID), hash, token[:10], strings.Join(in.Senders, ","),
			int64(silent/time.Second), now, now).Scan(&id); err != nil {
			return fmt.Errorf("detect: create source: %w", store.Translate(err))
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "detect.source.create", ObjectType: "detect_source", ObjectID: strconv.FormatInt(id, 10),
			AgencyID: in.AgencyID, Detail: in.Name + " (" + in.Format + ")"})
	})
	if err != nil {
		if errs.Is(err, errs.Conflict) {
			return CreatedSource{}, errs.Field("name", "this agency already has a source with that name")
		}
		return CreatedSource{}, err
	}
	src, err := s.getSource(ctx, s.db, id)
	if err != nil {
		return CreatedSource{}, err
	}
	s.sourceSystemName(p, &src)
	return CreatedSource{Source: src, Token: token}, nil
}

// UpdateSource changes a source's name, kind, format, system, senders and
// silence threshold.
func (s *Service) UpdateSource(ctx context.Context, id int64, in SourceInput) (Source, error) {
	src, err := s.authorizedSource(ctx, id, true)
	if err != nil {
		return Source{}, err
	}
	silent, err := s.validateSource(&in)
	if err != nil {
		return Source{}, err
	}
	if in.SystemID != src.SystemID {
		if err := s.checkWatchedSystem(ctx, access.From(ctx), in.SystemID); err != nil {
			return Source{}, err
		}
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE detect_sources SET name = ?, kind = ?, format = ?, system_id = ?, senders = ?, silent_after_seconds = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.Kind, in.Format, nullID(in.SystemID), strings.Join(in.Senders, ","), int64(silent/time.Second), s.now(), id); err != nil {
			return fmt.Errorf("detect: update source %d: %w", id, store.Translate(err))
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "detect.source.update", ObjectType: "detect_source", ObjectID: strconv.FormatInt(id, 10), AgencyID: src.AgencyID})
	})
	if err != nil {
		return Source{}, err
	}
	s.tokens.clear()
	out, err := s.getSource(ctx, s.db, id)
	if err != nil {
		return Source{}, err
	}
	s.sourceSystemName(access.From(ctx), &out)
	return out, nil
}

// RotateToken replaces a source's token; the old one stops working at once.
func (s *Service) RotateToken(ctx context.Context, id int64) (CreatedSource, error) {
	src, err := s.authorizedSource(ctx, id, true)
	if err != nil {
		return CreatedSource{}, err
	}
	token, hash := newToken()
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE detect_sources SET token_hash = ?, token_hint = ?, updated_at = ? WHERE id = ?`, hash, token[:10], s.now(), id); err != nil {
			return fmt.Errorf("detect: rotate token %d: %w", id, store.Translate(err))
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "detect.source.rotate", ObjectType: "detect_source", ObjectID: strconv.FormatInt(id, 10), AgencyID: src.AgencyID})
	})
	if err != nil {
		return CreatedSource{}, err
	}
	s.tokens.clear()
	src.TokenHint = token[:10]
	return CreatedSource{Source: src, Token: token}, nil
}

// SetSourceDisabled stops (or resumes) accepting a source's events.
func (s *Service) SetSourceDisabled(ctx context.Context, id int64, disabled bool) error {
	src, err := s.authorizedSource(ctx, id, true)
	if err != nil {
		return err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE detect_sources SET disabled = ?, updated_at = ? WHERE id = ?`, disabled, s.now(), id); err != nil {
			return fmt.Errorf("detect: disable source %d: %w", id, store.Translate(err))
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "detect.source.disable", ObjectType: "detect_source", ObjectID: strconv.FormatInt(id, 10),
			AgencyID: src.AgencyID, Detail: strconv.FormatBool(disabled)})
	})
	s.tokens.clear()
	return err
}

// GetSource returns a source the caller may see.
func (s *Service) GetSource(ctx context.Context, id int64) (Source, error) {
	return s.authorizedSource(ctx, id, false)
}

func (s *Service) authorizedSource(ctx context.Context, id int64, manage bool) (Source, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Source{}, err
	}
	src, err := s.getSource(ctx, s.db, id)
	if err != nil {
		return Source{}, err
	}
	if !access.CanReadDetection(p, src.AgencyID) {
		return Source{}, errs.E(errs.NotFound, "no such source")
	}
	if manage && !access.CanManageSources(p, src.AgencyID) {
		return Source{}, access.Deny("change this source")
	}
	s.sourceSystemName(p, &src)
	return src, nil
}

const sourceColumns = `id, agency_id, name, kind, format, COALESCE(system_id, 0), token_hint, senders, silent_after_seconds, disabled,
	last_event_at, accepted_total, rejected_total, matched_total, created_at`

func (s *Service) scanSource(sc interface{ Scan(...any) error }) (Source, error) {
	var src Source
	var senders string
	var silent int64
	var last store.Time
	if err := sc.Scan(&src.ID, &src.AgencyID, &src.Name, &src.Kind, &src.Format, &src.SystemID, &src.TokenHint, &senders, &silent, &src.Disabled,
		&last, &src.Accepted, &src.Rejected, &src.Matched, &src.CreatedAt); err != nil {
		return Source{}, err
	}
	if senders != "" {
		src.Senders = strings.Split(senders, ",")
	}
	src.SilentAfter = time.Duration(silent) * time.Second
	src.LastEventAt = last.Ptr()
	now := s.now()
	ref := src.CreatedAt
	if src.LastEventAt != nil {
		ref = *src.LastEventAt
	}
	src.Silent = !src.Disabled && now.Sub(ref) > src.SilentAfter
	src.RatePerMinute = s.rateOf(src.ID, now)
	return src, nil
}

func (s *Service) getSource(ctx context.Context, q store.Querier, id int64) (Source, error) {
	src, err := s.scanSource(q.QueryRow(ctx, `SELECT `+sourceColumns+` FROM detect_sources WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, errs.E(errs.NotFound, "no such source")
	}
	if err != nil {
		return Source{}, fmt.Errorf("detect: get source %d: %w", id, store.Translate(err))
	}
	return src, nil
}

// ListSources returns the sources the caller sees: its agency's, or every
// agency's for coordinators and admins (agencyID filters, 0 for all).
func (s *Service) ListSources(ctx context.Context, agencyID int64) ([]Source, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !access.CanListAllDetection(p) {
		if agencyID != 0 && agencyID != p.AgencyID {
			return nil, access.Deny("see another agency's sources")
		}
		agencyID = p.AgencyID
	}
	q := `SELECT ` + sourceColumns + ` FROM detect_sources`
	var args []any
	if agencyID != 0 {
		q += ` WHERE agency_id = ?`
		args = append(args, agencyID)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY agency_id, name`, args...)
	if err != nil {
		return nil, fmt.Errorf("detect: list sources: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		src, err := s.scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("detect: list sources: %w", err)
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("detect: list sources: %w", err)
	}
	rows.Close()
	for i := range out {
		s.sourceSystemName(p, &out[i])
	}
	return out, nil
}

// SourceByToken returns the enabled source whose token this is. Any
// failure is Unauthorized with one message, so a guesser learns nothing.
// Lookups are cached for a minute: a syslog sender sends the token with
// every message.
func (s *Service) SourceByToken(ctx context.Context, token string) (Source, error) {
	deny := errs.E(errs.Unauthorized, "unknown or disabled source token")
	if token == "" || len(token) > 200 {
		return Source{}, deny
	}
	hash := hashToken(token)
	if src, ok := s.tokens.get(hash, s.now()); ok {
		return src, nil
	}
	src, err := s.scanSource(s.db.QueryRow(ctx, `SELECT `+sourceColumns+` FROM detect_sources WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, deny
	}
	if err != nil {
		return Source{}, fmt.Errorf("detect: source by token: %w", store.Translate(err))
	}
	if src.Disabled {
		return Source{}, deny
	}
	s.tokens.put(hash, src, s.now())
	return src, nil
}

// SourceBySender returns the enabled source that lists addr among its
// senders (syslog without a token).
func (s *Service) SourceBySender(ctx context.Context, addr netip.Addr) (Source, error) {
	key := "addr:" + addr.Unmap().String()
	if src, ok := s.tokens.get(key, s.now()); ok {
		return src, nil
	}
	rows, err := s.db.Query(ctx, `SELECT `+sourceColumns+` FROM detect_sources WHERE senders <> '' AND disabled = ?`, false)
	if err != nil {
		return Source{}, fmt.Errorf("detect: source by sender: %w", store.Translate(err))
	}
	defer rows.Close()
	want := addr.Unmap().String()
	for rows.Next() {
		src, err := s.scanSource(rows)
		if err != nil {
			return Source{}, fmt.Errorf("detect: source by sender: %w", err)
		}
		if slices.Contains(src.Senders, want) {
			s.tokens.put(key, src, s.now())
			return src, nil
		}
	}
	if err := rows.Err(); err != nil {
		return Source{}, fmt.Errorf("detect: source by sender: %w", err)
	}
	return Source{}, errs.E(errs.Unauthorized, "no source sends from this address")
}

func nullID(id int64) any {
	if id <= 0 {
		return nil
	}
	return id
}

// tokenCache keeps token and sender look-ups for a minute.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedSource
}

type cachedSource struct {
	src Source
	at  time.Time
}

func (c *tokenCache) init() { c.m = map[string]cachedSource{} }

func (c *tokenCache) get(k string, now time.Time) (Source, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.Sub(e.at) > time.Minute || now.Before(e.at) {
		return Source{}, false
	}
	return e.src, true
}

func (c *tokenCache) put(k string, src Source, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10_000 {
		clear(c.m)
	}
	c.m[k] = cachedSource{src, now}
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// rate counts accepted events per minute over the last 15 minutes.
type rate struct {
	minute int64
	counts [15]int64
}

func (s *Service) addRate(id int64, n int, now time.Time) {
	s.ratesMu.Lock()
	defer s.ratesMu.Unlock()
	r := s.rates[id]
	if r == nil {
		r = &rate{}
		s.rates[id] = r
	}
	m := now.Unix() / 60
	r.advance(m)
	r.counts[m%15] += int64(n)
}

func (r *rate) advance(m int64) {
	if m-r.minute >= 15 {
		r.counts = [15]int64{}
	} else {
		for x := r.minute + 1; x <= m; x++ {
			r.counts[x%15] = 0
		}
	}
	if m > r.minute {
		r.minute = m
	}
}

func (s *Service) rateOf(id int64, now time.Time) float64 {
	s.ratesMu.Lock()
	defer s.ratesMu.Unlock()
	r := s.rates[id]
	if r == nil {
		return 0
	}
	r.advance(now.Unix() / 60)
	var sum int64
	for _, c := range r.counts {
		sum += c
	}
	return float64(sum) / 15
}
