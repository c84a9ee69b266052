-- Full-text search over incidents. The service writes the folded text
-- (lower case, no diacritics) of the reference, title, description and
-- affected systems, with rowid = incidents.id.
CREATE VIRTUAL TABLE incident_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
