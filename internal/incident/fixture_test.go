package incident_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/blob"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/store"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sink records the indicators handed to threat intelligence.
type sink struct {
	mu   sync.Mutex
	got  []incident.Indicator
	fail error
}

func (s *sink) SubmitIndicators(_ context.Context, inds []incident.Indicator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.got = append(s.got, inds...)
	return nil
}

// notifications records what the service queued.
type notifications struct {
	mu  sync.Mutex
	got []incident.Notification
}

func (n *notifications) Notify(_ context.Context, _ store.Querier, x incident.Notification) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, x)
	return nil
}

func (n *notifications) events() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, x := range n.got {
		out = append(out, x.Event)
	}
	return out
}

// world is a small province: the standing agency (police), the Department
// of Science and Technology, a city, a telecom; one person per part.
type world struct {
	svc      *incident.Service
	db       *store.DB
	log      *audit.Log
	clock    *clock
	sink     *sink
	notes    *notifications
	agencies map[string]int64
	people   map[string]*access.Principal
}

func (w *world) as(name string) context.Context {
	p, ok := w.people[name]
	if !ok {
		panic("no person " + name)
	}
	return access.With(context.Background(), p)
}

func system() context.Context { return access.With(context.Background(), access.SystemPrincipal()) }

func newWorld(t testing.TB, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, clock: &clock{t: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}, sink: &sink{}, notes: &notifications{},
		agencies: map[string]int64{}, people: map[string]*access.Principal{}}
	now := w.clock.Now()
	for _, a := range []struct{ code, name, kind string }{
		{"CAT", "Công an tỉnh Bình An", "standing"}, {"SKHCN", "Sở Khoa học và Công nghệ", "department"},
		{"TPBA", "UBND thành phố Bình An", "district"}, {"VTL", "Viettel Bình An", "telecom"},
	} {
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			a.code, a.name, a.kind, now, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		w.agencies[a.code] = id
	}
	for _, u := range []struct {
		name, agency string
		role         access.Role
	}{
		{"admin", "CAT", access.Admin}, {"coord", "CAT", access.Coordinator}, {"cat-analyst", "CAT", access.Analyst},
		{"skhcn", "SKHCN", access.Analyst}, {"reporter", "TPBA", access.Reporter}, {"tpba-analyst", "TPBA", access.Analyst},
		{"tpba-viewer", "TPBA", access.Viewer}, {"telecom", "VTL", access.Liaison},
	} {
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO users (email, name, agency_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			u.name+"@example.vn", u.name, w.agencies[u.agency], now, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES (?, ?)`, id, u.role); err != nil {
			t.Fatal(err)
		}
		w.people[u.name] = &access.Principal{UserID: id, Email: u.name + "@example.vn", Name: u.name, AgencyID: w.agencies[u.agency],
			AgencyCode: u.agency, Roles: []access.Role{u.role}, Standing: u.agency == "CAT"}
	}
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.log = audit.New(db, w.clock.Now)
	w.svc = incident.NewService(incident.Deps{DB: db, Audit: w.log, Blobs: blobs, Indicators: w.sink, Notifier: w.notes, Now: w.clock.Now},
		incident.Config{MaxFileSize: 1 << 20, BaseURL: "https://bulwark.example", Place: "Bình An"})
	return w
}

// defacement is the example: a district's portal defaced.
func defacement(w *world) incident.Input {
	return incident.Input{
		Title:           "Cổng thông tin thành phố bị thay đổi giao diện",
		Description:     "Trang chủ **tpbinhan.gov.vn** hiển thị nội dung lạ từ 06:30.",
		Category:        "information-content-security/unauthorised-information-modification",
		Severity:        incident.SeverityHigh,
		SystemLevel:     3,
		TLP:             access.Amber,
		AffectedSystems: "Cổng thông tin điện tử thành phố",
		AffectedAddrs:   "tpbinhan.gov.vn 203.0.113.10",
		Operator:        "Phòng Văn hóa - Thông tin",
		DetectedAt:      w.clock.Now().Add(-2 * time.Hour),
	}
}

func (w *world) create(t *testing.T, who string, in incident.Input) incident.Incident {
	t.Helper()
	inc, err := w.svc.Create(w.as(who), in)
	if err != nil {
		t.Fatalf("Create as %s: %v", who, err)
	}
	return inc
}

func wantKind(t *testing.T, what string, err error, kind errs.Kind) {
	t.Helper()
	if errs.KindOf(err) != kind || err == nil {
		t.Fatalf("%s = %v (kind %v), want kind %v", what, err, errs.KindOf(err), kind)
	}
}

func auditActions(t *testing.T, db *store.DB, action string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT actor FROM audit_log WHERE action = ? ORDER BY id`, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}
