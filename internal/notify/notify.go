// Package notify sends Bulwark's notifications: e-mail over SMTP and
// outgoing webhooks signed with HMAC-SHA256. Capabilities queue messages in
// an outbox table inside the transaction of the change that causes them
// (so a rolled-back change notifies nobody); a dispatcher delivers due
// messages, retries failures with exponential backoff, and keeps every
// attempt's outcome in the delivery log that admins read.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Message is one notification to queue.
type Message struct {
	Event   string   // e.g. incident.assigned
	Emails  []string // one e-mail is queued per address
	Subject string
	Text    string
	// Payload is the webhook body's "data"; webhooks subscribed to Event
	// get it.
	Payload map[string]any
}

// Delivery is one queued message to one target, with its outcome.
type Delivery struct {
	ID         int64      `json:"id"`
	Channel    string     `json:"channel"` // email or webhook
	Target     string     `json:"target"`
	WebhookID  int64      `json:"webhook_id,omitempty"`
	Event      string     `json:"event"`
	Subject    string     `json:"subject,omitempty"`
	Status     string     `json:"status"` // pending, sent, failed
	Attempts   int        `json:"attempts"`
	NextAt     time.Time  `json:"next_at"`
	LastError  string     `json:"last_error,omitempty"`
	LastStatus int        `json:"last_status,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
}

// Webhook is an outgoing webhook subscription.
type Webhook struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"` // empty: every event
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	// Secret is shown once, when the webhook is created.
	Secret string `json:"secret,omitempty"`
}

// Outbox queues messages and manages webhooks. It is safe for concurrent
// use.
type Outbox struct {
	db  *store.DB
	log *audit.Log
	now func() time.Time
}

// NewOutbox returns an Outbox over db; now is the clock (time.Now when nil).
func NewOutbox(db *store.DB, log *audit.Log, now func() time.Time) *Outbox {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = audit.New(db, now)
	}
	return &Outbox{db: db, log: log, now: now}
}

const (
	maxEmails  = 200
	maxSubject = 300
	maxText    = 20000
)

// Enqueue queues m inside q (the caller's transaction): one e-mail per
// address and one webhook call per active webhook subscribed to m.Event.
func (o *Outbox) Enqueue(ctx context.Context, q store.Querier, m Message) error {
	if len(m.Emails) > maxEmails {
		m.Emails = m.Emails[:maxEmails]
	}
	if len(m.Subject) > maxSubject {
		m.Subject = m.Subject[:maxSubject]
	}
	if len(m.Text) > maxText {
		m.Text = m.Text[:maxText]
	}
	now := o.now().UTC().Truncate(time.Microsecond)
	seen := map[string]bool{}
	for _, e := range m.Emails {
		e = strings.TrimSpace(e)
		if e == "" || seen[e] || strings.ContainsAny(e, "\r\n") {
			continue
		}
		seen[e] = true
		if _, err := q.Exec(ctx, `INSERT INTO notify_outbox (channel, target, event, subject, body, status, next_at, created_at)
			VALUES ('email', ?, ?, ?, ?, 'pending', ?, ?)`, e, m.Event, m.Subject, m.Text, now, now); err != nil {
			return fmt.Errorf("notify: queue e-mail: %w", err)
		}
	}
	hooks, err := webhooks(ctx, q, true)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if len(h.Events) > 0 && !slices.Contains(h.Events, m.Event) {
			continue
		}
		if _, err := q.Exec(ctx, `INSERT INTO notify_outbox (channel, target, webhook_id, event, subject, body, status, next_at, created_at)
			VALUES ('webhook', ?, ?, ?, '', ?, 'pending', ?, ?)`, h.URL, h.ID, m.Event, string(mustJSON(m.Payload)), now, now); err != nil {
			return fmt.Errorf("notify: queue webhook: %w", err)
		}
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return b
}

