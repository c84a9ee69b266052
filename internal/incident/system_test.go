package incident_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/store"
	"bulwark/internal/sysinv"
)

// inventory is the real information systems service over the test
// database, seen through the interface incidents use.
type inventory struct{ s *sysinv.Service }

func (c inventory) VisibleSystem(ctx context.Context, id int64) (incident.SystemRef, error) {
	x, err := c.s.GetSystem(ctx, id)
	if err != nil {
		return incident.SystemRef{}, err
	}
	return incident.SystemRef{ID: x.ID, Name: x.Name, OwnerAgency: x.OwnerAgency, ApprovedLevel: x.ApprovedLevel, ProposedLevel: x.ProposedLevel}, nil
}

func (c inventory) VisibleSystems(ctx context.Context) ([]incident.SystemRef, error) {
	list, _, err := c.s.ListSystems(ctx, sysinv.SystemFilter{Limit: 100})
	var out []incident.SystemRef
	for _, x := range list {
		out = append(out, incident.SystemRef{ID: x.ID, Name: x.Name, ApprovedLevel: x.ApprovedLevel})
	}
	return out, err
}

// addSystem records a system of an agency with an approved level (0: none).
func (w *world) addSystem(t *testing.T, inv *sysinv.Service, agency, name string, approved int) int64 {
	t.Helper()
	sys, err := inv.CreateSystem(system(), sysinv.SystemInput{Name: name, OwnerAgencyID: w.agencies[agency], Type: "citizen_services",
		InfoClass: "personal", Reach: "province", ProposedLevel: 3})
	if err != nil {
		t.Fatal(err)
	}
	if approved > 0 { // the approval workflow is sysinv's; here only its outcome matters
		if _, err := w.db.Exec(context.Background(), `UPDATE sysinv_systems SET approved_level = ? WHERE id = ?`, approved, sys.ID); err != nil {
			t.Fatal(err)
		}
	}
	return sys.ID
}

