package detect_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/detect"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/intel"
	"bulwark/internal/ioc"
	"bulwark/internal/sharedtest"
	"bulwark/internal/store"
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

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeIntel serves fixed indicator entries and records sightings.
type fakeIntel struct {
	mu        sync.Mutex
	entries   []intel.Matchable
	sightings []intel.SightingInput
}

func (f *fakeIntel) EachMatchable(ctx context.Context, fn func(intel.Matchable) error) error {
	f.mu.Lock()
	entries := append([]intel.Matchable(nil), f.entries...)
	f.mu.Unlock()
	for _, m := range entries {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeIntel) RecordSightings(ctx context.Context, ins []intel.SightingInput) ([]int64, error) {
	if p := access.From(ctx); p == nil || !p.System {
		return nil, errs.E(errs.Forbidden, "system only")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sightings = append(f.sightings, ins...)
	return make([]int64, len(ins)), nil
}

// fakeIncidents records promotions.
type fakeIncidents struct {
	mu          sync.Mutex
	created     []incident.Input
	observables []incident.ObservableInput
	comments    []string
	linked      [][]int64
}

func (f *fakeIncidents) Create(ctx context.Context, in incident.Input) (incident.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, in)
	return incident.Incident{ID: int64(len(f.created)), Ref: "SC-2026-0001", Title: in.Title}, nil
}

func (f *fakeIncidents) Get(ctx context.Context, id int64) (incident.Incident, error) {
	if id != 77 {
		return incident.Incident{}, errs.E(errs.NotFound, "no such incident")
	}
	return incident.Incident{ID: 77, Ref: "SC-2026-0077"}, nil
}

func (f *fakeIncidents) AddObservable(ctx context.Context, id int64, in incident.ObservableInput) (incident.Observable, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observables = append(f.observables, in)
	return incident.Observable{}, nil
}

func (f *fakeIncidents) Comment(ctx context.Context, id int64, body string) (incident.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.comments = append(f.comments, body)
	return incident.Entry{}, nil
}

func (f *fakeIncidents) LinkSystems(ctx context.Context, id int64, ids []int64) (incident.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.linked = append(f.linked, ids)
	return incident.Incident{ID: id, Ref: "SC-2026-0077"}, nil
}

// fakeDirectory is a fixed information systems inventory.
type fakeDirectory struct {
	mu      sync.Mutex
	systems []detect.DirectorySystem
}

func (f *fakeDirectory) DetectionSystems(ctx context.Context) ([]detect.DirectorySystem, error) {
	if p := access.From(ctx); p == nil || !p.System {
		return nil, errs.E(errs.Forbidden, "system only")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]detect.DirectorySystem(nil), f.systems...), nil
}

// world is a small province: the police (standing agency) and two
// districts, one person per role.
type world struct {
	svc      *detect.Service
	db       *store.DB
	clock    *clock
	intel    *fakeIntel
	inc      *fakeIncidents
	dir      *fakeDirectory
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

func newWorld(t testing.TB, db *store.DB, cfg detect.Config) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, clock: &clock{t: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}, intel: &fakeIntel{}, inc: &fakeIncidents{}, dir: &fakeDirectory{},
		agencies: map[string]int64{}, people: map[string]*access.Principal{}}
	now := w.clock.Now()
	for _, a := range []struct{ code, name, kind string }{
		{"CAT", "Công an tỉnh", "standing"}, {"HBT", "UBND huyện Bắc", "district"}, {"HNA", "UBND huyện Nam", "district"},
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
		{"admin", "CAT", access.Admin}, {"coord", "CAT", access.Coordinator}, {"analyst", "CAT", access.Analyst},
		{"bac", "HBT", access.Analyst}, {"bac-viewer", "HBT", access.Viewer}, {"nam", "HNA", access.Analyst},
	} {
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO users (email, name, agency_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			u.name+"@example.vn", u.name, w.agencies[u.agency], now, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		w.people[u.name] = &access.Principal{UserID: id, Email: u.name + "@example.vn", Name: u.name, AgencyID: w.agencies[u.agency],
			AgencyCode: u.agency, Roles: []access.Role{u.role}, Standing: u.agency == "CAT"}
	}
	svc, err := detect.New(detect.Deps{DB: db, Audit: audit.New(db, w.clock.Now), Now: w.clock.Now, Intel: w.intel, Incidents: w.inc, Systems: w.dir}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.svc = svc
	return w
}

// indicator adds an intel entry.
func (w *world) indicator(id int64, typ ioc.Type, value string, tlp access.TLP, owner string, confidence int) {
	w.intel.mu.Lock()
	defer w.intel.mu.Unlock()
	w.intel.entries = append(w.intel.entries, intel.Matchable{EntryID: id, IndicatorID: id, Type: typ, Value: value, TLP: tlp,
		OwnerAgency: w.agencies[owner], Confidence: confidence})
}

// sharedTestdata returns ../shared/testdata/rel relative to the repository
// root. It skips when absent, unless BULWARK_TEST_SHARED=required.
func sharedTestdata(tb testing.TB, rel string) string { return sharedtest.Dir(tb, rel) }

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
