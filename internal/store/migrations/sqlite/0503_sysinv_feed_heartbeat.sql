-- A running catalogue import touches heartbeat_at every half minute, so an
-- import left 'running' by a server that died is told from one still running.
ALTER TABLE sysinv_feed_runs ADD COLUMN heartbeat_at TIMESTAMP;