func TestLinkedSystems(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inv := sysinv.NewService(sysinv.Deps{DB: db, Audit: w.log, Now: w.clock.Now}, sysinv.Config{})
		w.svc.SetSystemCatalog(inventory{inv})
		portal := w.addSystem(t, inv, "TPBA", "Cổng dịch vụ công thành phố", 4)
		mail := w.addSystem(t, inv, "SKHCN", "Hệ thống thư điện tử tỉnh", 2)

		// The reporter sees its own agency's systems only.
		opts, err := w.svc.LinkableSystems(w.as("reporter"))
		if err != nil || len(opts) != 1 || opts[0].ID != portal {
			t.Fatalf("reporter's linkable systems = %+v, %v", opts, err)
		}
		for _, c := range []struct {
			name string
			ids  []int64
		}{{"another agency's system", []int64{mail}}, {"no such system", []int64{999999}}, {"negative id", []int64{-1}}} {
			in := defacement(w)
			in.SystemIDs = c.ids
			_, err := w.svc.Create(w.as("reporter"), in)
			if errs.KindOf(err) != errs.Invalid || errs.FieldOf(err) != "system_ids" {
				t.Errorf("%s: Create = %v, want a system_ids field error", c.name, err)
			}
		}

		// Declared level 2, but the linked system is approved at level 4:
		// the approved level decides the serious flag.
		in := defacement(w)
		in.SystemLevel = 2
		in.Effects = []incident.Effect{incident.EffectInterruption}
		in.BeyondCapacity = true
		in.SystemIDs = []int64{portal, portal}
		inc := w.create(t, "reporter", in)
		if !inc.Serious || inc.InventoryLevel != 4 || inc.Level() != 4 || len(inc.Systems) != 1 || inc.Systems[0].ApprovedLevel != 4 ||
			inc.Systems[0].Name != "Cổng dịch vụ công thành phố" || inc.Systems[0].OwnerAgency != "TPBA" {
			t.Fatalf("created: serious %t inventory level %d systems %+v", inc.Serious, inc.InventoryLevel, inc.Systems)
		}

		// The coordinator (who sees every system) adds the department's
		// system; the reporter may then edit the record and keep it linked
		// although the inventory hides it from them.
		up := in
		up.SystemIDs = []int64{portal, mail}
		if _, err := w.svc.Update(w.as("coord"), inc.ID, up); err != nil {
			t.Fatal(err)
		}
		up.Title += " (cập nhật)"
		got, err := w.svc.Update(w.as("reporter"), inc.ID, up)
		if err != nil || len(got.Systems) != 2 {
			t.Fatalf("reporter keeps a system they cannot see: %v, %+v", err, got.Systems)
		}
		// Unlinking the level-4 system leaves the level-2 one: no longer serious.
		up.SystemIDs = []int64{mail}
		got, err = w.svc.Update(w.as("reporter"), inc.ID, up)
		if err != nil || got.Serious || got.InventoryLevel != 2 || len(got.Systems) != 1 {
			t.Fatalf("after unlinking: %v serious %t level %d systems %+v", err, got.Serious, got.InventoryLevel, got.Systems)
		}
		// The reporter links its own agency's system again, but not the
		// department's once it is unlinked.
		up.SystemIDs = []int64{mail, portal}
		if _, err := w.svc.Update(w.as("reporter"), inc.ID, up); err != nil {
			t.Fatalf("reporter relinks own agency's system: %v", err)
		}
		up.SystemIDs = []int64{portal}
		if _, err := w.svc.Update(w.as("coord"), inc.ID, up); err != nil {
			t.Fatal(err)
		}
		up.SystemIDs = []int64{portal, mail}
		_, err = w.svc.Update(w.as("reporter"), inc.ID, up)
		if errs.FieldOf(err) != "system_ids" {
			t.Errorf("reporter links another agency's system on edit: %v", err)
		}

		// The system's name finds the incident.
		list, _, err := w.svc.List(w.as("coord"), incident.Filter{Query: "dich vu cong"})
		if err != nil || len(list) != 1 {
			t.Errorf("search by system name: %d, %v", len(list), err)
		}

		// A second, critical incident on the portal; a rejected one does not count.
		crit := defacement(w)
		crit.Severity = incident.SeverityCritical
		crit.SystemIDs = []int64{portal}
		w.create(t, "tpba-analyst", crit)
		rej := w.create(t, "tpba-analyst", crit)
		if _, err := w.svc.Transition(w.as("coord"), rej.ID, incident.StatusRejected, "not an incident"); err != nil {
			t.Fatal(err)
		}
		counts, err := w.svc.SystemIncidentCounts(context.Background(), w.clock.Now().AddDate(-1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if c := counts[portal]; c[incident.SeverityHigh] != 1 || c[incident.SeverityCritical] != 1 || len(c) != 2 {
			t.Errorf("portal counts = %v", c)
		}
		if c := counts[mail]; len(c) != 0 {
			t.Errorf("mail counts = %v (no incident links it now)", c)
		}
		if later, _ := w.svc.SystemIncidentCounts(context.Background(), w.clock.Now().Add(time.Hour)); len(later) != 0 {
			t.Errorf("counts since the future = %v", later)
		}

		// The system's incidents, as each viewer may see them (all AMBER).
		for who, want := range map[string]int{"reporter": 3, "coord": 3, "telecom": 0, "skhcn": 0} {
			list, total, err := w.svc.SystemIncidents(w.as(who), portal, 10)
			if err != nil || len(list) != want || total != want {
				t.Errorf("%s sees %d (total %d) incidents of the portal, want %d: %v", who, len(list), total, want, err)
			}
		}
		list, total, _ := w.svc.SystemIncidents(w.as("coord"), portal, 2)
		if len(list) != 2 || total != 3 {
			t.Errorf("limit 2: %d of %d", len(list), total)
		}
	})
}

