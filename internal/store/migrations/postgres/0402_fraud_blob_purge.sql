-- Evidence files whose last fraud record was erased or anonymised wait
-- here until the blob store has deleted them (after the erasing
-- transaction commits; a failed deletion is retried by the hourly job).
CREATE TABLE fraud_blob_purge (
	sha256 TEXT PRIMARY KEY,
	queued_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Whether a file is still referred to is asked by hash.
CREATE INDEX fraud_evidence_sha256 ON fraud_evidence(sha256);
