-- Detection: sensor sources with their hashed ingest tokens and counters,
-- Sigma rules managed in Bulwark, deduplicated alerts, and the ingest
-- batches already applied (so a JetStream redelivery is not counted twice).

CREATE TABLE detect_sources (
	id INTEGER PRIMARY KEY,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	format TEXT NOT NULL,
	system_id INTEGER,
	token_hash TEXT NOT NULL UNIQUE,
	token_hint TEXT NOT NULL,
	senders TEXT NOT NULL DEFAULT '',
	silent_after_seconds INTEGER NOT NULL DEFAULT 3600,
	disabled BOOLEAN NOT NULL DEFAULT 0,
	last_event_at TIMESTAMP,
	accepted_total BIGINT NOT NULL DEFAULT 0,
	rejected_total BIGINT NOT NULL DEFAULT 0,
	matched_total BIGINT NOT NULL DEFAULT 0,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (agency_id, name)
);

CREATE TABLE detect_rules (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	title TEXT NOT NULL,
	author TEXT NOT NULL DEFAULT '',
	level TEXT NOT NULL DEFAULT '',
	logsource TEXT NOT NULL DEFAULT '',
	file TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	enabled BOOLEAN NOT NULL DEFAULT 1,
	uploaded_by INTEGER REFERENCES users(id),
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);

CREATE TABLE detect_alerts (
	id INTEGER PRIMARY KEY,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	source_id INTEGER NOT NULL REFERENCES detect_sources(id),
	kind TEXT NOT NULL,
	match_key TEXT NOT NULL,
	entity TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL,
	author TEXT NOT NULL DEFAULT '',
	severity TEXT NOT NULL,
	tags TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	incident_id INTEGER,
	hits BIGINT NOT NULL,
	first_seen TIMESTAMP NOT NULL,
	last_seen TIMESTAMP NOT NULL,
	samples TEXT NOT NULL DEFAULT '[]',
	observables TEXT NOT NULL DEFAULT '[]',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX detect_alerts_dedup ON detect_alerts(source_id, kind, match_key, entity, last_seen);
CREATE INDEX detect_alerts_agency ON detect_alerts(agency_id, last_seen);
CREATE INDEX detect_alerts_status ON detect_alerts(status, last_seen);

CREATE TABLE detect_batches (
	batch_key TEXT PRIMARY KEY,
	applied_at TIMESTAMP NOT NULL
);