func TestLinkingWithoutInventory(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		in := defacement(w)
		in.SystemIDs = []int64{1}
		_, err := w.svc.Create(w.as("reporter"), in)
		if errs.FieldOf(err) != "system_ids" {
			t.Errorf("linking with no inventory connected = %v", err)
		}
		if opts, err := w.svc.LinkableSystems(w.as("reporter")); err != nil || len(opts) != 0 {
			t.Errorf("LinkableSystems = %v, %v", opts, err)
		}
		// The declared level still decides when nothing is linked.
		in.SystemIDs = nil
		in.SystemLevel = 5
		in.Effects = []incident.Effect{incident.EffectSpread}
		in.BeyondCapacity = true
		if inc := w.create(t, "reporter", in); !inc.Serious || inc.Level() != 5 {
			t.Errorf("declared level 5: serious %t level %d", inc.Serious, inc.Level())
		}
	})
}

func TestTaskDueMakesIncidentOverdue(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		in := defacement(w)
		in.Severity = incident.SeverityLow // the rules' own deadlines are far away
		inc := w.create(t, "reporter", in)
		if _, err := w.svc.Transition(w.as("coord"), inc.ID, incident.StatusAcknowledged, ""); err != nil {
			t.Fatal(err)
		}
		before, _ := w.svc.Get(w.as("coord"), inc.ID)
		due := w.clock.Now().Add(30 * time.Minute)
		task, err := w.svc.AddTask(w.as("coord"), inc.ID, incident.TaskInput{Title: "Cô lập máy chủ web", AgencyID: w.agencies["SKHCN"], DueAt: &due})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := w.svc.Get(w.as("coord"), inc.ID)
		if got.NextDueAt == nil || !got.NextDueAt.Equal(due.Truncate(time.Second)) || got.NextDueRule != "task:"+itoa(task.ID) || got.Overdue {
			t.Fatalf("after the task: next %v %q overdue %t (before: %v %q)", got.NextDueAt, got.NextDueRule, got.Overdue, before.NextDueAt, before.NextDueRule)
		}
		overdueIDs := func(who string) []int64 {
			list, _, err := w.svc.List(w.as(who), incident.Filter{Overdue: true})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, x := range list {
				ids = append(ids, x.ID)
			}
			dash, n, err := w.svc.Overdue(w.as(who), 10)
			if err != nil || n != len(dash) || len(dash) != len(ids) {
				t.Fatalf("dashboard overdue %d/%d, list %d: %v", len(dash), n, len(ids), err)
			}
			return ids
		}
		if ids := overdueIDs("coord"); len(ids) != 0 {
			t.Fatalf("overdue before the task's due time: %v", ids)
		}
		w.clock.Add(time.Hour) // the task is now 30 minutes late
		got, _ = w.svc.Get(w.as("skhcn"), inc.ID)
		if !got.Overdue {
			t.Errorf("an open task past due does not make the incident overdue")
		}
		if ids := overdueIDs("coord"); len(ids) != 1 || ids[0] != inc.ID {
			t.Errorf("overdue filter = %v", ids)
		}
		if ids := overdueIDs("skhcn"); len(ids) != 1 {
			t.Errorf("the task's agency's dashboard = %v", ids)
		}
		if n, err := w.svc.CheckDeadlines(context.Background(), time.Hour); err != nil || n != 1 {
			t.Errorf("CheckDeadlines = %d, %v; want one overdue notice", n, err)
		}
		// Done: the incident falls back to its rules' deadlines.
		if _, err := w.svc.UpdateTask(w.as("skhcn"), task.ID, incident.TaskUpdate{Status: incident.TaskDone, Result: "Đã cô lập"}); err != nil {
			t.Fatal(err)
		}
		got, _ = w.svc.Get(w.as("coord"), inc.ID)
		if got.Overdue || got.NextDueRule == "task:"+itoa(task.ID) {
			t.Errorf("after the task is done: overdue %t next %q", got.Overdue, got.NextDueRule)
		}
		if ids := overdueIDs("coord"); len(ids) != 0 {
			t.Errorf("overdue after the task is done: %v", ids)
		}
		// A cancelled task past due does not count either.
		late := w.clock.Now().Add(-time.Minute)
		t2, err := w.svc.AddTask(w.as("coord"), inc.ID, incident.TaskInput{Title: "Rà soát nhật ký", AgencyID: w.agencies["CAT"], DueAt: &late})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ = w.svc.Get(w.as("coord"), inc.ID); !got.Overdue {
			t.Errorf("a task added already late does not make the incident overdue")
		}
		if _, err := w.svc.UpdateTask(w.as("coord"), t2.ID, incident.TaskUpdate{Status: incident.TaskCancelled}); err != nil {
			t.Fatal(err)
		}
		if got, _ = w.svc.Get(w.as("coord"), inc.ID); got.Overdue {
			t.Errorf("a cancelled task keeps the incident overdue")
		}
	})
}

