package intel

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bulwark/internal/access"
)

func TestOnChangeDebounced(t *testing.T) {
	f := newFixture(t, openSQLiteForTest(t))
	var calls atomic.Int32
	f.svc.SetOnChange(func() { calls.Add(1) }, time.Second, 10*time.Second)
	a := f.as("A")
	// A burst: creates, a merge, a TLP change, a revoke and an import.
	var ids []int64
	for _, v := range []string{"45.60.0.1", "45.60.0.2", "45.60.0.1"} {
		ind, _, err := f.svc.Create(a, Input{Type: "ipv4", Value: v, TLP: access.Green})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ind.ID)
	}
	if _, err := f.svc.ChangeIndicators(a, ids[:1], Change{Action: ActionTLP, TLP: access.Amber}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ChangeIndicators(a, ids[1:2], Change{Action: ActionRevoke, Reason: "false positive"}); err != nil {
		t.Fatal(err)
	}
	if j, err := f.svc.ImportReader(a, strings.NewReader("45.60.0.3\n45.60.0.4\n"), 0, ImportOptions{Format: FormatPlain}); err != nil || j.Created != 2 {
		t.Fatalf("import = %+v, %v", j, err)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("hook called %d times during the burst, want 0", n)
	}
	waitFor(t, 5*time.Second, func() bool { return calls.Load() == 1 })
	time.Sleep(1500 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Errorf("hook called %d times for one burst, want 1", n)
	}
	// A change nobody may make calls nothing; a later change calls again.
	if _, err := f.svc.ChangeIndicators(f.as("B"), ids[:1], Change{Action: ActionRevoke, Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Errorf("a change of nothing called the hook (%d calls)", n)
	}
	if _, err := f.svc.UpdateEntry(a, firstEntry(t, f, ids[0]), EntryUpdate{Description: ptr("edited")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return calls.Load() == 2 })
}

func TestOnChangeMaxDelay(t *testing.T) {
	f := newFixture(t, openSQLiteForTest(t))
	var calls atomic.Int32
	f.svc.SetOnChange(func() { calls.Add(1) }, 200*time.Millisecond, 500*time.Millisecond)
	// Changes every 50 ms for 1.3 s never leave 200 ms of quiet, yet the
	// hook runs at least every 500 ms.
	for i := range 26 {
		f.svc.changed()
		time.Sleep(50 * time.Millisecond)
		_ = i
	}
	if n := calls.Load(); n < 2 {
		t.Errorf("hook called %d times during 1.3 s of steady changes, want at least 2", n)
	}
	f.svc.Close()
	before := calls.Load()
	f.svc.changed()
	time.Sleep(300 * time.Millisecond)
	if calls.Load() != before {
		t.Error("hook called after Close")
	}
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func firstEntry(t *testing.T, f *fixture, id int64) int64 {
	t.Helper()
	ind, err := f.svc.Get(f.sysCtx, id)
	if err != nil || len(ind.Entries) == 0 {
		t.Fatalf("Get(%d) = %+v, %v", id, ind, err)
	}
	return ind.Entries[0].ID
}

func ptr[T any](v T) *T { return &v }
