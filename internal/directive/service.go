package directive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/blob"
	"bulwark/internal/errs"
	"bulwark/internal/store"

	"bulwark/internal/textcheck"
)

// Notification is an e-mail the package asks to send; the application
// adapts it to its outbox (internal/notify), inside the caller's
// transaction so a rolled-back change sends nothing.
type Notification struct {
	Event   string
	Emails  []string
	Subject string
	Text    string
	Payload map[string]any
}

// Notifier queues notifications inside q, the transaction of the change.
type Notifier interface {
	Notify(ctx context.Context, q store.Querier, n Notification) error
}

// Recipients gives the addresses that receive an agency's reminders (its
// contact point, its coordinators). It is called without a transaction.
type Recipients interface {
	AgencyEmails(ctx context.Context, agencyID int64) ([]string, error)
}

// Deps are what a Service works with. Blobs, Notifier and Recipients may
// be nil: attachments are then refused and reminders not sent.
type Deps struct {
	DB         *store.DB
	Audit      *audit.Log
	Blobs      blob.Store
	Notifier   Notifier
	Recipients Recipients
	// Principals builds a user's current rights; calendar feeds read with
	// them (nil: feeds are unavailable).
	Principals func(ctx context.Context, userID int64) (*access.Principal, error)
	Now        func() time.Time
}

// Config holds the capability's settings.
type Config struct {
	// MaxFileSize bounds one attachment (default 25 MiB).
	MaxFileSize int64
	// BaseURL prefixes links in e-mails ("" leaves links relative).
	BaseURL string
	// RemindDays are how many days before a deadline reminders go out
	// (default 7 and 1); an overdue reminder always goes out once.
	RemindDays []int
}

// Service manages meetings and directives. It is safe for concurrent use.
type Service struct {
	db    *store.DB
	log   *audit.Log
	blobs blob.Store
	note  Notifier
	rcpt  Recipients
	// principals resolves a feed's owner (see feed.go).
	principals func(ctx context.Context, userID int64) (*access.Principal, error)
	now        func() time.Time
	loc        *time.Location
	cfg        Config
}

// NewService returns a Service over d with cfg.
func NewService(d Deps, cfg Config) *Service {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	log := d.Audit
	if log == nil {
		log = audit.New(d.DB, now)
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 25 << 20
	}
	if len(cfg.RemindDays) == 0 {
		cfg.RemindDays = []int{7, 1}
	}
	// Viet Nam keeps UTC+7 all year; a fixed zone avoids needing tzdata.
	return &Service{db: d.DB, log: log, blobs: d.Blobs, note: d.Notifier, rcpt: d.Recipients, principals: d.Principals, now: now,
		loc: time.FixedZone("ICT", 7*3600), cfg: cfg}
}

// At returns a copy of the service whose clock is now. It exists to record
// past work (the demo province, imports of last year's tasks) and for
// tests: the copy refuses deadlines before its own today, like the real one.
func (s *Service) At(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// Location is the province's time zone, which decides what "today" is.
func (s *Service) Location() *time.Location { return s.loc }

// MaxFileSize is the limit of one attachment, for the HTTP body limits of
// the upload routes.
func (s *Service) MaxFileSize() int64 { return s.cfg.MaxFileSize }

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Today is the current date in the province, YYYY-MM-DD.
func (s *Service) Today() string { return s.now().In(s.loc).Format(dateLayout) }

// writeLock serialises this package's writers on PostgreSQL.
const writeLock = 7331600

func (s *Service) transact(ctx context.Context, fn func(tx *store.Tx) error) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, writeLock); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		return fn(tx)
	})
}

// Limits on input, in runes.
const (
	maxTitle    = 500
	maxShort    = 200
	maxText     = 20_000
	maxMinutes  = 200_000
	maxNote     = 10_000
	maxFileName = 200
	maxAgencies = 50
	maxPeople   = 200
)

const dateLayout = "2006-01-02"

// text describes how cleanText checks one field.
type text struct {
	field     string
	max       int
	required  bool
	multiline bool
}

// cleanText checks one free-text field the way every capability does
// (see internal/textcheck).
func cleanText(t text, s string) (string, error) {
	return textcheck.Clean(textcheck.Field{Name: t.field, Max: t.max, Required: t.required, Multiline: t.multiline}, s)
}

// cleanDate checks a YYYY-MM-DD date (a real day, year 2000..2100).
func cleanDate(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return "", errs.Field(field, "is required")
		}
		return "", nil
	}
	d, err := time.Parse(dateLayout, s)
	if err != nil || len(s) != len(dateLayout) {
		return "", errs.Field(field, "must be a date YYYY-MM-DD")
	}
	if y := d.Year(); y < 2000 || y > 2100 {
		return "", errs.Field(field, "year must be between 2000 and 2100")
	}
	return s, nil
}

func oneOf(field, v string, allowed []string, def string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" && def != "" {
		return def, nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", errs.Field(field, "must be one of %s", strings.Join(allowed, ", "))
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// caller returns the principal or an Unauthorized error.
func caller(ctx context.Context) (*access.Principal, error) { return access.Require(ctx) }

// markdown renders CommonMark with tables; whatever comes out is sanitised
// by bluemonday's UGC policy, so neither layer alone decides what reaches
// the page.
var (
	markdown  = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify))
	sanitizer = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		return p
	}()
)

// RenderMarkdown turns Markdown typed by a person (minutes, directive
// descriptions) into safe HTML: no scripts, no event handlers, no
// javascript: links. It never fails; what it cannot render is escaped.
func RenderMarkdown(src string) template.HTML {
	if len(src) > 4*maxMinutes {
		src = src[:4*maxMinutes]
	}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(sanitizer.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitised just above
}

// denial is a refusal found inside a transaction. The audit row of a
// denial is written in a transaction of its own, which on SQLite must wait
// until the refused one has ended, so act records it afterwards.
type denial struct{ action, objectID string }

func (d *denial) Error() string { return "denied: " + d.action }

// act runs fn like transact and records a denial it returns.
func (s *Service) act(ctx context.Context, fn func(tx *store.Tx) error) error {
	err := s.transact(ctx, fn)
	var dn *denial
	if errors.As(err, &dn) {
		return s.log.Denied(ctx, dn.action, "directive", dn.objectID)
	}
	return err
}
