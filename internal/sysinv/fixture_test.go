package sysinv_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/blob"
	"bulwark/internal/notify"
	"bulwark/internal/store"
	"bulwark/internal/sysinv"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// outbox records queued notifications.
type outbox struct {
	mu  sync.Mutex
	got []notify.Message
}

func (o *outbox) Enqueue(_ context.Context, _ store.Querier, m notify.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, m)
	return nil
}

func (o *outbox) messages() []notify.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]notify.Message(nil), o.got...)
}

// world is a small province: the standing agency (police), the Department
// of Science and Technology (owner of the portal), a hospital, a district.
type world struct {
	svc      *sysinv.Service
	db       *store.DB
	clock    *clock
	out      *outbox
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

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, clock: &clock{t: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}, out: &outbox{},
		agencies: map[string]int64{}, people: map[string]*access.Principal{}}
	now := w.clock.Now()
	for _, a := range []struct{ code, name, kind string }{
		{"CAT", "Công an tỉnh Bình An", "standing"}, {"SKHCN", "Sở Khoa học và Công nghệ", "department"},
		{"BVT", "Bệnh viện đa khoa tỉnh", "department"}, {"TPBA", "UBND thành phố Bình An", "district"},
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
		{"skhcn-coord", "SKHCN", access.Coordinator}, {"skhcn", "SKHCN", access.Analyst}, {"skhcn-viewer", "SKHCN", access.Viewer},
		{"bvt", "BVT", access.Analyst}, {"tpba-coord", "TPBA", access.Coordinator},
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
	w.svc = sysinv.NewService(sysinv.Deps{DB: db, Audit: audit.New(db, w.clock.Now), Blobs: blobs, Notifier: w.out, Now: w.clock.Now},
		sysinv.Config{MaxDocumentSize: 1 << 16, BaseURL: "https://bulwark.example"})
	return w
}

// portal is the example: the provincial public-service portal
// with 50,000 users' personal data.
func portal(w *world) sysinv.SystemInput {
	return sysinv.SystemInput{
		Name: "Cổng dịch vụ công tỉnh", Description: "Cổng dịch vụ công trực tuyến của tỉnh", OwnerAgencyID: w.agencies["SKHCN"],
		SecurityUnit: "Phòng An toàn thông tin", Type: "citizen_services", InfoClass: "personal", PersonalUsers: 50000,
		OnlineServiceLevel: 4, Reach: "province", ProposedLevel: 3, Status: "operating",
	}
}

func fixture(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("feed/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
