-- Full-text search over incidents. The service writes the folded text
-- (lower case, no diacritics) of the reference, title, description and
-- affected systems into a tsvector with the 'simple' configuration.
ALTER TABLE incidents ADD COLUMN search tsvector;
CREATE INDEX incidents_search ON incidents USING GIN (search);
