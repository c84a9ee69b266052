-- Subcommittee work (issue 8): meetings with attendees, decisions and
-- documents; directives to agencies with their deadlines (one task per
-- occurrence of a recurring directive), progress updates, files and the
-- reminders already sent. Dates a person chooses are TEXT YYYY-MM-DD in the
-- province's calendar; instants are timestamps.
CREATE TABLE meetings (
	id INTEGER PRIMARY KEY,
	title TEXT NOT NULL,
	kind TEXT NOT NULL,
	held_on TEXT NOT NULL,
	start_time TEXT NOT NULL DEFAULT '',
	place TEXT NOT NULL DEFAULT '',
	chair TEXT NOT NULL DEFAULT '',
	agenda TEXT NOT NULL DEFAULT '',
	minutes TEXT NOT NULL DEFAULT '',
	organiser_agency_id INTEGER NOT NULL REFERENCES agencies(id),
	created_by INTEGER,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX meetings_held ON meetings(held_on);

CREATE TABLE meeting_attendees (
	id INTEGER PRIMARY KEY,
	meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
	person_name TEXT NOT NULL,
	person_title TEXT NOT NULL DEFAULT '',
	agency_id INTEGER REFERENCES agencies(id),
	membership_id INTEGER REFERENCES memberships(id),
	attendance TEXT NOT NULL,
	delegate_name TEXT NOT NULL DEFAULT '',
	guest BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX meeting_attendees_meeting ON meeting_attendees(meeting_id);

CREATE TABLE meeting_decisions (
	meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
	decision_id INTEGER NOT NULL REFERENCES decisions(id),
	PRIMARY KEY (meeting_id, decision_id)
);

CREATE TABLE meeting_documents (
	id INTEGER PRIMARY KEY,
	meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	uploaded_by TEXT NOT NULL DEFAULT '',
	uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX meeting_documents_meeting ON meeting_documents(meeting_id);

CREATE TABLE directives (
	id INTEGER PRIMARY KEY,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL,
	meeting_id INTEGER REFERENCES meetings(id),
	decision_id INTEGER REFERENCES decisions(id),
	plan_year INTEGER,
	visibility TEXT NOT NULL,
	priority TEXT NOT NULL,
	recurrence TEXT NOT NULL DEFAULT '',
	issuer_agency_id INTEGER NOT NULL REFERENCES agencies(id),
	issuer_user_id INTEGER,
	lead_agency_id INTEGER NOT NULL REFERENCES agencies(id),
	cancelled_at TIMESTAMP,
	cancel_reason TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX directives_lead ON directives(lead_agency_id);
CREATE INDEX directives_meeting ON directives(meeting_id);
CREATE INDEX directives_plan ON directives(plan_year);

CREATE TABLE directive_agencies (
	directive_id INTEGER NOT NULL REFERENCES directives(id) ON DELETE CASCADE,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	role TEXT NOT NULL,
	PRIMARY KEY (directive_id, agency_id)
);
CREATE INDEX directive_agencies_agency ON directive_agencies(agency_id);

CREATE TABLE directive_tasks (
	id INTEGER PRIMARY KEY,
	directive_id INTEGER NOT NULL REFERENCES directives(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	due_on TEXT NOT NULL,
	state TEXT NOT NULL,
	percent INTEGER NOT NULL DEFAULT 0,
	acknowledged_at TIMESTAMP,
	done_on TEXT,
	result TEXT NOT NULL DEFAULT '',
	accepted_at TIMESTAMP,
	return_reason TEXT NOT NULL DEFAULT '',
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (directive_id, seq)
);
CREATE INDEX directive_tasks_due ON directive_tasks(due_on);

CREATE TABLE directive_updates (
	id INTEGER PRIMARY KEY,
	directive_id INTEGER NOT NULL REFERENCES directives(id) ON DELETE CASCADE,
	task_id INTEGER REFERENCES directive_tasks(id),
	agency_id INTEGER,
	user_id INTEGER,
	author TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	percent INTEGER,
	restricted BOOLEAN NOT NULL DEFAULT 0,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX directive_updates_directive ON directive_updates(directive_id, id);

CREATE TABLE directive_files (
	id INTEGER PRIMARY KEY,
	update_id INTEGER NOT NULL REFERENCES directive_updates(id) ON DELETE CASCADE,
	directive_id INTEGER NOT NULL REFERENCES directives(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX directive_files_update ON directive_files(update_id);

CREATE TABLE directive_reminders (
	task_id INTEGER NOT NULL REFERENCES directive_tasks(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	sent_at TIMESTAMP NOT NULL,
	PRIMARY KEY (task_id, kind)
);
