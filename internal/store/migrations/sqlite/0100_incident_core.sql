-- Incidents: the record, who takes part, the journal, tasks, reports,
-- observables, evidence files, links, deadline rules and playbooks.

CREATE TABLE incident_seq (
	year INTEGER PRIMARY KEY,
	last INTEGER NOT NULL
);

CREATE TABLE incidents (
	id INTEGER PRIMARY KEY,
	ref TEXT NOT NULL UNIQUE,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL,
	severity TEXT NOT NULL,
	serious BOOLEAN NOT NULL DEFAULT FALSE,
	system_level INTEGER NOT NULL DEFAULT 0,
	effects TEXT NOT NULL DEFAULT '',
	beyond_capacity BOOLEAN NOT NULL DEFAULT FALSE,
	tlp TEXT NOT NULL,
	pap TEXT NOT NULL,
	status TEXT NOT NULL,
	owner_agency_id INTEGER NOT NULL REFERENCES agencies(id),
	lead_agency_id INTEGER NOT NULL REFERENCES agencies(id),
	reporter_user_id INTEGER REFERENCES users(id),
	reporter_name TEXT NOT NULL DEFAULT '',
	reporter_contact TEXT NOT NULL DEFAULT '',
	operator TEXT NOT NULL DEFAULT '',
	system_owner TEXT NOT NULL DEFAULT '',
	affected_systems TEXT NOT NULL DEFAULT '',
	affected_addresses TEXT NOT NULL DEFAULT '',
	provider TEXT NOT NULL DEFAULT '',
	impact_harm TEXT NOT NULL DEFAULT '',
	impact_spread TEXT NOT NULL DEFAULT '',
	impact_operations TEXT NOT NULL DEFAULT '',
	measures TEXT NOT NULL DEFAULT '',
	lessons TEXT NOT NULL DEFAULT '',
	playbook_code TEXT NOT NULL DEFAULT '',
	merged_into_id INTEGER REFERENCES incidents(id),
	detected_at TIMESTAMP NOT NULL,
	reported_at TIMESTAMP NOT NULL,
	acknowledged_at TIMESTAMP,
	contained_at TIMESTAMP,
	resolved_at TIMESTAMP,
	closed_at TIMESTAMP,
	next_due_at TIMESTAMP,
	next_due_rule TEXT NOT NULL DEFAULT '',
	due_notified TEXT NOT NULL DEFAULT '',
	created_by INTEGER REFERENCES users(id),
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX incidents_status ON incidents(status, next_due_at);
CREATE INDEX incidents_owner ON incidents(owner_agency_id);
CREATE INDEX incidents_lead ON incidents(lead_agency_id);
CREATE INDEX incidents_detected ON incidents(detected_at);

CREATE TABLE incident_agencies (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	PRIMARY KEY (incident_id, agency_id)
);
CREATE INDEX incident_agencies_agency ON incident_agencies(agency_id);

CREATE TABLE incident_people (
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	user_id INTEGER NOT NULL REFERENCES users(id),
	PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_people_user ON incident_people(user_id);

CREATE TABLE incident_journal (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	at TIMESTAMP NOT NULL,
	kind TEXT NOT NULL,
	event TEXT NOT NULL DEFAULT '',
	actor_user_id INTEGER REFERENCES users(id),
	actor TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL DEFAULT '',
	old_status TEXT NOT NULL DEFAULT '',
	new_status TEXT NOT NULL DEFAULT '',
	edited_at TIMESTAMP
);
CREATE INDEX incident_journal_incident ON incident_journal(incident_id, id);

CREATE TABLE incident_journal_revisions (
	id INTEGER PRIMARY KEY,
	journal_id INTEGER NOT NULL REFERENCES incident_journal(id),
	body TEXT NOT NULL,
	replaced_at TIMESTAMP NOT NULL,
	editor TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_journal_revisions_entry ON incident_journal_revisions(journal_id, id);

CREATE TABLE incident_tasks (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	assignee_user_id INTEGER REFERENCES users(id),
	due_at TIMESTAMP,
	status TEXT NOT NULL,
	result TEXT NOT NULL DEFAULT '',
	created_by INTEGER REFERENCES users(id),
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	completed_at TIMESTAMP
);
CREATE INDEX incident_tasks_incident ON incident_tasks(incident_id);
CREATE INDEX incident_tasks_agency ON incident_tasks(agency_id, status);

CREATE TABLE incident_checklist (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	position INTEGER NOT NULL,
	item TEXT NOT NULL,
	done BOOLEAN NOT NULL DEFAULT FALSE,
	done_by TEXT NOT NULL DEFAULT '',
	done_at TIMESTAMP
);
CREATE INDEX incident_checklist_incident ON incident_checklist(incident_id, position);

CREATE TABLE incident_reports (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	kind TEXT NOT NULL,
	reporter_org TEXT NOT NULL DEFAULT '',
	reporter_person TEXT NOT NULL DEFAULT '',
	reporter_contact TEXT NOT NULL DEFAULT '',
	system_name TEXT NOT NULL DEFAULT '',
	system_address TEXT NOT NULL DEFAULT '',
	operator TEXT NOT NULL DEFAULT '',
	system_owner TEXT NOT NULL DEFAULT '',
	detected_at TIMESTAMP,
	incident_type TEXT NOT NULL DEFAULT '',
	symptoms TEXT NOT NULL DEFAULT '',
	harm TEXT NOT NULL DEFAULT '',
	spread TEXT NOT NULL DEFAULT '',
	impact TEXT NOT NULL DEFAULT '',
	provider TEXT NOT NULL DEFAULT '',
	measures TEXT NOT NULL DEFAULT '',
	helpers TEXT NOT NULL DEFAULT '',
	results TEXT NOT NULL DEFAULT '',
	recommendations TEXT NOT NULL DEFAULT '',
	signer TEXT NOT NULL,
	signer_title TEXT NOT NULL DEFAULT '',
	signed_on TEXT NOT NULL,
	document_sha256 TEXT NOT NULL DEFAULT '',
	document_name TEXT NOT NULL DEFAULT '',
	document_size INTEGER NOT NULL DEFAULT 0,
	created_by INTEGER REFERENCES users(id),
	author TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_reports_incident ON incident_reports(incident_id, kind);

CREATE TABLE incident_observables (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	type TEXT NOT NULL,
	value TEXT NOT NULL,
	tlp TEXT NOT NULL,
	is_indicator BOOLEAN NOT NULL DEFAULT FALSE,
	note TEXT NOT NULL DEFAULT '',
	first_seen TIMESTAMP,
	last_seen TIMESTAMP,
	handed_at TIMESTAMP,
	created_by INTEGER REFERENCES users(id),
	created_at TIMESTAMP NOT NULL,
	UNIQUE (incident_id, type, value)
);
CREATE INDEX incident_observables_value ON incident_observables(type, value);

CREATE TABLE incident_files (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	uploaded_by INTEGER REFERENCES users(id),
	uploader TEXT NOT NULL DEFAULT '',
	uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_files_incident ON incident_files(incident_id);
CREATE INDEX incident_files_sha ON incident_files(sha256);

CREATE TABLE incident_links (
	a_id INTEGER NOT NULL REFERENCES incidents(id),
	b_id INTEGER NOT NULL REFERENCES incidents(id),
	note TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	PRIMARY KEY (a_id, b_id),
	CHECK (a_id < b_id)
);
CREATE INDEX incident_links_b ON incident_links(b_id);

CREATE TABLE incident_deadline_rules (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name_vi TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	severity TEXT NOT NULL DEFAULT '',
	start_event TEXT NOT NULL,
	end_event TEXT NOT NULL,
	minutes INTEGER NOT NULL CHECK (minutes > 0),
	legal BOOLEAN NOT NULL DEFAULT FALSE,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	updated_at TIMESTAMP NOT NULL
);

CREATE TABLE incident_playbooks (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name_vi TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL,
	severity TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	tasks TEXT NOT NULL DEFAULT '[]',
	checklist TEXT NOT NULL DEFAULT '[]',
	active BOOLEAN NOT NULL DEFAULT TRUE,
	updated_at TIMESTAMP NOT NULL
);

-- Outgoing notifications: an outbox written in the transaction of the
-- change, delivered (and retried) by a background worker.
CREATE TABLE notify_webhooks (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	url TEXT NOT NULL,
	secret TEXT NOT NULL,
	events TEXT NOT NULL DEFAULT '',
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE notify_outbox (
	id INTEGER PRIMARY KEY,
	channel TEXT NOT NULL,
	target TEXT NOT NULL,
	webhook_id INTEGER REFERENCES notify_webhooks(id),
	event TEXT NOT NULL,
	subject TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at TIMESTAMP NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	last_status INTEGER NOT NULL DEFAULT 0,
	created_at TIMESTAMP NOT NULL,
	sent_at TIMESTAMP
);
CREATE INDEX notify_outbox_due ON notify_outbox(status, next_at);
