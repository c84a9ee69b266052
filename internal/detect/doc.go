// Package detect is the detection capability: agencies register sensors
// (sources) and send their events; Bulwark decodes them (package decode),
// matches them against the shared indicators the source's agency may use
// (package index, built from threat intelligence and swapped atomically) and
// against Sigma rules of the event's logsource (package sigma), and raises
// alerts that analysts triage and promote to incidents.
//
// The pipeline, per batch of one source: decode -> index lookups with the
// source agency's audience -> Sigma rules filtered by logsource ->
// correlation over the agency's own events -> alerts deduplicated by (rule
// or indicator, source, key entity) within a window, naming the
// information system hit when the reader may see it (systems.go), stored
// in one transaction with the source's counters. A batch answers only after its alerts are stored; when every
// worker is busy the caller gets ErrOverloaded (HTTP 429) instead of a quiet
// drop. A batch key makes a batch idempotent, so a JetStream redelivery is
// never counted twice.
//
// Access: a source token submits only as its own source (so its agency);
// an agency sees alerts of its own sources; the standing agency's
// coordinators and admins see all (see internal/access/detect.go).
//
// Alerts raised by SigmaHQ rules carry the rule's author, as the Detection
// Rule License requires.
package detect

import (
	"database/sql"
	"errors"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