func itoa(n int64) string { return fmt.Sprint(n) }

// TestLinkSystems adds systems to an incident's links without removing
// any: what detection does when alerts are promoted to an incident.
func TestLinkSystems(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inv := sysinv.NewService(sysinv.Deps{DB: db, Audit: w.log, Now: w.clock.Now}, sysinv.Config{})
		w.svc.SetSystemCatalog(inventory{inv})
		portal := w.addSystem(t, inv, "TPBA", "Cổng dịch vụ công thành phố", 4)
		mail := w.addSystem(t, inv, "TPBA", "Thư điện tử thành phố", 2)
		dept := w.addSystem(t, inv, "SKHCN", "Hệ thống thư điện tử tỉnh", 2)

		in := defacement(w)
		inc := w.create(t, "reporter", in)
		// The coordinator links the department's system, which the
		// reporter's agency may not see.
		in.SystemIDs = []int64{dept}
		if _, err := w.svc.Update(w.as("coord"), inc.ID, in); err != nil {
			t.Fatal(err)
		}
		journalled := func() int {
			t.Helper()
			entries, err := w.svc.Journal(w.as("coord"), inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range entries {
				if e.Event == "edited" && e.Body == "systems" {
					n++
				}
			}
			return n
		}
		before := journalled()

		// The reporter adds its agency's systems, once each; the
		// department's stays.
		got, err := w.svc.LinkSystems(w.as("reporter"), inc.ID, []int64{portal, mail, portal, dept})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range got.Systems {
			ids = append(ids, r.ID)
		}
		if len(ids) != 3 || got.InventoryLevel != 4 {
			t.Errorf("linked systems %v, inventory level %d; want the three, level 4", ids, got.InventoryLevel)
		}
		if n := journalled(); n != before+1 {
			t.Errorf("%d \"edited: systems\" journal entries, want %d", n, before+1)
		}
		if n := len(auditActions(t, db, "incident.update")); n != 2 {
			t.Errorf("%d incident.update audit entries, want 2 (the coordinator's edit, the link)", n)
		}
		// Nothing new: nothing written.
		if _, err := w.svc.LinkSystems(w.as("reporter"), inc.ID, []int64{mail, dept}); err != nil {
			t.Fatal(err)
		}
		if n := journalled(); n != before+1 {
			t.Errorf("linking linked systems journalled again (%d entries)", n)
		}

		// Only systems the caller may see, only by an editor.
		other := w.create(t, "reporter", defacement(w))
		if _, err := w.svc.LinkSystems(w.as("reporter"), other.ID, []int64{dept}); errs.FieldOf(err) != "system_ids" {
			t.Errorf("reporter links another agency's system = %v, want a system_ids field error", err)
		}
		if _, err := w.svc.LinkSystems(w.as("tpba-viewer"), other.ID, []int64{portal}); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("a viewer links a system = %v, want forbidden", err)
		}
		if _, err := w.svc.LinkSystems(w.as("telecom"), other.ID, []int64{portal}); errs.KindOf(err) != errs.NotFound {
			t.Errorf("someone who does not see the incident = %v, want not found", err)
		}
		if got, _ := w.svc.Get(w.as("coord"), other.ID); len(got.Systems) != 0 {
			t.Errorf("refused links left %+v", got.Systems)
		}
	})
}
