package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/notify"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// mailbox is a real SMTP server (emersion/go-smtp) that keeps what it
// receives.
type mailbox struct {
	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data []byte
}

type session struct {
	box *mailbox
	cur received
}

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{box: b}, nil }
func (s *session) Reset()                                      { s.cur = received{} }
func (s *session) Logout() error                               { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "bounce") {
		return &smtp.SMTPError{Code: 550, Message: "no such mailbox"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.cur)
	s.box.mu.Unlock()
	return nil
}

func startSMTP(t *testing.T) (*mailbox, string) {
	t.Helper()
	box := &mailbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return box, ln.Addr().String()
}

func adminCtx() context.Context {
	return access.With(context.Background(), &access.Principal{UserID: 1, Email: "admin@example.vn", Roles: []access.Role{access.Admin}})
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func enqueue(t *testing.T, db *store.DB, o *notify.Outbox, m notify.Message) {
	t.Helper()
	if err := db.Transact(context.Background(), func(tx *store.Tx) error { return o.Enqueue(context.Background(), tx, m) }); err != nil {
		t.Fatal(err)
	}
}

func TestEmailOverSMTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box, addr := startSMTP(t)
		clk := &fakeClock{t: time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)}
		o := notify.NewOutbox(db, nil, clk.now)
		d := notify.NewDispatcher(db, notify.DispatchConfig{SMTP: notify.SMTPConfig{Addr: addr, From: "bulwark@binhan.gov.vn"}, Backoff: time.Minute, MaxAttempts: 2}, nil, clk.now)
		enqueue(t, db, o, notify.Message{Event: "incident.assigned", Emails: []string{"phantich@skhcn.vn", "bounce@skhcn.vn", "phantich@skhcn.vn"},
			Subject: "[Bulwark] SC-2026-0001 Nhiệm vụ mới: Ngăn chặn", Text: "Sự cố SC-2026-0001 — cổng thông tin bị thay đổi giao diện\nhttps://bulwark/incidents/1"})
		n, err := d.RunOnce(context.Background())
		if err != nil || n != 2 {
			t.Fatalf("RunOnce = %d, %v (duplicates are queued once)", n, err)
		}
		box.mu.Lock()
		msgs := append([]received(nil), box.msgs...)
		box.mu.Unlock()
		if len(msgs) != 1 || msgs[0].to[0] != "phantich@skhcn.vn" || msgs[0].from != "bulwark@binhan.gov.vn" {
			t.Fatalf("server received %+v", msgs)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(msgs[0].data)))
		if err != nil {
			t.Fatal(err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil || subject != "[Bulwark] SC-2026-0001 Nhiệm vụ mới: Ngăn chặn" {
			t.Errorf("subject = %q, %v", subject, err)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
		if !strings.Contains(string(body), "cổng thông tin bị thay đổi giao diện") {
			t.Errorf("body = %q", body)
		}
		// The bounced address is retried with backoff, then marked failed.
		log, total, err := o.Deliveries(adminCtx(), 10, 0)
		if err != nil || total != 2 {
			t.Fatalf("Deliveries = %d, %v", total, err)
		}
		var bounced notify.Delivery
		for _, x := range log {
			if x.Target == "bounce@skhcn.vn" {
				bounced = x
			}
		}
		if bounced.Status != "pending" || bounced.Attempts != 1 || !strings.Contains(bounced.LastError, "550") || !bounced.NextAt.Equal(clk.now().Add(time.Minute)) {
			t.Errorf("bounced after one try = %+v", bounced)
		}
		if n, _ := d.RunOnce(context.Background()); n != 0 {
			t.Errorf("retried before the backoff: %d", n)
		}
		clk.add(2 * time.Minute)
		if n, _ := d.RunOnce(context.Background()); n != 1 {
			t.Errorf("not retried after the backoff")
		}
		log, _, _ = o.Deliveries(adminCtx(), 10, 0)
		for _, x := range log {
			if x.Target == "bounce@skhcn.vn" && (x.Status != "failed" || x.Attempts != 2) {
				t.Errorf("after max attempts = %+v", x)
			}
		}
		_, _, err = o.Deliveries(access.With(context.Background(), &access.Principal{UserID: 2, Roles: []access.Role{access.Coordinator}}), 10, 0)
		if !errs.Is(err, errs.Forbidden) {
			t.Errorf("coordinator reads delivery log: %v", err)
		}
	})
}

