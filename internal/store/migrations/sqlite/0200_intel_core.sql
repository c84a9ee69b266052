-- Threat intelligence: one indicator per (type, normalised value), with one
-- entry per reporting source (agency + source name) carrying that source's
-- TLP, confidence, tags, dates and revocation; sharing lists; sightings;
-- import jobs; admin-added warning lists; scheduled feeds and their runs;
-- TAXII status resources.

CREATE TABLE intel_indicators (
	id INTEGER PRIMARY KEY,
	type TEXT NOT NULL,
	value TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (type, value)
);
CREATE INDEX intel_indicators_value ON intel_indicators(value);

CREATE TABLE intel_entries (
	id INTEGER PRIMARY KEY,
	indicator_id INTEGER NOT NULL REFERENCES intel_indicators(id) ON DELETE CASCADE,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	source TEXT NOT NULL DEFAULT '',
	tlp TEXT NOT NULL,
	confidence INTEGER NOT NULL DEFAULT 50,
	tags TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	first_seen TIMESTAMP NOT NULL,
	last_seen TIMESTAMP NOT NULL,
	valid_until TIMESTAMP,
	revoked BOOLEAN NOT NULL DEFAULT 0,
	revoked_reason TEXT NOT NULL DEFAULT '',
	created_by INTEGER,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (indicator_id, agency_id, source)
);
CREATE INDEX intel_entries_agency ON intel_entries(agency_id, indicator_id);
CREATE INDEX intel_entries_tlp ON intel_entries(tlp, indicator_id);
CREATE INDEX intel_entries_updated ON intel_entries(updated_at, id);

CREATE TABLE intel_entry_shares (
	entry_id INTEGER NOT NULL REFERENCES intel_entries(id) ON DELETE CASCADE,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	PRIMARY KEY (entry_id, agency_id)
);
CREATE INDEX intel_entry_shares_agency ON intel_entry_shares(agency_id, entry_id);

CREATE TABLE intel_entry_people (
	entry_id INTEGER NOT NULL REFERENCES intel_entries(id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (entry_id, user_id)
);
CREATE INDEX intel_entry_people_user ON intel_entry_people(user_id, entry_id);

CREATE TABLE intel_sightings (
	id INTEGER PRIMARY KEY,
	indicator_id INTEGER NOT NULL REFERENCES intel_indicators(id) ON DELETE CASCADE,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	tlp TEXT NOT NULL,
	source TEXT NOT NULL DEFAULT '',
	location TEXT NOT NULL DEFAULT '',
	first_seen TIMESTAMP NOT NULL,
	last_seen TIMESTAMP NOT NULL,
	count INTEGER NOT NULL DEFAULT 1,
	note TEXT NOT NULL DEFAULT '',
	created_by INTEGER,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX intel_sightings_indicator ON intel_sightings(indicator_id, id);

CREATE TABLE intel_imports (
	id INTEGER PRIMARY KEY,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	user_id INTEGER,
	format TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	bytes_total INTEGER NOT NULL DEFAULT 0,
	bytes_read INTEGER NOT NULL DEFAULT 0,
	items INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL DEFAULT 0,
	merged INTEGER NOT NULL DEFAULT 0,
	rejected INTEGER NOT NULL DEFAULT 0,
	warned INTEGER NOT NULL DEFAULT 0,
	report TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	started_at TIMESTAMP NOT NULL,
	finished_at TIMESTAMP
);
CREATE INDEX intel_imports_agency ON intel_imports(agency_id, id);

CREATE TABLE intel_warninglists (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	body TEXT NOT NULL,
	enabled BOOLEAN NOT NULL DEFAULT 1,
	created_by INTEGER,
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE intel_feeds (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	url TEXT NOT NULL,
	collection TEXT NOT NULL DEFAULT '',
	token TEXT NOT NULL DEFAULT '',
	csv_mapping TEXT NOT NULL DEFAULT '',
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	tlp TEXT NOT NULL,
	interval_seconds INTEGER NOT NULL,
	enabled BOOLEAN NOT NULL DEFAULT 1,
	etag TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	cursor TEXT NOT NULL DEFAULT '',
	next_run_at TIMESTAMP NOT NULL,
	last_run_at TIMESTAMP,
	last_status TEXT NOT NULL DEFAULT '',
	last_message TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE intel_feed_runs (
	id INTEGER PRIMARY KEY,
	feed_id INTEGER NOT NULL REFERENCES intel_feeds(id) ON DELETE CASCADE,
	started_at TIMESTAMP NOT NULL,
	finished_at TIMESTAMP NOT NULL,
	status TEXT NOT NULL,
	created INTEGER NOT NULL DEFAULT 0,
	merged INTEGER NOT NULL DEFAULT 0,
	rejected INTEGER NOT NULL DEFAULT 0,
	message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX intel_feed_runs_feed ON intel_feed_runs(feed_id, id);

CREATE TABLE intel_taxii_status (
	id TEXT PRIMARY KEY,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	body TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
