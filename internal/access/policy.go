package access

// The policy functions below decide, per object type, who may read or
// change what. Each capability adds its own next to its objects; these
// cover the foundation's directory, users, tokens and audit log.

// CanReadDirectory: every signed-in user reads agencies, bodies,
// memberships and decisions (they are the province's public organisation
// chart among members).
func CanReadDirectory(p *Principal) bool { return p != nil }

// CanManageAgencies: admins create, rename, merge and edit agencies.
func CanManageAgencies(p *Principal) bool { return p.Has(Admin) }

// CanEditContact: an agency's own coordinators may keep its 24/7 contact
// point current (the rules ask for updates within 24 hours), besides admins.
func CanEditContact(p *Principal, agencyID int64) bool {
	return p.Has(Admin) || (p != nil && p.AgencyID == agencyID && p.Has(Coordinator))
}

// CanManageSubcommittee: the secretariat (admins) and the standing agency's
// coordinators record bodies, memberships and decisions.
func CanManageSubcommittee(p *Principal) bool { return p.Has(Admin) || p.IsCoordinator() }

// CanReadUser: admins read everyone, coordinators their own agency's users,
// everyone themselves.
func CanReadUser(p *Principal, userID, agencyID int64) bool {
	if p == nil {
		return false
	}
	return p.Has(Admin) || p.UserID == userID || (p.Has(Coordinator) && p.AgencyID == agencyID)
}

// CanManageUsers: admins create, disable and reset users.
func CanManageUsers(p *Principal) bool { return p.Has(Admin) }

// CanManageToken: a user manages their own API tokens; admins all tokens.
func CanManageToken(p *Principal, ownerID int64) bool {
	return p != nil && (p.Has(Admin) || p.UserID == ownerID)
}

// AuditScope says which audit rows p may browse: all (admins), one agency
// (coordinators: their own), or none.
func AuditScope(p *Principal) (all bool, agencyID int64, ok bool) {
	switch {
	case p.Has(Admin):
		return true, 0, true
	case p != nil && p.Has(Coordinator):
		return false, p.AgencyID, true
	}
	return false, 0, false
}
