-- Progress of a vulnerability catalogue import that runs in the background:
-- the size of the uploaded file and how much of it has been read.
ALTER TABLE sysinv_feed_runs ADD COLUMN bytes_total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sysinv_feed_runs ADD COLUMN bytes_read BIGINT NOT NULL DEFAULT 0;
