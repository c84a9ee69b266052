package fraud_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/blob"
	"bulwark/internal/fraud"
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

// sink records the indicators handed to threat intelligence.
type sink struct {
	mu  sync.Mutex
	got []fraud.Indicator
}

func (s *sink) ShareIndicator(_ context.Context, ind fraud.Indicator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, ind)
	return nil
}

func (s *sink) values() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, i := range s.got {
		out = append(out, i.Type+" "+i.Value+" "+i.TLP)
	}
	return out
}

// world is a small province: the police (standing agency), a city, two
// telecoms and a bank, with one person per role.
type world struct {
	svc      *fraud.Service
	db       *store.DB
	log      *audit.Log
	clock    *clock
	sink     *sink
	agencies map[string]int64
	people   map[string]*access.Principal
	blobs    *flakyBlobs
	// elsewhere holds the file hashes another capability "refers to"
	// (Deps.BlobInUse).
	elsewhere sync.Map
}

// flakyBlobs is the folder store with deletions that can be made to fail,
// to see a failed deletion retried.
type flakyBlobs struct {
	*blob.Local
	mu         sync.Mutex
	failDelete bool
}

func (f *flakyBlobs) Delete(ctx context.Context, sum string) error {
	f.mu.Lock()
	fail := f.failDelete
	f.mu.Unlock()
	if fail {
		return errors.New("disk unavailable")
	}
	return f.Local.Delete(ctx, sum)
}

func (f *flakyBlobs) setFail(v bool) {
	f.mu.Lock()
	f.failDelete = v
	f.mu.Unlock()
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
	w := &world{db: db, clock: &clock{t: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}, sink: &sink{},
		agencies: map[string]int64{}, people: map[string]*access.Principal{}}
	now := w.clock.Now()
	kinds := map[string]string{}
	for _, a := range []struct{ code, name, kind string }{
		{"CAT", "Công an tỉnh", "standing"}, {"TPBA", "UBND thành phố", "district"},
		{"VTL", "Viettel", "telecom"}, {"VNPT", "VNPT", "telecom"}, {"VCB", "Vietcombank", "bank"},
	} {
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			a.code, a.name, a.kind, now, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		w.agencies[a.code] = id
		kinds[a.code] = a.kind
	}
	for _, u := range []struct {
		name, agency string
		role         access.Role
	}{
		{"admin", "CAT", access.Admin}, {"coord", "CAT", access.Coordinator}, {"analyst", "CAT", access.Analyst},
		{"city-analyst", "TPBA", access.Analyst}, {"viewer", "TPBA", access.Viewer},
		{"vtl", "VTL", access.Liaison}, {"vnpt", "VNPT", access.Liaison}, {"vcb", "VCB", access.Liaison},
	} {
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO users (email, name, agency_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			u.name+"@example.vn", u.name, w.agencies[u.agency], now, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		w.people[u.name] = &access.Principal{UserID: id, Email: u.name + "@example.vn", Name: u.name, AgencyID: w.agencies[u.agency],
			AgencyCode: u.agency, AgencyKind: kinds[u.agency], Roles: []access.Role{u.role}, Standing: u.agency == "CAT"}
	}
	local, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.blobs = &flakyBlobs{Local: local}
	w.log = audit.New(db, w.clock.Now)
	inUse := func(_ context.Context, sum string) (bool, error) {
		_, ok := w.elsewhere.Load(sum)
		return ok, nil
	}
	w.svc = fraud.New(fraud.Deps{DB: db, Audit: w.log, Blobs: w.blobs, BlobInUse: inUse, Sink: w.sink, Now: w.clock.Now}, fraud.Config{})
	for code, agency := range map[string]string{"viettel": "VTL", "vinaphone": "VNPT", "VCB": "VCB"} {
		kind := "telecom"
		if code == "VCB" {
			kind = "bank"
		}
		if err := w.svc.SavePartner(w.as("admin"), fraud.Partner{Code: code, Kind: kind, Name: code, AgencyID: w.agencies[agency]}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// report is a minimal valid public report naming ids.
func report(ids ...fraud.Identifier) fraud.ReportInput {
	return fraud.ReportInput{Channel: fraud.ChannelCall, ScamType: "impersonation_police", Amount: 1_000_000,
		Narrative: "Gọi điện tự xưng công an", Identifiers: ids, Consent: true}
}

func phone(v string) fraud.Identifier { return fraud.Identifier{Kind: fraud.KindPhone, Value: v} }
