-- Agencies: a folded (lower-case, diacritics removed) copy of code and names
-- for search, so matching does not depend on the database's locale; history
-- rows also record the new kind and parent and the other agency of a merge;
-- at most one active standing agency.
ALTER TABLE agencies ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX agencies_kind ON agencies(kind, code);
CREATE UNIQUE INDEX agencies_one_standing ON agencies(kind) WHERE kind = 'standing' AND active;

ALTER TABLE agency_history ADD COLUMN new_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE agency_history ADD COLUMN new_parent_id BIGINT;
ALTER TABLE agency_history ADD COLUMN other_agency_id BIGINT;

CREATE INDEX memberships_agency ON memberships(agency_id);
