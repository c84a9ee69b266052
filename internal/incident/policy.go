package incident

import (
	"slices"

	"bulwark/internal/access"
)

// The policy of the capability: who sees an incident and who may do what
// on it. Every Service method goes through these.

func involved(p *access.Principal, inc *Incident) bool {
	a := p.AgencyID
	return a == inc.Owner.ID || a == inc.Lead.ID ||
		slices.ContainsFunc(inc.Participants, func(r Ref) bool { return r.ID == a }) ||
		slices.Contains(inc.taskAgencies, a)
}

// CanSee reports whether p may see inc (see the package comment).
func CanSee(p *access.Principal, inc *Incident) bool {
	if p == nil {
		return false
	}
	if p.System || slices.Contains(inc.People, p.UserID) {
		return true
	}
	if inc.TLP == access.Red {
		return false
	}
	if inc.TLP == access.Clear || inc.TLP == access.Green {
		return true
	}
	return involved(p, inc) || p.IsCoordinator()
}

// leadSide: the lead agency's coordinators and analysts, and the standing
// agency's coordinators, run the response.
func leadSide(p *access.Principal, inc *Incident) bool {
	return p.System || p.IsCoordinator() || (p.AgencyID == inc.Lead.ID && p.HasAny(access.Coordinator, access.Analyst))
}

// ownerSide: the reporting agency's people (reporters included) follow and
// complete their own incident.
func ownerSide(p *access.Principal, inc *Incident) bool {
	return p.AgencyID == inc.Owner.ID && p.HasAny(access.Coordinator, access.Analyst, access.Reporter)
}

// taskSide: an agency working on a task adds what it finds.
func taskSide(p *access.Principal, inc *Incident) bool {
	return slices.Contains(inc.taskAgencies, p.AgencyID) && p.HasAny(access.Coordinator, access.Analyst, access.Reporter)
}

// CanEdit reports whether p may edit the record and file reports.
func CanEdit(p *access.Principal, inc *Incident) bool {
	return CanSee(p, inc) && (leadSide(p, inc) || ownerSide(p, inc))
}

// CanCoordinate reports whether p may acknowledge, assign tasks, close,
// reject, merge and link.
func CanCoordinate(p *access.Principal, inc *Incident) bool {
	return CanSee(p, inc) && leadSide(p, inc)
}

// CanContribute reports whether p may add observables and evidence.
func CanContribute(p *access.Principal, inc *Incident) bool {
	return CanSee(p, inc) && (leadSide(p, inc) || ownerSide(p, inc) || taskSide(p, inc))
}

// CanComment reports whether p may write in the journal: anyone who sees
// the incident except read-only viewers.
func CanComment(p *access.Principal, inc *Incident) bool {
	return CanSee(p, inc) && (p.System || p.HasAny(access.Admin, access.Coordinator, access.Analyst, access.Reporter, access.Liaison))
}

// CanReport reports whether p may file an incident at all.
func CanReport(p *access.Principal) bool {
	return p != nil && (p.System || p.HasAny(access.Coordinator, access.Analyst, access.Reporter))
}

// visibleCond is the SQL form of CanSee for lists, over alias i.
func visibleCond(p *access.Principal) (string, []any) {
	if p.System {
		return "1=1", nil
	}
	named := `EXISTS (SELECT 1 FROM incident_people np WHERE np.incident_id = i.id AND np.user_id = ?)`
	if p.IsCoordinator() {
		return `(i.tlp <> 'RED' OR ` + named + `)`, []any{p.UserID}
	}
	return `((i.tlp <> 'RED' AND (i.tlp IN ('CLEAR', 'GREEN') OR i.owner_agency_id = ? OR i.lead_agency_id = ?
		OR EXISTS (SELECT 1 FROM incident_agencies ia WHERE ia.incident_id = i.id AND ia.agency_id = ?)
		OR EXISTS (SELECT 1 FROM incident_tasks it WHERE it.incident_id = i.id AND it.agency_id = ?)))
		OR ` + named + `)`, []any{p.AgencyID, p.AgencyID, p.AgencyID, p.AgencyID, p.UserID}
}
