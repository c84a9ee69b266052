package agency_test

import (
	"context"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// testNow is the fixed clock of the tests: 10 May 2026, 17:00 in Viet Nam.
var testNow = time.Date(2026, 5, 10, 10, 0, 0, 0, time.UTC)

func newService(t *testing.T, db *store.DB) (*agency.Service, *audit.Log) {
	t.Helper()
	clock := func() time.Time { return testNow }
	log := audit.New(db, clock)
	return agency.NewService(db, log, clock), log
}

func as(p *access.Principal) context.Context { return access.With(context.Background(), p) }

func system() context.Context { return as(access.SystemPrincipal()) }

func admin() context.Context {
	return as(&access.Principal{UserID: 1, Email: "admin@example.gov.vn", Roles: []access.Role{access.Admin}})
}

func analyst(agencyID int64) context.Context {
	return as(&access.Principal{UserID: 2, Email: "analyst@example.gov.vn", AgencyID: agencyID, Roles: []access.Role{access.Analyst}})
}

func coordinator(agencyID int64, standing bool) context.Context {
	return as(&access.Principal{UserID: 3, Email: "coord@example.gov.vn", AgencyID: agencyID, Standing: standing,
		Roles: []access.Role{access.Coordinator}})
}

// mustCreate creates an agency as the system or fails the test.
func mustCreate(t *testing.T, s *agency.Service, in agency.AgencyInput) agency.Agency {
	t.Helper()
	a, err := s.CreateAgency(system(), in)
	if err != nil {
		t.Fatalf("CreateAgency(%s) = %v", in.Code, err)
	}
	return a
}

// wantKind fails unless err is classified as kind (and names field, when
// field is not empty).
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

// auditActions lists the actions of the audit log, oldest first.
func auditActions(t *testing.T, log *audit.Log) []string {
	t.Helper()
	entries, _, err := log.List(system(), audit.Filter{Limit: 500})
	if err != nil {
		t.Fatalf("audit List = %v", err)
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[len(entries)-1-i] = e.Action
	}
	return out
}
