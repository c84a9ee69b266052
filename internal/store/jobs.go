package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Background jobs (imports that run after their request has returned)
// are rows with a status ('running' while they run), a started_at, a
// heartbeat_at, an error and a finished_at. A process that dies mid-job
// leaves its row 'running'; the heartbeat tells a live job (of this or
// another server sharing the database) from a dead one.
const (
	// HeartbeatEvery is how often a running job touches its row.
	HeartbeatEvery = 30 * time.Second
	// StaleAfter is how long a running job's row may go untouched before
	// it counts as interrupted: several heartbeats, so a busy database
	// does not fail a live job.
	StaleAfter = 4 * HeartbeatEvery
)

// KeepAlive touches the job's heartbeat_at now and every HeartbeatEvery
// until stop is called (stop waits for the last touch to end). table is a
// constant of the caller, never input.
func (db *DB) KeepAlive(table string, id int64, now func() time.Time) (stop func()) {
	touch := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = db.Exec(ctx, `UPDATE `+table+` SET heartbeat_at = ? WHERE id = ? AND status = 'running'`, now().UTC().Truncate(time.Microsecond), id)
	}
	touch()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				touch()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

// FailStale marks as failed, with msg, the running jobs of table whose
// heartbeat (or start, for rows that never beat) is older than
// StaleAfter at now, and returns how many it marked.
func (db *DB) FailStale(ctx context.Context, table string, now time.Time, msg string) (int64, error) {
	now = now.UTC().Truncate(time.Microsecond)
	res, err := db.Exec(ctx, `UPDATE `+table+` SET status = 'failed', error = ?, finished_at = ?
		WHERE status = 'running' AND COALESCE(heartbeat_at, started_at) < ?`, msg, now, now.Add(-StaleAfter))
	if err != nil {
		return 0, fmt.Errorf("store: fail stale jobs of %s: %w", table, err)
	}
	return res.RowsAffected()
}
