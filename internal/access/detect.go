package access

// Policies of detection (issue 5). An agency runs its own sensors and sees
// the alerts they raise; the standing agency's coordinators see every
// agency's, since they watch the province as a whole. Sigma rules apply to
// every source, so only the standing agency's analysts and coordinators
// (and admins) manage them.

// CanReadDetection: who sees an agency's sources and alerts.
func CanReadDetection(p *Principal, agencyID int64) bool {
	if p == nil {
		return false
	}
	return p.System || p.Has(Admin) || p.IsCoordinator() || p.AgencyID == agencyID
}

// CanListAllDetection: who sees every agency's sources and alerts.
func CanListAllDetection(p *Principal) bool {
	return p != nil && (p.System || p.Has(Admin) || p.IsCoordinator())
}

// CanManageSources: the agency's coordinators and analysts register and
// rotate its sensors; admins any agency's.
func CanManageSources(p *Principal, agencyID int64) bool {
	if p == nil {
		return false
	}
	return p.System || p.Has(Admin) || (p.AgencyID == agencyID && p.HasAny(Coordinator, Analyst))
}

// CanTriageAlert: the agency's coordinators and analysts acknowledge,
// dismiss and promote its alerts; so do province coordinators.
func CanTriageAlert(p *Principal, agencyID int64) bool {
	if p == nil {
		return false
	}
	return p.System || p.Has(Admin) || p.IsCoordinator() || (p.AgencyID == agencyID && p.HasAny(Coordinator, Analyst))
}

// CanManageRules: the standing agency's analysts and coordinators, and
// admins, since rules run on every agency's events.
func CanManageRules(p *Principal) bool {
	if p == nil {
		return false
	}
	return p.System || p.Has(Admin) || (p.Standing && p.HasAny(Coordinator, Analyst))
}

// CanReadRules: every signed-in staff member may read the rules and test
// one against an event.
func CanReadRules(p *Principal) bool {
	return p != nil && (p.System || p.UserID != 0)
}
