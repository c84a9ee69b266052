-- Detection: the information system an alert hits (internal/sysinv), kept
-- as a snapshot: its id, name, owner agency and address TLP when the alert
-- was raised, and the address that matched (empty when the system came
-- from the source's watched system). Readers are filtered again when the
-- alert is read. An index on first sighting serves the dashboard's
-- alerts-per-day figure.

ALTER TABLE detect_alerts ADD COLUMN system_id INTEGER;
ALTER TABLE detect_alerts ADD COLUMN system_name TEXT NOT NULL DEFAULT '';
ALTER TABLE detect_alerts ADD COLUMN system_owner_agency_id INTEGER;
ALTER TABLE detect_alerts ADD COLUMN system_tlp TEXT NOT NULL DEFAULT '';
ALTER TABLE detect_alerts ADD COLUMN system_match TEXT NOT NULL DEFAULT '';
CREATE INDEX detect_alerts_first_seen ON detect_alerts(first_seen);
