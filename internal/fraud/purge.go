package fraud

import (
	"context"
	"fmt"

	"bulwark/internal/store"
)

// Evidence files are stored by content hash in a blob store that other
// capabilities share, so a file is deleted only once no record refers to
// it any more: not another fraud report's evidence and not (through
// Deps.BlobInUse) an incident's, a directive's or a system's file.
//
// Erasing and anonymising queue the hashes of the evidence rows they
// remove in fraud_blob_purge, in the same transaction; purgeEvidence then
// deletes the files and empties the queue. A deletion that fails stays
// queued and is retried by the next run of Anonymise (hourly).
//
// Limit: a file identical to a queued one, uploaded again in the moment
// between the check and the deletion, loses its content (the store keeps
// one copy per hash). The window is a few milliseconds on an erasure.

// queuePurgeSQL queues the files of the reports selected by a condition on
// fraud_reports (appended).
const queuePurgeSQL = `INSERT INTO fraud_blob_purge (sha256)
	SELECT DISTINCT sha256 FROM fraud_evidence WHERE report_id IN (SELECT id FROM fraud_reports WHERE %s)
	ON CONFLICT (sha256) DO NOTHING`

// queueEvidencePurge queues the evidence files of the reports cond
// selects; call it before deleting their fraud_evidence rows.
func (s *Service) queueEvidencePurge(ctx context.Context, tx *store.Tx, cond string, args ...any) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(queuePurgeSQL, cond), args...); err != nil {
		return fmt.Errorf("queue evidence deletion: %w", err)
	}
	return nil
}

// purgeBatch bounds one purge run; the rest waits for the next.
const purgeBatch = 1000

// purgeEvidence deletes the queued files nothing refers to any more and
// returns how many it deleted. Failures are logged and retried later.
func (s *Service) purgeEvidence(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT sha256 FROM fraud_blob_purge ORDER BY queued_at, sha256 LIMIT ?`, purgeBatch)
	if err != nil {
		return 0, fmt.Errorf("fraud: evidence purge queue: %w", err)
	}
	var sums []string
	for rows.Next() {
		var sum string
		if err := rows.Scan(&sum); err != nil {
			rows.Close()
			return 0, fmt.Errorf("fraud: evidence purge queue: %w", err)
		}
		sums = append(sums, sum)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("fraud: evidence purge queue: %w", err)
	}
	deleted := 0
	for _, sum := range sums {
		inUse, err := s.evidenceInUse(ctx, sum)
		if err != nil {
			return deleted, err
		}
		if !inUse {
			if s.blobs == nil {
				return deleted, nil // nothing to delete from; keep the queue for when storage is configured
			}
			if err := s.blobs.Delete(ctx, sum); err != nil {
				s.slog.Warn("fraud: evidence file not deleted; retried later", "sha256", sum, "err", err)
				continue
			}
			deleted++
		}
		if _, err := s.db.Exec(ctx, `DELETE FROM fraud_blob_purge WHERE sha256 = ?`, sum); err != nil {
			return deleted, fmt.Errorf("fraud: evidence purge queue: %w", err)
		}
	}
	return deleted, nil
}

// evidenceInUse reports whether a fraud report or, through BlobInUse,
// another capability still refers to the file.
func (s *Service) evidenceInUse(ctx context.Context, sum string) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_evidence WHERE sha256 = ?`, sum).Scan(&n); err != nil {
		return false, fmt.Errorf("fraud: evidence in use: %w", err)
	}
	if n > 0 {
		return true, nil
	}
	if s.blobInUse == nil {
		return false, nil
	}
	used, err := s.blobInUse(ctx, sum)
	if err != nil {
		return false, fmt.Errorf("fraud: evidence in use elsewhere: %w", err)
	}
	return used, nil
}
