package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

func TestChainVerifyAndTamper(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { now = now.Add(time.Second); return now }
		log := audit.New(db, clock)
		sys := access.With(context.Background(), access.SystemPrincipal())
		ctx := audit.WithClientIP(sys, "192.0.2.7")
		for i := 0; i < 5; i++ {
			if err := log.Write(ctx, audit.Entry{Action: "agency.create", ObjectType: "agency", ObjectID: fmt.Sprint(i), Detail: "tạo cơ quan"}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := log.Verify(ctx)
		if err != nil || !res.OK || res.Rows != 5 {
			t.Fatalf("Verify = %+v, %v; want OK with 5 rows", res, err)
		}
		entries, _, err := log.List(ctx, audit.Filter{})
		if err != nil || len(entries) != 5 || entries[0].IP != "192.0.2.7" || entries[0].Actor != "system" {
			t.Fatalf("List = %+v, %v", entries, err)
		}
		// Edit row 3 directly in the database: verify must name it.
		if _, err := db.Exec(context.Background(), `UPDATE audit_log SET detail = ? WHERE id = ?`, "sửa lén", entries[2].ID); err != nil {
			t.Fatal(err)
		}
		res, err = log.Verify(ctx)
		if err != nil || res.OK || res.BrokenID != entries[2].ID {
			t.Errorf("Verify after tamper = %+v, %v; want broken at %d", res, err, entries[2].ID)
		}
	})
}

func TestDeleteBreaksChain(t *testing.T) {
	db := storetest.SQLite(t)
	log := audit.New(db, nil)
	ctx := access.With(context.Background(), access.SystemPrincipal())
	for i := 0; i < 3; i++ {
		if err := log.Write(ctx, audit.Entry{Action: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, `DELETE FROM audit_log WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	res, err := log.Verify(ctx)
	if err != nil || res.OK || res.BrokenID != 3 {
		t.Errorf("Verify after delete = %+v, %v; want broken at 3", res, err)
	}
}

func TestScope(t *testing.T) {
	db := storetest.SQLite(t)
	log := audit.New(db, nil)
	sys := access.With(context.Background(), access.SystemPrincipal())
	for _, ag := range []int64{1, 2, 2} {
		if err := log.Write(sys, audit.Entry{Action: "x", AgencyID: ag}); err != nil {
			t.Fatal(err)
		}
	}
	coord := access.With(context.Background(), &access.Principal{UserID: 5, AgencyID: 2, Roles: []access.Role{access.Coordinator}, Email: "c@x"})
	got, _, err := log.List(coord, audit.Filter{AgencyID: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if e.AgencyID != 2 {
			t.Errorf("coordinator of agency 2 saw a row of agency %d", e.AgencyID)
		}
	}
	viewer := access.With(context.Background(), &access.Principal{UserID: 6, AgencyID: 2, Roles: []access.Role{access.Viewer}, Email: "v@x"})
	if _, _, err := log.List(viewer, audit.Filter{}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("viewer List error = %v, want Forbidden", err)
	}
	// The denial itself was recorded.
	all, _, _ := log.List(sys, audit.Filter{Action: "access.denied"})
	if len(all) != 1 || all[0].Actor != "v@x" {
		t.Errorf("denial rows = %+v, want one by v@x", all)
	}
	// Paging.
	page, next, err := log.List(sys, audit.Filter{Limit: 2})
	if err != nil || len(page) != 2 || next == 0 {
		t.Fatalf("page 1 = %d rows, next %d, %v", len(page), next, err)
	}
	page2, _, err := log.List(sys, audit.Filter{Limit: 2, Before: next})
	if err != nil || len(page2) != 2 || page2[0].ID >= next {
		t.Errorf("page 2 = %+v, %v", page2, err)
	}
}

func TestDaily(t *testing.T) {
	db := storetest.SQLite(t)
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	log := audit.New(db, func() time.Time { return now })
	sys := access.With(context.Background(), access.SystemPrincipal())
	for _, e := range []audit.Entry{{Action: "a", AgencyID: 1}, {Action: "b", AgencyID: 2}} {
		if err := log.Write(sys, e); err != nil {
			t.Fatal(err)
		}
	}
	admin := access.With(context.Background(), &access.Principal{UserID: 1, AgencyID: 1, Roles: []access.Role{access.Admin}})
	days, err := log.Daily(admin, 3)
	if err != nil || len(days) != 3 || days[2].Day != "2026-06-10" || days[2].Count != 2 {
		t.Errorf("admin Daily = %+v, %v; want 3 days ending 2026-06-10 with 2", days, err)
	}
	viewer := access.With(context.Background(), &access.Principal{UserID: 2, AgencyID: 2, Roles: []access.Role{access.Viewer}})
	days, err = log.Daily(viewer, 1)
	if err != nil || days[0].Count != 1 {
		t.Errorf("viewer Daily = %+v, %v; want own agency's 1 row", days, err)
	}
}
