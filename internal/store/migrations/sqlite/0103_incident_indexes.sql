-- Lists are shown newest first; tasks by due date within an agency.
CREATE INDEX incidents_reported ON incidents(reported_at, id);
CREATE INDEX incident_tasks_due ON incident_tasks(agency_id, due_at);
