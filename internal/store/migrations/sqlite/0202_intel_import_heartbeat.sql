-- A running import touches heartbeat_at every half minute, so an import
-- left 'running' by a server that died is told from one still running.
ALTER TABLE intel_imports ADD COLUMN heartbeat_at TIMESTAMP;
