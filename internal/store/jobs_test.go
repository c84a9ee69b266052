package store_test

import (
	"context"
	"testing"
	"time"

	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestStaleJobs checks that only running jobs whose heartbeat stopped are
// failed, and that KeepAlive keeps a job's row fresh.
func TestStaleJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `CREATE TABLE jobs_test (id INTEGER PRIMARY KEY, status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '',
			started_at TIMESTAMP NOT NULL, heartbeat_at TIMESTAMP, finished_at TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
		old := now.Add(-time.Hour)
		rows := []struct {
			id        int64
			status    string
			heartbeat any
			want      string
		}{
			{1, "running", nil, "failed"},                             // never beat, started long ago
			{2, "running", old, "failed"},                             // beat long ago
			{3, "running", now.Add(-time.Minute), "running"},          // beat recently
			{4, "done", old, "done"},                                  // finished
			{5, "running", now.Add(-store.StaleAfter / 2), "running"}, // within the grace
		}
		for _, r := range rows {
			if _, err := db.Exec(ctx, `INSERT INTO jobs_test (id, status, started_at, heartbeat_at) VALUES (?, ?, ?, ?)`, r.id, r.status, old, r.heartbeat); err != nil {
				t.Fatal(err)
			}
		}
		n, err := db.FailStale(ctx, "jobs_test", now, "interrupted")
		if err != nil || n != 2 {
			t.Fatalf("FailStale = %d, %v; want 2", n, err)
		}
		for _, r := range rows {
			var status, msg string
			var fin store.Time
			if err := db.QueryRow(ctx, `SELECT status, error, finished_at FROM jobs_test WHERE id = ?`, r.id).Scan(&status, &msg, &fin); err != nil {
				t.Fatal(err)
			}
			if status != r.want || (r.want == "failed") != (msg == "interrupted" && fin.Valid) {
				t.Errorf("job %d: %s %q finished %v; want %s", r.id, status, msg, fin.Valid, r.want)
			}
		}

		// KeepAlive touches the row at once; a job so kept is not stale.
		later := now.Add(time.Hour)
		stop := db.KeepAlive("jobs_test", 3, func() time.Time { return later })
		stop()
		stop() // a second stop is harmless
		if n, err := db.FailStale(ctx, "jobs_test", later.Add(time.Minute), "interrupted"); err != nil || n != 1 {
			t.Errorf("after KeepAlive FailStale = %d, %v; want only job 5", n, err)
		}
		var status string
		if err := db.QueryRow(ctx, `SELECT status FROM jobs_test WHERE id = 3`).Scan(&status); err != nil || status != "running" {
			t.Errorf("kept-alive job is %q (%v)", status, err)
		}
	})
}
