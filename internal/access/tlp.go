package access

import (
	"slices"
	"strings"

	"bulwark/internal/errs"
)

// TLP is a Traffic Light Protocol 2.0 label. Labels stay in English in
// every language.
type TLP string

// The TLP 2.0 labels, from least to most restricted.
const (
	Clear       TLP = "CLEAR"
	Green       TLP = "GREEN"
	Amber       TLP = "AMBER"
	AmberStrict TLP = "AMBER+STRICT"
	Red         TLP = "RED"
)

// TLPs lists the labels from least to most restricted.
var TLPs = []TLP{Clear, Green, Amber, AmberStrict, Red}

// ParseTLP accepts a label in any case, with or without the "TLP:" prefix,
// and the TLP 1.0 WHITE as CLEAR.
func ParseTLP(s string) (TLP, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.TrimPrefix(u, "TLP:")
	if u == "WHITE" {
		return Clear, nil
	}
	t := TLP(u)
	if !slices.Contains(TLPs, t) {
		return "", errs.Field("tlp", "must be one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
	}
	return t, nil
}

// Rank orders labels: higher is more restricted.
func (t TLP) Rank() int { return slices.Index(TLPs, t) }

// Stricter returns the more restricted of a and b.
func Stricter(a, b TLP) TLP {
	if a.Rank() >= b.Rank() {
		return a
	}
	return b
}

// Shared describes who an object belongs to and who it is shared with.
type Shared struct {
	TLP         TLP
	OwnerAgency int64
	// Agencies the object was shared with (AMBER), beyond the owner.
	Agencies []int64
	// People named on a RED object; the creator is always one of them.
	People []int64
	// CoordinatorSees lets the standing agency's coordinators see the
	// object up to AMBER+STRICT (incidents), but never RED ones they were
	// not named on.
	CoordinatorSees bool
}

// CanSee applies the TLP 2.0 rules of DESIGN.md: CLEAR everyone (including
// anonymous visitors), GREEN every member agency's user, AMBER the owner and
// the agencies it is shared with, AMBER+STRICT the owner only, RED named
// people only. p may be nil (anonymous). The system principal sees all.
func CanSee(p *Principal, s Shared) bool {
	if s.TLP == Clear {
		return true
	}
	if p == nil {
		return false
	}
	if p.System {
		return true
	}
	switch s.TLP {
	case Green:
		return true
	case Amber:
		return p.AgencyID == s.OwnerAgency || slices.Contains(s.Agencies, p.AgencyID) ||
			(s.CoordinatorSees && p.IsCoordinator())
	case AmberStrict:
		return p.AgencyID == s.OwnerAgency || (s.CoordinatorSees && p.IsCoordinator())
	case Red:
		return slices.Contains(s.People, p.UserID)
	}
	return false
}
