-- The inventory systems (sysinv_systems) an incident hit. sysinv's tables
-- are created by a later migration (0500), so system_id carries no foreign
-- key: the incident service checks it, and systems are retired, never
-- deleted.
CREATE TABLE incident_systems (
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	system_id BIGINT NOT NULL,
	PRIMARY KEY (incident_id, system_id)
);
CREATE INDEX incident_systems_system ON incident_systems(system_id, incident_id);

-- One webhook's delivery log, newest first (its admin page).
CREATE INDEX notify_outbox_webhook ON notify_outbox(webhook_id, id);
