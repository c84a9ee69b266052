package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/store"
)

// SMTPConfig is where e-mail goes. An empty Addr disables e-mail: queued
// e-mails then fail with a clear error in the delivery log.
type SMTPConfig struct {
	Addr     string // host:port
	From     string // envelope and header sender
	Username string // optional; PLAIN auth, only over TLS or to localhost
	Password string
	// StartTLS requires STARTTLS (recommended); when false it is still
	// used if the server offers it.
	StartTLS bool
	// TLSConfig overrides the TLS settings (tests, private CAs).
	TLSConfig *tls.Config
}

// DispatchConfig tunes delivery.
type DispatchConfig struct {
	SMTP        SMTPConfig
	MaxAttempts int           // default 8
	Backoff     time.Duration // first retry delay, doubled each time (default 30s, capped at 6h)
	Timeout     time.Duration // per attempt (default 15s)
	Batch       int           // deliveries per round (default 50)
	// HTTPClient sends webhooks; the default neither follows redirects nor
	// waits longer than Timeout.
	HTTPClient *http.Client
}

// Dispatcher delivers the outbox.
type Dispatcher struct {
	db  *store.DB
	cfg DispatchConfig
	log *slog.Logger
	now func() time.Time
}

// NewDispatcher returns a dispatcher over db.
func NewDispatcher(db *store.DB, cfg DispatchConfig, log *slog.Logger, now func() time.Time) *Dispatcher {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 30 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 50
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Dispatcher{db: db, cfg: cfg, log: log, now: now}
}

// backoff is the delay before attempt n+1 after n failures.
func (d *Dispatcher) backoff(n int) time.Duration {
	b := d.cfg.Backoff
	for i := 1; i < n && b < 6*time.Hour; i++ {
		b *= 2
	}
	return min(b, 6*time.Hour)
}

// RunOnce delivers the due deliveries once and returns how many were
// attempted. Each outcome is written back; a failure is retried later
// until MaxAttempts, then marked failed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	due, err := deliveries(ctx, d.db, `status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?`, d.now().UTC(), d.cfg.Batch)
	if err != nil {
		return 0, err
	}
	for _, dl := range due {
		status, sendErr := d.send(ctx, dl)
		now := d.now().UTC().Truncate(time.Microsecond)
		attempts := dl.Attempts + 1
		var q string
		var args []any
		switch {
		case sendErr == nil:
			q, args = `UPDATE notify_outbox SET status = 'sent', attempts = ?, last_error = '', last_status = ?, sent_at = ? WHERE id = ?`,
				[]any{attempts, status, now, dl.ID}
		case attempts >= d.cfg.MaxAttempts:
			q, args = `UPDATE notify_outbox SET status = 'failed', attempts = ?, last_error = ?, last_status = ? WHERE id = ?`,
				[]any{attempts, clip(sendErr.Error()), status, dl.ID}
		default:
			q, args = `UPDATE notify_outbox SET attempts = ?, last_error = ?, last_status = ?, next_at = ? WHERE id = ?`,
				[]any{attempts, clip(sendErr.Error()), status, now.Add(d.backoff(attempts)), dl.ID}
		}
		if sendErr != nil {
			d.log.Warn("notification delivery failed", "id", dl.ID, "channel", dl.Channel, "attempt", attempts, "err", sendErr)
		}
		if _, err := d.db.Exec(ctx, q, args...); err != nil {
			return 0, fmt.Errorf("notify: record delivery %d: %w", dl.ID, err)
		}
	}
	return len(due), nil
}

func clip(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

// Run delivers every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("notification dispatch", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Dispatcher) send(ctx context.Context, dl Delivery) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	var body, secret string
	q := `SELECT o.body, COALESCE(w.secret, '') FROM notify_outbox o LEFT JOIN notify_webhooks w ON w.id = o.webhook_id WHERE o.id = ?`
	if err := d.db.QueryRow(ctx, q, dl.ID).Scan(&body, &secret); err != nil {
		return 0, fmt.Errorf("read delivery: %w", err)
	}
	switch dl.Channel {
	case "email":
		return 0, d.mail(ctx, dl.Target, dl.Subject, body, dl.ID)
	case "webhook":
		return d.post(ctx, dl, body, secret)
	}
	return 0, fmt.Errorf("unknown channel %q", dl.Channel)
}

// Sign returns the X-Bulwark-Signature value of a webhook body sent at
// timestamp (Unix seconds): "sha256=" and the hex HMAC-SHA256, keyed with
// the webhook's secret, of "<timestamp>.<body>". Receivers recompute it
// and compare in constant time, and refuse old timestamps (replays).
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature made by Sign.
func Verify(secret string, timestamp int64, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

func (d *Dispatcher) post(ctx context.Context, dl Delivery, payload, secret string) (int, error) {
	body, err := json.Marshal(map[string]any{"id": dl.ID, "event": dl.Event, "created_at": dl.CreatedAt, "data": json.RawMessage(payload)})
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.Target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	ts := d.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Bulwark-Webhook/1")
	req.Header.Set("X-Bulwark-Event", dl.Event)
	req.Header.Set("X-Bulwark-Delivery", strconv.FormatInt(dl.ID, 10))
	req.Header.Set("X-Bulwark-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Bulwark-Signature", Sign(secret, ts, body))
	resp, err := d.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// mail sends one plain-text e-mail, UTF-8, quoted-printable.
func (d *Dispatcher) mail(ctx context.Context, to, subject, text string, id int64) error {
	c := d.cfg.SMTP
	if c.Addr == "" {
		return errors.New("e-mail is not configured (no SMTP server)")
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("smtp address: %w", err)
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("smtp connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp greeting: %w", err)
	}
	defer cl.Close()
	if err := cl.Hello("bulwark"); err != nil {
		return fmt.Errorf("smtp hello: %w", err)
	}
	if ok, _ := cl.Extension("STARTTLS"); ok {
		tc := c.TLSConfig
		if tc == nil {
			tc = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if err := cl.StartTLS(tc); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	} else if c.StartTLS {
		return errors.New("the SMTP server does not offer STARTTLS, which is required")
	}
	if c.Username != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := cl.Mail(c.From); err != nil {
		return fmt.Errorf("smtp from: %w", err)
	}
	if err := cl.Rcpt(to); err != nil {
		return fmt.Errorf("smtp rcpt: %w", err)
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := w.Write(compose(c.From, to, subject, text, d.now(), id, host)); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp end of data: %w", err)
	}
	return cl.Quit()
}

// compose builds the message: headers with RFC 2047 encoded words for
// the Vietnamese subject, a quoted-printable UTF-8 body.
func compose(from, to, subject, text string, now time.Time, id int64, host string) []byte {
	var b bytes.Buffer
	clean := func(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
	fmt.Fprintf(&b, "From: %s\r\n", clean(from))
	fmt.Fprintf(&b, "To: %s\r\n", clean(to))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", clean(subject)))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <notify-%d-%d@%s>\r\n", id, now.UnixNano(), clean(host))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\nAuto-Submitted: auto-generated\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n")))
	_ = qp.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}
