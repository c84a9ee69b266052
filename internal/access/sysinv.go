package access

// Policies of the information systems inventory (issue 7). An agency sees
// and edits its own systems; the standing agency's coordinators (and
// admins) see every agency's, since the province must know which of its
// systems are exposed. Components' addresses of another agency's system
// are TLP:AMBER by default: the owner may lower them to GREEN.

// CanReadSystem: the owner agency's users, province coordinators, admins.
func CanReadSystem(p *Principal, ownerAgency int64) bool {
	if p == nil {
		return false
	}
	return p.System || p.AgencyID == ownerAgency || p.IsCoordinator() || p.Has(Admin)
}

// CanListAllSystems: who sees the province-wide inventory and risk view.
func CanListAllSystems(p *Principal) bool {
	return p != nil && (p.System || p.IsCoordinator() || p.Has(Admin))
}

// CanEditSystem: the owner agency's coordinators and analysts keep its
// systems current; admins may correct any record.
func CanEditSystem(p *Principal, ownerAgency int64) bool {
	if p == nil {
		return false
	}
	return p.System || p.Has(Admin) || (p.AgencyID == ownerAgency && p.HasAny(Coordinator, Analyst))
}

// CanSeeAddresses applies TLP to a system's component addresses (IPs and
// domains): the owner agency always, others by the label (AMBER: province
// coordinators, who coordinate the response, but not other agencies;
// AMBER+STRICT: the owner agency only).
func CanSeeAddresses(p *Principal, ownerAgency int64, tlp TLP) bool {
	return CanSee(p, Shared{TLP: tlp, OwnerAgency: ownerAgency, CoordinatorSees: tlp == Amber})
}

// CanAppraiseLevel: who records the appraisal of a level dossier. Levels
// 1–3 are appraised inside the owner (its security unit, represented by the
// owner agency's coordinators); levels 4–5 by a ministry, whose result the
// province coordinators record. Admins may always record.
func CanAppraiseLevel(p *Principal, ownerAgency int64, level int) bool {
	if p == nil {
		return false
	}
	if p.System || p.Has(Admin) {
		return true
	}
	if level >= 4 {
		return p.IsCoordinator()
	}
	return p.AgencyID == ownerAgency && p.Has(Coordinator)
}

// CanApproveLevel: levels 1–4 are approved by the owner (its coordinators
// record the decision); level 5 by the Prime Minister, recorded by the
// province coordinators.
func CanApproveLevel(p *Principal, ownerAgency int64, level int) bool {
	if p == nil {
		return false
	}
	if p.System || p.Has(Admin) {
		return true
	}
	if level >= 5 {
		return p.IsCoordinator()
	}
	return p.AgencyID == ownerAgency && p.Has(Coordinator)
}

// CanAcceptRisk: accepting a vulnerability's risk is a decision of the
// owner agency's coordinator (recorded as the approver), or an admin.
func CanAcceptRisk(p *Principal, ownerAgency int64) bool {
	if p == nil {
		return false
	}
	return p.System || p.Has(Admin) || (p.AgencyID == ownerAgency && p.Has(Coordinator))
}

// CanImportVulnFeeds: importing the NVD and KEV catalogues changes findings
// of every agency, so it is for province coordinators and admins.
func CanImportVulnFeeds(p *Principal) bool {
	return p != nil && (p.System || p.IsCoordinator() || p.Has(Admin))
}

// CanEditChecklist: the requirement checklist is the province's reading of
// Circular 12/2022, kept by its coordinators and admins.
func CanEditChecklist(p *Principal) bool {
	return p != nil && (p.System || p.IsCoordinator() || p.Has(Admin))
}
