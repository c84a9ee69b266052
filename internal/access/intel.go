package access

// The threat-intelligence policy: who may share, change, import and run
// feeds. Who may read an indicator is decided per source entry by CanSee
// with the entry's TLP, owner agency, sharing list and named people.

// CanShareIntel: analysts, coordinators and admins record indicators and
// sightings, import files and export for their agency.
func CanShareIntel(p *Principal) bool { return p.HasAny(Admin, Coordinator, Analyst) }

// CanEditIntelEntry: a source entry is changed (revoked, relabelled,
// extended) by its own agency's analysts and coordinators, or by admins.
func CanEditIntelEntry(p *Principal, ownerAgency int64) bool {
	if p == nil {
		return false
	}
	return p.Has(Admin) || (p.AgencyID == ownerAgency && p.HasAny(Coordinator, Analyst))
}

// CanManageIntelSources: admins configure scheduled feeds and add warning
// lists, since both change what every agency receives.
func CanManageIntelSources(p *Principal) bool { return p.Has(Admin) }
