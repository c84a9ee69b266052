-- The agency that confirmed a hand-off owns the indicator in threat
-- intelligence (needed to deliver pending hand-offs later).
ALTER TABLE fraud_handoffs ADD COLUMN agency_id BIGINT REFERENCES agencies(id);
