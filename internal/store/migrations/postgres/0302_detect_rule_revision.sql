-- Detection: a revision per stored rule, raised by every change of its
-- body or its enabled flag. Rows are never deleted, so the count of rules
-- and the sum of their revisions change with every change: processes that
-- only match (ingest workers, other servers) compare the pair to know when
-- to reload the rules.

ALTER TABLE detect_rules ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
