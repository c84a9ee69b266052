-- Online fraud: reports from citizens and staff, the subjects they name
-- (deduplicated by canonical identifier), verification history, referrals to
-- telecoms and banks, evidence files and hand-offs to threat intelligence.

CREATE TABLE fraud_reports (
	id INTEGER PRIMARY KEY,
	tracking_hash TEXT NOT NULL UNIQUE,
	source TEXT NOT NULL,
	channel TEXT NOT NULL,
	scam_type TEXT NOT NULL,
	occurred_on TEXT NOT NULL DEFAULT '',
	amount BIGINT NOT NULL DEFAULT 0,
	narrative TEXT NOT NULL DEFAULT '',
	reporter_name TEXT NOT NULL DEFAULT '',
	reporter_phone TEXT NOT NULL DEFAULT '',
	reporter_email TEXT NOT NULL DEFAULT '',
	consent BOOLEAN NOT NULL DEFAULT 0,
	legal_basis TEXT NOT NULL,
	status TEXT NOT NULL,
	filed_by_user_id INTEGER REFERENCES users(id),
	agency_id INTEGER REFERENCES agencies(id),
	keep_reason TEXT NOT NULL DEFAULT '',
	anonymised_at TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	closed_at TIMESTAMP
);
CREATE INDEX fraud_reports_created ON fraud_reports(created_at);
CREATE INDEX fraud_reports_reporter_phone ON fraud_reports(reporter_phone);
CREATE INDEX fraud_reports_reporter_email ON fraud_reports(reporter_email);
CREATE INDEX fraud_reports_closed ON fraud_reports(status, closed_at);

CREATE TABLE fraud_subjects (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	value TEXT NOT NULL,
	lookup_key TEXT NOT NULL,
	status TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	report_count INTEGER NOT NULL DEFAULT 0,
	amount_total BIGINT NOT NULL DEFAULT 0,
	channels TEXT NOT NULL DEFAULT '',
	first_reported_at TIMESTAMP NOT NULL,
	last_reported_at TIMESTAMP NOT NULL,
	incident_ref TEXT NOT NULL DEFAULT '',
	case_number TEXT NOT NULL DEFAULT '',
	confirmed_at TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (kind, value)
);
CREATE INDEX fraud_subjects_lookup ON fraud_subjects(lookup_key);
CREATE INDEX fraud_subjects_status ON fraud_subjects(status, kind);

CREATE TABLE fraud_report_subjects (
	report_id INTEGER NOT NULL REFERENCES fraud_reports(id) ON DELETE CASCADE,
	subject_id INTEGER NOT NULL REFERENCES fraud_subjects(id),
	detail TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (report_id, subject_id)
);
CREATE INDEX fraud_report_subjects_subject ON fraud_report_subjects(subject_id);

