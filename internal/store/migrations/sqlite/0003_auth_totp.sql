-- TOTP enrolment keeps the new secret apart from the active one until the
-- user confirms it with a code, so a half-finished re-enrolment cannot lock
-- anyone out. totp_last_step is the replay guard: the 30-second step of the
-- last accepted code; only later steps are accepted.
ALTER TABLE users ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Purging expired sessions scans by expiry.
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX recovery_codes_hash ON recovery_codes(user_id, code_hash);
