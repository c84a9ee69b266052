-- A person's calendar feed: calendar applications cannot send a token
-- header, so the feed's address carries a secret. Only its SHA-256 is
-- kept; one feed per person (a new one replaces the old); deleting the row
-- revokes it.
CREATE TABLE calendar_feeds (
	user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TIMESTAMP NOT NULL,
	last_used_at TIMESTAMP
);
