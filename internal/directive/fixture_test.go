package directive_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/audit"
	"bulwark/internal/blob"
	"bulwark/internal/directive"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// set moves the clock to noon (province time) of date YYYY-MM-DD.
func (c *clock) set(date string) {
	d, err := time.Parse("2006-01-02", date)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = d.Add(5 * time.Hour) // 12:00 ICT
	c.mu.Unlock()
}

// env is a migrated database with the agencies of a small province.
type env struct {
	db    *store.DB
	svc   *directive.Service
	ag    *agency.Service
	log   *audit.Log
	clock *clock
	ids   map[string]int64 // agency code -> id
	dec   int64            // a decision id
	mail  *mailer
}

// mailer records notifications and serves fixed addresses per agency.
type mailer struct {
	mu   sync.Mutex
	sent []directive.Notification
	to   map[int64][]string
}

func (m *mailer) Notify(_ context.Context, _ store.Querier, n directive.Notification) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, n)
	return nil
}

func (m *mailer) AgencyEmails(_ context.Context, id int64) ([]string, error) { return m.to[id], nil }

func (m *mailer) events() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, n := range m.sent {
		out = append(out, n.Event)
	}
	return out
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	c := &clock{}
	c.set("2026-01-15")
	log := audit.New(db, c.now)
	ag := agency.NewService(db, log, c.now)
	e := &env{db: db, ag: ag, log: log, clock: c, ids: map[string]int64{}}
	sys := access.With(context.Background(), access.SystemPrincipal())
	for _, a := range []agency.AgencyInput{
		{Code: "CAT", NameVI: "Công an tỉnh", Kind: agency.KindStanding},
		{Code: "SKHCN", NameVI: "Sở Khoa học và Công nghệ", Kind: agency.KindDepartment},
		{Code: "VTL", NameVI: "Viettel Bình An", Kind: agency.KindTelecom},
		{Code: "BCH", NameVI: "Bộ Chỉ huy Quân sự tỉnh", Kind: agency.KindMilitary},
		{Code: "OLD", NameVI: "Sở cũ", Kind: agency.KindDepartment},
	} {
		got, err := ag.CreateAgency(sys, a)
		if err != nil {
			t.Fatalf("CreateAgency(%s) = %v", a.Code, err)
		}
		e.ids[a.Code] = got.ID
	}
	if err := ag.MergeAgency(sys, e.ids["OLD"], e.ids["SKHCN"], "merger"); err != nil {
		t.Fatal(err)
	}
	d, err := ag.CreateDecision(sys, agency.Decision{Number: "78/QĐ-TB", Date: "2026-01-10", Title: "Phân công nhiệm vụ năm 2026", Kind: agency.DecisionAssignment})
	if err != nil {
		t.Fatal(err)
	}
	e.dec = d.ID
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e.mail = &mailer{to: map[int64][]string{e.ids["CAT"]: {"cat@example.vn"}, e.ids["SKHCN"]: {"skhcn@example.vn"}, e.ids["VTL"]: {"vtl@example.vn"}, e.ids["BCH"]: {"bch@example.vn"}}}
	e.svc = directive.NewService(directive.Deps{DB: db, Audit: log, Blobs: blobs, Notifier: e.mail, Recipients: e.mail, Now: c.now}, directive.Config{BaseURL: "https://bulwark.example"})
	return e
}

func as(p *access.Principal) context.Context { return access.With(context.Background(), p) }

// coord is a coordinator of the standing agency (an issuer).
func (e *env) coord() context.Context {
	return as(&access.Principal{UserID: 10, Email: "coord@cat.vn", AgencyID: e.ids["CAT"], AgencyCode: "CAT", Standing: true, Roles: []access.Role{access.Coordinator}})
}

// member is a user of agency code with role r.
func (e *env) member(code string, r access.Role) context.Context {
	return as(&access.Principal{UserID: 20 + e.ids[code], Email: "user@" + code, AgencyID: e.ids[code], AgencyCode: code, Roles: []access.Role{r}})
}

func wantKind(t *testing.T, what string, err error, kind errs.Kind, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s = nil error, want %v", what, kind)
	}
	if got := errs.KindOf(err); got != kind {
		t.Fatalf("%s = %v (kind %v), want kind %v", what, err, got, kind)
	}
	if field != "" && errs.FieldOf(err) != field {
		t.Fatalf("%s = %v (field %q), want field %q", what, err, errs.FieldOf(err), field)
	}
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s = %v", what, err)
		}
		return v
	}
}
