CREATE TABLE agencies (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name_vi TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	parent_id INTEGER REFERENCES agencies(id),
	address TEXT NOT NULL DEFAULT '',
	contact_name TEXT NOT NULL DEFAULT '',
	contact_phone TEXT NOT NULL DEFAULT '',
	contact_email TEXT NOT NULL DEFAULT '',
	contact_updated_at TIMESTAMP,
	active BOOLEAN NOT NULL DEFAULT 1,
	merged_into_id INTEGER REFERENCES agencies(id),
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX agencies_parent ON agencies(parent_id);

CREATE TABLE agency_history (
	id INTEGER PRIMARY KEY,
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	changed_at TIMESTAMP NOT NULL,
	change TEXT NOT NULL,
	old_name_vi TEXT NOT NULL DEFAULT '',
	old_name_en TEXT NOT NULL DEFAULT '',
	old_kind TEXT NOT NULL DEFAULT '',
	old_parent_id INTEGER,
	new_name_vi TEXT NOT NULL DEFAULT '',
	new_name_en TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	actor_user_id INTEGER
);
CREATE INDEX agency_history_agency ON agency_history(agency_id, changed_at);

CREATE TABLE decisions (
	id INTEGER PRIMARY KEY,
	number TEXT NOT NULL UNIQUE,
	decided_on TEXT NOT NULL,
	title TEXT NOT NULL,
	kind TEXT NOT NULL,
	signer TEXT NOT NULL DEFAULT '',
	agency_id INTEGER REFERENCES agencies(id),
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE bodies (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name_vi TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	parent_id INTEGER REFERENCES bodies(id),
	decision_id INTEGER REFERENCES decisions(id),
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	title TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	password_hash TEXT NOT NULL DEFAULT '',
	disabled BOOLEAN NOT NULL DEFAULT 0,
	totp_secret TEXT NOT NULL DEFAULT '',
	totp_enabled BOOLEAN NOT NULL DEFAULT 0,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until TIMESTAMP,
	last_login_at TIMESTAMP,
	password_changed_at TIMESTAMP,
	lang TEXT NOT NULL DEFAULT 'vi',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_agency ON users(agency_id);

CREATE TABLE user_roles (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role TEXT NOT NULL,
	PRIMARY KEY (user_id, role)
);

CREATE TABLE recovery_codes (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

CREATE TABLE memberships (
	id INTEGER PRIMARY KEY,
	body_id INTEGER NOT NULL REFERENCES bodies(id),
	person_name TEXT NOT NULL,
	person_title TEXT NOT NULL DEFAULT '',
	user_id INTEGER REFERENCES users(id),
	agency_id INTEGER NOT NULL REFERENCES agencies(id),
	role TEXT NOT NULL,
	decision_id INTEGER REFERENCES decisions(id),
	from_date TEXT NOT NULL,
	to_date TEXT,
	end_decision_id INTEGER REFERENCES decisions(id),
	end_reason TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX memberships_body ON memberships(body_id, from_date);

CREATE TABLE sessions (
	id TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf_token TEXT NOT NULL,
	mfa_pending BOOLEAN NOT NULL DEFAULT 0,
	created_at TIMESTAMP NOT NULL,
	last_seen_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name TEXT NOT NULL DEFAULT '',
	prefix TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP,
	last_used_at TIMESTAMP,
	revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY,
	at TIMESTAMP NOT NULL,
	actor_user_id INTEGER,
	actor TEXT NOT NULL DEFAULT '',
	agency_id INTEGER,
	action TEXT NOT NULL,
	object_type TEXT NOT NULL DEFAULT '',
	object_id TEXT NOT NULL DEFAULT '',
	ip TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX audit_log_agency ON audit_log(agency_id, id);
CREATE INDEX audit_log_action ON audit_log(action, id);

CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
