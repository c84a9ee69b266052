package access

// Online fraud policies. Verification is police work: the analysts and
// coordinators of the standing agency (the provincial police cyber unit).
// Reporters' contact details are personal data, shown to police analysts
// only. Telecom and bank liaisons see their own organisation's referrals
// and nothing else.

// IsFraudVerifier: analysts and coordinators of the standing agency read
// the reports and subjects, and confirm or reject subjects.
func IsFraudVerifier(p *Principal) bool {
	return p != nil && (p.System || (p.Standing && p.HasAny(Analyst, Coordinator)))
}

// CanSeeReporterContact: only police analysts (analysts of the standing
// agency) see who reported; every view is audited by the caller.
func CanSeeReporterContact(p *Principal) bool {
	return p != nil && (p.System || (p.Standing && p.Has(Analyst)))
}

// CanFileFraudReport: analysts of any member agency may file a report on a
// victim's behalf or import a list; they do not thereby read others'.
func CanFileFraudReport(p *Principal) bool {
	return p != nil && (p.System || p.Has(Analyst) || IsFraudVerifier(p))
}

// CanReadFraudFigures: every signed-in user sees the aggregate figures
// (counts and amounts, no personal data).
func CanReadFraudFigures(p *Principal) bool { return p != nil }

// CanManageFraudData: admins and the standing agency's coordinators edit
// the operator prefixes, partners and the outcome list.
func CanManageFraudData(p *Principal) bool { return p.Has(Admin) || p.IsCoordinator() }

// CanReadReferral: verifiers read every referral; a liaison reads the
// referrals addressed to their own agency only.
func CanReadReferral(p *Principal, agencyID int64) bool {
	if IsFraudVerifier(p) {
		return true
	}
	return p != nil && agencyID != 0 && p.AgencyID == agencyID && p.Has(Liaison)
}

// CanAnswerReferral: the liaison of the agency the referral is addressed
// to records the outcome (the system may too, for imports).
func CanAnswerReferral(p *Principal, agencyID int64) bool {
	return p != nil && (p.System || (agencyID != 0 && p.AgencyID == agencyID && p.Has(Liaison)))
}

// CanDownloadBlocklist: a partner's liaison downloads the list meant for
// its kind of organisation (telecom: numbers and the DNS zone; bank:
// accounts); verifiers download every list.
func CanDownloadBlocklist(p *Principal, partnerKind string) bool {
	if IsFraudVerifier(p) {
		return true
	}
	return p != nil && p.Has(Liaison) && p.AgencyKind == partnerKind
}

// CanManageReporterData: admins answer data-subject requests (export or
// erase one reporter's data) and run the retention job by hand.
func CanManageReporterData(p *Principal) bool { return p.Has(Admin) }
