package access

// Policies of the subcommittee's work (issue 8): meetings, directives to
// agencies, their progress notes and the annual report.

// CanReadMeetings: every signed-in user reads meetings; minutes of the
// subcommittee are shared among member agencies.
func CanReadMeetings(p *Principal) bool { return p != nil }

// CanManageMeetings: the secretariat (admins) and the standing agency's
// coordinators record meetings, attendance, minutes and documents.
func CanManageMeetings(p *Principal) bool { return p.Has(Admin) || p.IsCoordinator() }

// CanIssueDirective: the same people issue directives on the
// subcommittee's behalf.
func CanIssueDirective(p *Principal) bool { return p.Has(Admin) || p.IsCoordinator() }

// DirectiveRefs are the facts about a directive that access depends on.
type DirectiveRefs struct {
	IssuerAgencyID int64
	IssuerUserID   int64
	// Wide is true for directives visible to every member agency.
	Wide bool
	// Lead is the lead agency; Coordinating the agencies that help.
	Lead         int64
	Coordinating []int64
}

func (d DirectiveRefs) assigned(agencyID int64) bool {
	if agencyID == 0 {
		return false
	}
	if d.Lead == agencyID {
		return true
	}
	for _, a := range d.Coordinating {
		if a == agencyID {
			return true
		}
	}
	return false
}

// CanReadDirective: coordinators and admins read every directive; others
// read the subcommittee-wide ones, those their agency issued and those
// assigned to their agency.
func CanReadDirective(p *Principal, d DirectiveRefs) bool {
	if p == nil {
		return false
	}
	return p.Has(Admin) || p.IsCoordinator() || d.Wide || p.AgencyID == d.IssuerAgencyID || d.assigned(p.AgencyID)
}

// CanChangeDirective: only the issuer (the user who issued it) or a
// coordinator of the province changes, accepts, returns or cancels a
// directive; admins may too, as the secretariat.
func CanChangeDirective(p *Principal, d DirectiveRefs) bool {
	if p == nil {
		return false
	}
	return p.Has(Admin) || p.IsCoordinator() || (d.IssuerUserID != 0 && p.UserID == d.IssuerUserID)
}

// CanReportOnDirective: users of an assigned agency (lead or
// coordinating) who act for it acknowledge and post progress; viewers
// only read.
func CanReportOnDirective(p *Principal, d DirectiveRefs) bool {
	if p == nil || p.System {
		return p != nil
	}
	return d.assigned(p.AgencyID) && p.HasAny(Admin, Coordinator, Analyst, Reporter, Liaison)
}

// CanCompleteDirective: only the lead agency marks a directive done; the
// coordinating agencies contribute progress.
func CanCompleteDirective(p *Principal, d DirectiveRefs) bool {
	if p == nil {
		return false
	}
	return p.System || (p.AgencyID == d.Lead && p.HasAny(Admin, Coordinator, Analyst, Reporter, Liaison))
}

// CanSeeRestrictedNote: a progress note marked restricted is read by the
// agency that wrote it, the issuing agency, and the province's
// coordinators and admins; other assigned agencies do not see it.
func CanSeeRestrictedNote(p *Principal, authorAgencyID, issuerAgencyID int64) bool {
	if p == nil {
		return false
	}
	return p.Has(Admin) || p.IsCoordinator() || p.AgencyID == authorAgencyID || p.AgencyID == issuerAgencyID
}

// CanReadAnnualReport: every signed-in user reads the annual evaluation
// report; each section counts only what the reader may see.
func CanReadAnnualReport(p *Principal) bool { return p != nil }