CREATE TABLE fraud_subject_history (
	id INTEGER PRIMARY KEY,
	subject_id INTEGER NOT NULL REFERENCES fraud_subjects(id),
	at TIMESTAMP NOT NULL,
	from_status TEXT NOT NULL,
	to_status TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	actor TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fraud_subject_history_subject ON fraud_subject_history(subject_id, at);

CREATE TABLE fraud_evidence (
	id INTEGER PRIMARY KEY,
	report_id INTEGER NOT NULL REFERENCES fraud_reports(id) ON DELETE CASCADE,
	sha256 TEXT NOT NULL,
	size BIGINT NOT NULL,
	content_type TEXT NOT NULL,
	filename TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX fraud_evidence_report ON fraud_evidence(report_id);

-- Partners: telecom operators and banks. agency_id links a partner to the
-- member agency whose liaison users receive its referrals.
CREATE TABLE fraud_partners (
	code TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	name TEXT NOT NULL,
	agency_id INTEGER REFERENCES agencies(id)
);

-- Mobile prefixes (national significant number, without the leading 0 or
-- +84). Number portability makes them a hint, not proof.
CREATE TABLE fraud_prefixes (
	prefix TEXT PRIMARY KEY,
	partner_code TEXT NOT NULL REFERENCES fraud_partners(code)
);

CREATE TABLE fraud_outcomes (
	code TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	label_vi TEXT NOT NULL,
	label_en TEXT NOT NULL,
	needs_note BOOLEAN NOT NULL DEFAULT 0,
	active BOOLEAN NOT NULL DEFAULT 1,
	position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE fraud_referrals (
	id INTEGER PRIMARY KEY,
	subject_id INTEGER NOT NULL REFERENCES fraud_subjects(id),
	partner_code TEXT NOT NULL REFERENCES fraud_partners(code),
	agency_id INTEGER REFERENCES agencies(id),
	action TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	due_at TIMESTAMP NOT NULL,
	outcome TEXT NOT NULL DEFAULT '',
	outcome_note TEXT NOT NULL DEFAULT '',
	outcome_on TEXT NOT NULL DEFAULT '',
	answered_at TIMESTAMP,
	answered_by TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX fraud_referrals_agency ON fraud_referrals(agency_id, answered_at);
CREATE INDEX fraud_referrals_subject ON fraud_referrals(subject_id);

-- Indicators handed to threat intelligence (kept even when the intel
-- service takes them, so the hand-off can be checked and replayed).
CREATE TABLE fraud_handoffs (
	id INTEGER PRIMARY KEY,
	subject_id INTEGER NOT NULL REFERENCES fraud_subjects(id),
	type TEXT NOT NULL,
	value TEXT NOT NULL,
	tlp TEXT NOT NULL,
	delivered BOOLEAN NOT NULL DEFAULT 0,
	created_at TIMESTAMP NOT NULL,
	UNIQUE (type, value)
);

INSERT INTO fraud_partners (code, kind, name) VALUES
	('viettel', 'telecom', 'Viettel'),
	('vinaphone', 'telecom', 'VinaPhone (VNPT)'),
	('mobifone', 'telecom', 'MobiFone'),
	('vietnamobile', 'telecom', 'Vietnamobile'),
	('gmobile', 'telecom', 'Gmobile'),
	('itelecom', 'telecom', 'Itelecom'),
	('wintel', 'telecom', 'Wintel (formerly Reddi)'),
	('VCB', 'bank', 'Vietcombank'),
	('BIDV', 'bank', 'BIDV'),
	('CTG', 'bank', 'VietinBank'),
	('AGRIBANK', 'bank', 'Agribank'),
	('TCB', 'bank', 'Techcombank'),
	('MB', 'bank', 'MB Bank'),
	('ACB', 'bank', 'ACB'),
	('VPB', 'bank', 'VPBank'),
	('TPB', 'bank', 'TPBank'),
	('STB', 'bank', 'Sacombank');

INSERT INTO fraud_prefixes (prefix, partner_code) VALUES
	('86', 'viettel'), ('96', 'viettel'), ('97', 'viettel'), ('98', 'viettel'),
	('32', 'viettel'), ('33', 'viettel'), ('34', 'viettel'), ('35', 'viettel'),
	('36', 'viettel'), ('37', 'viettel'), ('38', 'viettel'), ('39', 'viettel'),
	('88', 'vinaphone'), ('91', 'vinaphone'), ('94', 'vinaphone'), ('81', 'vinaphone'),
	('82', 'vinaphone'), ('83', 'vinaphone'), ('84', 'vinaphone'), ('85', 'vinaphone'),
	('89', 'mobifone'), ('90', 'mobifone'), ('93', 'mobifone'), ('70', 'mobifone'),
	('76', 'mobifone'), ('77', 'mobifone'), ('78', 'mobifone'), ('79', 'mobifone'),
	('92', 'vietnamobile'), ('56', 'vietnamobile'), ('58', 'vietnamobile'),
	('99', 'gmobile'), ('59', 'gmobile'),
	('87', 'itelecom'),
	('55', 'wintel');

INSERT INTO fraud_outcomes (code, kind, label_vi, label_en, needs_note, position) VALUES
	('reverify_required', 'telecom', 'Yêu cầu xác thực lại thuê bao', 'Re-verification required', 0, 1),
	('outgoing_suspended', 'telecom', 'Đã tạm dừng chiều đi', 'Outgoing suspended', 0, 2),
	('twoway_suspended', 'telecom', 'Đã tạm dừng hai chiều', 'Two-way suspended', 0, 3),
	('terminated', 'telecom', 'Đã chấm dứt hợp đồng', 'Terminated', 0, 4),
	('not_processed', 'telecom', 'Không xử lý (nêu lý do)', 'Not processed (reason)', 1, 5),
	('warned', 'bank', 'Đã cảnh báo người chuyển tiền', 'Payer warned', 0, 1),
	('held', 'bank', 'Đã tạm giữ giao dịch/tài khoản', 'Temporarily held', 0, 2),
	('insufficient_grounds', 'bank', 'Không đủ căn cứ', 'Insufficient grounds', 0, 3),
	('bank_not_processed', 'bank', 'Không xử lý (nêu lý do)', 'Not processed (reason)', 1, 4);