func webhooks(ctx context.Context, q store.Querier, activeOnly bool) ([]Webhook, error) {
	query := `SELECT id, name, url, events, active, created_at FROM notify_webhooks`
	if activeOnly {
		query += ` WHERE active`
	}
	rows, err := q.Query(ctx, query+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("notify: webhooks: %w", err)
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		var h Webhook
		var events string
		var at store.Time
		if err := rows.Scan(&h.ID, &h.Name, &h.URL, &events, &h.Active, &at); err != nil {
			return nil, err
		}
		h.CreatedAt = at.Time
		h.Events = []string{}
		for _, e := range strings.Split(events, ",") {
			if e != "" {
				h.Events = append(h.Events, e)
			}
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func admin(ctx context.Context, l *audit.Log, action string) error {
	p, err := access.Require(ctx)
	if err != nil {
		return err
	}
	if !p.Has(access.Admin) {
		return l.Denied(ctx, action, "webhook", "")
	}
	return nil
}

// CheckURL accepts an absolute http or https URL of at most 2000 bytes
// without credentials.
func CheckURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > 2000 {
		return "", errs.Field("url", "must be at most 2000 bytes")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errs.Field("url", "must be an absolute http or https URL")
	}
	if u.User != nil {
		return "", errs.Field("url", "must not carry a user name or password; the signature authenticates Bulwark")
	}
	return u.String(), nil
}

// CreateWebhook adds a webhook (admins only) and returns it with its
// signing secret, shown this once.
func (o *Outbox) CreateWebhook(ctx context.Context, name, rawURL string, events []string) (Webhook, error) {
	if err := admin(ctx, o.log, "manage webhooks"); err != nil {
		return Webhook{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 || strings.ContainsAny(name, "\r\n") {
		return Webhook{}, errs.Field("name", "is required, one line, at most 100 characters")
	}
	u, err := CheckURL(rawURL)
	if err != nil {
		return Webhook{}, err
	}
	if len(events) > 20 {
		return Webhook{}, errs.Field("events", "at most 20 events")
	}
	for _, e := range events {
		if len(e) > 64 || strings.ContainsAny(e, ", \r\n") || e == "" {
			return Webhook{}, errs.Field("events", "event names are one word of at most 64 characters")
		}
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret := "whsec_" + hex.EncodeToString(b[:])
	h := Webhook{Name: name, URL: u, Events: events, Active: true, CreatedAt: o.now().UTC().Truncate(time.Microsecond), Secret: secret}
	if h.Events == nil {
		h.Events = []string{}
	}
	err = o.db.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO notify_webhooks (name, url, secret, events, active, created_at) VALUES (?, ?, ?, ?, TRUE, ?) RETURNING id`,
			name, u, secret, strings.Join(events, ","), h.CreatedAt).Scan(&h.ID); err != nil {
			return fmt.Errorf("notify: create webhook: %w", err)
		}
		return o.log.Record(ctx, tx, audit.Entry{Action: "webhook.create", ObjectType: "webhook", ObjectID: fmt.Sprint(h.ID), Detail: u})
	})
	return h, err
}

// SetWebhookActive turns a webhook on or off (admins only).
func (o *Outbox) SetWebhookActive(ctx context.Context, id int64, active bool) error {
	if err := admin(ctx, o.log, "manage webhooks"); err != nil {
		return err
	}
	return o.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE notify_webhooks SET active = ? WHERE id = ?`, active, id)
		if err != nil {
			return fmt.Errorf("notify: webhook %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "no such webhook")
		}
		return o.log.Record(ctx, tx, audit.Entry{Action: "webhook.active", ObjectType: "webhook", ObjectID: fmt.Sprint(id), Detail: fmt.Sprint(active)})
	})
}

// Webhooks lists the webhooks, without secrets (admins only).
func (o *Outbox) Webhooks(ctx context.Context) ([]Webhook, error) {
	if err := admin(ctx, o.log, "read webhooks"); err != nil {
		return nil, err
	}
	return webhooks(ctx, o.db, false)
}

// Webhook returns one webhook, without its secret (admins only).
func (o *Outbox) Webhook(ctx context.Context, id int64) (Webhook, error) {
	if err := admin(ctx, o.log, "read webhooks"); err != nil {
		return Webhook{}, err
	}
	list, err := webhooks(ctx, o.db, false)
	if err != nil {
		return Webhook{}, err
	}
	for _, h := range list {
		if h.ID == id {
			return h, nil
		}
	}
	return Webhook{}, errs.E(errs.NotFound, "no such webhook")
}

// Deliveries lists the delivery log, newest first (admins only).
func (o *Outbox) Deliveries(ctx context.Context, limit, offset int) ([]Delivery, int, error) {
	return o.deliveryLog(ctx, 0, limit, offset)
}

// WebhookDeliveries lists one webhook's deliveries, newest first (admins
// only).
func (o *Outbox) WebhookDeliveries(ctx context.Context, webhookID int64, limit, offset int) ([]Delivery, int, error) {
	if webhookID <= 0 {
		return nil, 0, errs.E(errs.NotFound, "no such webhook")
	}
	return o.deliveryLog(ctx, webhookID, limit, offset)
}

// deliveryLog lists deliveries, of one webhook when webhookID is set.
func (o *Outbox) deliveryLog(ctx context.Context, webhookID int64, limit, offset int) ([]Delivery, int, error) {
	if err := admin(ctx, o.log, "read the delivery log"); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	offset = max(offset, 0)
	where, args := `1=1`, []any{}
	if webhookID != 0 {
		where, args = `webhook_id = ?`, []any{webhookID}
	}
	var total int
	if err := o.db.QueryRow(ctx, `SELECT COUNT(*) FROM notify_outbox WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("notify: count deliveries: %w", err)
	}
	list, err := deliveries(ctx, o.db, where+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	return list, total, err
}

const deliveryCols = `id, channel, target, COALESCE(webhook_id, 0), event, subject, status, attempts, next_at, last_error, last_status, created_at, sent_at`

func deliveries(ctx context.Context, q store.Querier, where string, args ...any) ([]Delivery, error) {
	rows, err := q.Query(ctx, `SELECT `+deliveryCols+` FROM notify_outbox WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("notify: deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var next, created, sent store.Time
		if err := rows.Scan(&d.ID, &d.Channel, &d.Target, &d.WebhookID, &d.Event, &d.Subject, &d.Status, &d.Attempts, &next,
			&d.LastError, &d.LastStatus, &created, &sent); err != nil {
			return nil, err
		}
		d.NextAt, d.CreatedAt, d.SentAt = next.Time, created.Time, sent.Ptr()
		out = append(out, d)
	}
	return out, rows.Err()
}
