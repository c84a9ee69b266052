-- Important information systems (Decree 85/2016, Circular 12/2022): the
-- system record, its components and their addresses, the level dossier
-- and its documents, recurring duties done, the vulnerability catalogue,
-- findings, feed import runs and the requirement checklist.
-- Dates without a time (approval, drills, due dates) are TEXT YYYY-MM-DD.

CREATE TABLE sysinv_systems (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	owner_agency_id INTEGER NOT NULL REFERENCES agencies(id),
	operator_agency_id INTEGER REFERENCES agencies(id),
	operator_provider TEXT NOT NULL DEFAULT '',
	operator_contract_end TEXT NOT NULL DEFAULT '',
	security_unit TEXT NOT NULL DEFAULT '',
	system_type TEXT NOT NULL,
	info_class TEXT NOT NULL,
	personal_users INTEGER NOT NULL DEFAULT 0,
	online_service_level INTEGER NOT NULL DEFAULT 0,
	always_on BOOLEAN NOT NULL DEFAULT FALSE,
	reach TEXT NOT NULL,
	proposed_level INTEGER NOT NULL DEFAULT 0,
	approved_level INTEGER NOT NULL DEFAULT 0,
	approval_number TEXT NOT NULL DEFAULT '',
	approval_date TEXT NOT NULL DEFAULT '',
	approval_signer TEXT NOT NULL DEFAULT '',
	national_critical BOOLEAN NOT NULL DEFAULT FALSE,
	security_plan TEXT NOT NULL DEFAULT '',
	ir_plan TEXT NOT NULL DEFAULT '',
	last_drill_date TEXT NOT NULL DEFAULT '',
	contacts TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	address_tlp TEXT NOT NULL DEFAULT 'AMBER',
	dossier_status TEXT NOT NULL DEFAULT 'draft',
	dossier_due TEXT NOT NULL DEFAULT '',
	dossier_note TEXT NOT NULL DEFAULT '',
	created_by INTEGER REFERENCES users(id),
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sysinv_systems_owner ON sysinv_systems(owner_agency_id);

CREATE TABLE sysinv_components (
	id INTEGER PRIMARY KEY,
	system_id INTEGER NOT NULL REFERENCES sysinv_systems(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	level INTEGER NOT NULL DEFAULT 0,
	ips TEXT NOT NULL DEFAULT '',
	domains TEXT NOT NULL DEFAULT '',
	ports TEXT NOT NULL DEFAULT '',
	os TEXT NOT NULL DEFAULT '',
	os_version TEXT NOT NULL DEFAULT '',
	os_cpe TEXT NOT NULL DEFAULT '',
	software TEXT NOT NULL DEFAULT '',
	software_version TEXT NOT NULL DEFAULT '',
	cpe TEXT NOT NULL DEFAULT '',
	notes TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sysinv_components_system ON sysinv_components(system_id);

CREATE TABLE sysinv_addresses (
	component_id INTEGER NOT NULL REFERENCES sysinv_components(id) ON DELETE CASCADE,
	system_id INTEGER NOT NULL REFERENCES sysinv_systems(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (component_id, kind, value)
);
CREATE INDEX sysinv_addresses_value ON sysinv_addresses(value);

CREATE TABLE sysinv_dossier_events (
	id INTEGER PRIMARY KEY,
	system_id INTEGER NOT NULL REFERENCES sysinv_systems(id) ON DELETE CASCADE,
	from_status TEXT NOT NULL,
	to_status TEXT NOT NULL,
	level INTEGER NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	actor TEXT NOT NULL,
	at TIMESTAMP NOT NULL
);
CREATE INDEX sysinv_dossier_events_system ON sysinv_dossier_events(system_id, id);

CREATE TABLE sysinv_documents (
	id INTEGER PRIMARY KEY,
	system_id INTEGER NOT NULL REFERENCES sysinv_systems(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	name TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	content_type TEXT NOT NULL DEFAULT '',
	uploaded_by TEXT NOT NULL,
	uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX sysinv_documents_system ON sysinv_documents(system_id);

CREATE TABLE sysinv_duty_records (
	id INTEGER PRIMARY KEY,
	system_id INTEGER NOT NULL REFERENCES sysinv_systems(id) ON DELETE CASCADE,
	duty TEXT NOT NULL,
	done_on TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL,
	recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX sysinv_duty_records_system ON sysinv_duty_records(system_id, duty, done_on);

CREATE TABLE sysinv_vulns (
	cve_id TEXT PRIMARY KEY,
	published TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	cvss REAL NOT NULL DEFAULT 0,
	severity TEXT NOT NULL DEFAULT '',
	vector TEXT NOT NULL DEFAULT '',
	cvss_version TEXT NOT NULL DEFAULT '',
	configurations TEXT NOT NULL DEFAULT '',
	in_nvd BOOLEAN NOT NULL DEFAULT FALSE,
	kev BOOLEAN NOT NULL DEFAULT FALSE,
	kev_added TEXT NOT NULL DEFAULT '',
	kev_due TEXT NOT NULL DEFAULT '',
	kev_vendor TEXT NOT NULL DEFAULT '',
	kev_product TEXT NOT NULL DEFAULT '',
	kev_name TEXT NOT NULL DEFAULT '',
	kev_action TEXT NOT NULL DEFAULT '',
	kev_ransomware TEXT NOT NULL DEFAULT '',
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sysinv_vulns_kev ON sysinv_vulns(kev);

CREATE TABLE sysinv_vuln_products (
	cve_id TEXT NOT NULL REFERENCES sysinv_vulns(cve_id) ON DELETE CASCADE,
	vendor TEXT NOT NULL,
	product TEXT NOT NULL,
	PRIMARY KEY (cve_id, vendor, product)
);
CREATE INDEX sysinv_vuln_products_product ON sysinv_vuln_products(product, vendor);

CREATE TABLE sysinv_findings (
	id INTEGER PRIMARY KEY,
	system_id INTEGER NOT NULL REFERENCES sysinv_systems(id) ON DELETE CASCADE,
	component_id INTEGER NOT NULL REFERENCES sysinv_components(id) ON DELETE CASCADE,
	cve_id TEXT NOT NULL REFERENCES sysinv_vulns(cve_id),
	strength TEXT NOT NULL,
	matched TEXT NOT NULL DEFAULT '',
	cvss REAL NOT NULL DEFAULT 0,
	kev BOOLEAN NOT NULL DEFAULT FALSE,
	status TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	approver TEXT NOT NULL DEFAULT '',
	due_on TEXT NOT NULL,
	first_seen TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	resolved_at TIMESTAMP,
	UNIQUE (component_id, cve_id)
);
CREATE INDEX sysinv_findings_system ON sysinv_findings(system_id, status);
CREATE INDEX sysinv_findings_cve ON sysinv_findings(cve_id);

CREATE TABLE sysinv_feed_runs (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	source TEXT NOT NULL,
	status TEXT NOT NULL,
	catalog_version TEXT NOT NULL DEFAULT '',
	records INTEGER NOT NULL DEFAULT 0,
	added INTEGER NOT NULL DEFAULT 0,
	updated INTEGER NOT NULL DEFAULT 0,
	unchanged INTEGER NOT NULL DEFAULT 0,
	skipped INTEGER NOT NULL DEFAULT 0,
	problem_count INTEGER NOT NULL DEFAULT 0,
	problems TEXT NOT NULL DEFAULT '',
	findings_new INTEGER NOT NULL DEFAULT 0,
	bytes INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	actor TEXT NOT NULL,
	started_at TIMESTAMP NOT NULL,
	finished_at TIMESTAMP
);

CREATE TABLE sysinv_checklist_items (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	grp TEXT NOT NULL,
	area TEXT NOT NULL,
	min_level INTEGER NOT NULL,
	text_vi TEXT NOT NULL,
	text_en TEXT NOT NULL,
	position INTEGER NOT NULL DEFAULT 0,
	active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE sysinv_checklist_answers (
	system_id INTEGER NOT NULL REFERENCES sysinv_systems(id) ON DELETE CASCADE,
	item_id INTEGER NOT NULL REFERENCES sysinv_checklist_items(id),
	met BOOLEAN NOT NULL,
	evidence TEXT NOT NULL DEFAULT '',
	updated_by TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	PRIMARY KEY (system_id, item_id)
);

-- One row per reminder sent, so a duty's reminder goes out once per due date.
CREATE TABLE sysinv_duty_reminders (
	system_id INTEGER NOT NULL REFERENCES sysinv_systems(id) ON DELETE CASCADE,
	duty TEXT NOT NULL,
	due_on TEXT NOT NULL,
	sent_at TIMESTAMP NOT NULL,
	PRIMARY KEY (system_id, duty, due_on)
);
