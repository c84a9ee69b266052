package intel

import (
	"bulwark/internal/access"
)

// visibleSQL is the SQL form of access.CanSee for the entries aliased e:
// the one predicate every read path (list, search, export, TAXII, feeds of
// other Bulwarks) uses. TestVisibleSQLAgreesWithCanSee checks it against
// access.CanSee for every TLP and relation.
func visibleSQL(p *access.Principal, e string) (string, []any) {
	switch {
	case p != nil && p.System:
		return "1 = 1", nil
	case p == nil:
		return e + ".tlp = 'CLEAR'", nil
	}
	return `(` + e + `.tlp IN ('CLEAR', 'GREEN')
		OR (` + e + `.tlp = 'AMBER' AND (` + e + `.agency_id = ? OR EXISTS (SELECT 1 FROM intel_entry_shares sh WHERE sh.entry_id = ` + e + `.id AND sh.agency_id = ?)))
		OR (` + e + `.tlp = 'AMBER+STRICT' AND ` + e + `.agency_id = ?)
		OR (` + e + `.tlp = 'RED' AND EXISTS (SELECT 1 FROM intel_entry_people pe WHERE pe.entry_id = ` + e + `.id AND pe.user_id = ?)))`,
		[]any{p.AgencyID, p.AgencyID, p.AgencyID, p.UserID}
}
