package directive_test

import (
	"context"
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"bulwark/internal/access"
	"bulwark/internal/directive"
	"bulwark/internal/notify"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// smtpBox is a real SMTP server (emersion/go-smtp) that keeps what it
// receives.
type smtpBox struct {
	mu   sync.Mutex
	msgs []smtpMsg
}

type smtpMsg struct {
	to   []string
	data []byte
}

type smtpSession struct {
	box *smtpBox
	cur smtpMsg
}

func (b *smtpBox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{box: b}, nil }
func (s *smtpSession) Reset()                                  { s.cur = smtpMsg{} }
func (s *smtpSession) Logout() error                           { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error    { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
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

// subjects returns the decoded subjects received by address to.
func (b *smtpBox) subjects(t *testing.T, to string) []string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.msgs {
		if len(m.to) == 0 || m.to[0] != to {
			continue
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(m.data)))
		if err != nil {
			t.Fatal(err)
		}
		s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// outbox adapts notify.Outbox to the directive Notifier, as the app does.
type outbox struct{ o *notify.Outbox }

func (n outbox) Notify(ctx context.Context, q store.Querier, x directive.Notification) error {
	return n.o.Enqueue(ctx, q, notify.Message{Event: x.Event, Emails: x.Emails, Subject: x.Subject, Text: x.Text, Payload: x.Payload})
}

// TestRemindersOverSMTP sends the reminders through the real outbox and
// dispatcher to a real SMTP server: 7 days before, 1 day before, overdue,
// each once.
func TestRemindersOverSMTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		box := &smtpBox{}
		srv := smtp.NewServer(box)
		srv.Domain = "localhost"
		srv.AllowInsecureAuth = true
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		ob := notify.NewOutbox(db, e.log, e.clock.now)
		disp := notify.NewDispatcher(db, notify.DispatchConfig{SMTP: notify.SMTPConfig{Addr: ln.Addr().String(), From: "bulwark@binhan.gov.vn"}}, nil, e.clock.now)
		svc := directive.NewService(directive.Deps{DB: db, Audit: e.log, Notifier: outbox{ob}, Recipients: e.mail, Now: e.clock.now}, directive.Config{})
		d, err := svc.Create(e.coord(), directive.Input{Title: "Báo cáo 6 tháng", LeadAgencyCode: "SKHCN", CoordinatingCodes: []string{"BCH"}, DueOn: "2026-06-20"})
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			date string
			want int
		}{
			{"2026-06-01", 0}, {"2026-06-13", 1}, {"2026-06-14", 0}, {"2026-06-19", 1}, {"2026-06-20", 0}, {"2026-06-21", 1}, {"2026-06-22", 0},
		}
		for _, s := range steps {
			e.clock.set(s.date)
			n, err := svc.Remind(context.Background())
			if err != nil || n != s.want {
				t.Fatalf("Remind on %s = %d, %v; want %d", s.date, n, err, s.want)
			}
		}
		if _, err := disp.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := box.subjects(t, "skhcn@example.vn")
		want := []string{"[Bulwark] Nhiệm vụ mới: Báo cáo 6 tháng", "[Bulwark] Còn 7 ngày: Báo cáo 6 tháng", "[Bulwark] Còn 1 ngày: Báo cáo 6 tháng", "[Bulwark] Quá hạn: Báo cáo 6 tháng"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("lead received %q, want %q", got, want)
		}
		if got := box.subjects(t, "bch@example.vn"); len(got) != 4 {
			t.Errorf("coordinating agency received %d e-mails, want 4", len(got))
		}
		// A done task is not reminded.
		e.clock.set("2026-06-22")
		if _, err := svc.Complete(e.member("SKHCN", access.Analyst), d.ID, directive.Report{Note: "Đã gửi"}); err != nil {
			t.Fatal(err)
		}
		if n, _ := svc.Remind(context.Background()); n != 0 {
			t.Errorf("Remind after completion = %d", n)
		}
	})
}