func TestWebhooksSignedAndRetried(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var calls atomic.Int32
		var mu sync.Mutex
		var got []*http.Request
		var bodies [][]byte
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got, bodies = append(got, r), append(bodies, b)
			mu.Unlock()
			if calls.Add(1) == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(srv.Close)
		clk := &fakeClock{t: time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)}
		o := notify.NewOutbox(db, nil, clk.now)
		d := notify.NewDispatcher(db, notify.DispatchConfig{Backoff: time.Second}, nil, clk.now)
		_, err := o.CreateWebhook(access.With(context.Background(), &access.Principal{UserID: 2, Roles: []access.Role{access.Coordinator}}), "siem", srv.URL, nil)
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("coordinator creates webhook: %v", err)
		}
		for _, bad := range []string{"ftp://x", "/relative", "https://user:pw@x.vn/", strings.Repeat("h", 3000)} {
			if _, err := o.CreateWebhook(adminCtx(), "x", bad, nil); errs.FieldOf(err) != "url" {
				t.Errorf("CreateWebhook(%.30q) = %v", bad, err)
			}
		}
		hook, err := o.CreateWebhook(adminCtx(), "SIEM tỉnh", srv.URL+"/hook", []string{"incident.status"})
		if err != nil || !strings.HasPrefix(hook.Secret, "whsec_") {
			t.Fatalf("CreateWebhook = %+v, %v", hook, err)
		}
		other, _ := o.CreateWebhook(adminCtx(), "other", srv.URL+"/other", []string{"incident.created"})
		if err := o.SetWebhookActive(adminCtx(), other.ID, false); err != nil {
			t.Fatal(err)
		}
		enqueue(t, db, o, notify.Message{Event: "incident.status", Payload: map[string]any{"ref": "SC-2026-0001", "status": "contained"}})
		enqueue(t, db, o, notify.Message{Event: "incident.assigned", Payload: map[string]any{"ref": "SC-2026-0001"}})
		if n, err := d.RunOnce(context.Background()); err != nil || n != 1 {
			t.Fatalf("first round = %d, %v (one subscribed webhook)", n, err)
		}
		clk.add(2 * time.Second)
		if n, err := d.RunOnce(context.Background()); err != nil || n != 1 {
			t.Fatalf("retry round = %d, %v", n, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 2 {
			t.Fatalf("webhook called %d times", len(got))
		}
		r, body := got[1], bodies[1]
		ts, _ := strconv.ParseInt(r.Header.Get("X-Bulwark-Timestamp"), 10, 64)
		if !notify.Verify(hook.Secret, ts, body, r.Header.Get("X-Bulwark-Signature")) {
			t.Errorf("signature %q does not verify", r.Header.Get("X-Bulwark-Signature"))
		}
		if notify.Verify("whsec_wrong", ts, body, r.Header.Get("X-Bulwark-Signature")) {
			t.Error("a wrong secret verifies")
		}
		var env struct {
			Event string         `json:"event"`
			Data  map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.Event != "incident.status" || env.Data["status"] != "contained" || r.Header.Get("X-Bulwark-Event") != "incident.status" {
			t.Errorf("payload %s, %v", body, err)
		}
		log, _, _ := o.Deliveries(adminCtx(), 10, 0)
		if len(log) != 1 || log[0].Status != "sent" || log[0].Attempts != 2 || log[0].LastStatus != 204 {
			t.Errorf("delivery log = %+v", log)
		}
		hooks, _ := o.Webhooks(adminCtx())
		for _, h := range hooks {
			if h.Secret != "" {
				t.Error("Webhooks shows a secret")
			}
		}
	})
}

func TestSMTPDisabled(t *testing.T) {
	db := storetest.SQLite(t)
	o := notify.NewOutbox(db, nil, nil)
	d := notify.NewDispatcher(db, notify.DispatchConfig{}, nil, nil)
	enqueue(t, db, o, notify.Message{Event: "x", Emails: []string{"a@b.vn"}, Subject: "s", Text: "t"})
	if _, err := d.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	log, _, _ := o.Deliveries(adminCtx(), 10, 0)
	if len(log) != 1 || !strings.Contains(log[0].LastError, "not configured") {
		t.Errorf("log = %+v", log)
	}
}
