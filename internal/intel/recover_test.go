package intel

import (
	"context"
	"strings"
	"testing"
	"time"

	"bulwark/internal/store"
)

// TestInterruptedImport checks that an import left running by a server
// that stopped reads as failed once its heartbeat is stale, while one whose
// heartbeat is fresh (another server's) stays running.
func TestInterruptedImport(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		insert := func(beat time.Time) int64 {
			var id int64
			if err := f.db.QueryRow(ctx, `INSERT INTO intel_imports (agency_id, format, name, status, started_at, heartbeat_at) VALUES (?, 'csv', 'x.csv', ?, ?, ?) RETURNING id`,
				f.agency["B"], StatusRunning, f.now.Add(-time.Hour), beat).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		dead := insert(f.now.Add(-time.Hour))
		live := insert(f.now.Add(-store.StaleAfter / 4))
		j, err := f.svc.GetImport(f.as("B"), dead)
		if err != nil || j.Status != StatusFailed || !strings.Contains(j.Error, "interrupted") {
			t.Errorf("dead import = %s %q, %v; want failed, interrupted", j.Status, j.Error, err)
		}
		j, err = f.svc.GetImport(f.as("B"), live)
		if err != nil || j.Status != StatusRunning {
			t.Errorf("live import = %s, %v; want running", j.Status, err)
		}
		// A while later without a heartbeat, the list shows it interrupted.
		f.advance(store.StaleAfter)
		jobs, err := f.svc.Imports(f.as("B"))
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.Status != StatusFailed {
				t.Errorf("import %d = %s after its heartbeat stopped", j.ID, j.Status)
			}
		}
	})
}
