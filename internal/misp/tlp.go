package misp

import "strings"

// TLP 2.0 levels as Bulwark spells them.
const (
	TLPClear       = "CLEAR"
	TLPGreen       = "GREEN"
	TLPAmber       = "AMBER"
	TLPAmberStrict = "AMBER+STRICT"
	TLPRed         = "RED"
)

// DefaultTLP is the level of an event with neither a tlp tag nor a
// distribution level: need-to-know inside the receiving agency.
const DefaultTLP = TLPAmber

func tlpRank(l string) int {
	switch l {
	case TLPClear:
		return 1
	case TLPGreen:
		return 2
	case TLPAmber:
		return 3
	case TLPAmberStrict:
		return 4
	case TLPRed:
		return 5
	}
	return 0
}

// TLPFromTag maps a MISP tlp tag (tlp:white, tlp:clear, tlp:green,
// tlp:amber, tlp:amber+strict, tlp:red; any case) to a TLP 2.0 level.
// Other tags, including tlp:ex:* and tlp:unclear, give false.
func TLPFromTag(tag string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(tag)) {
	case "tlp:white", "tlp:clear":
		return TLPClear, true
	case "tlp:green":
		return TLPGreen, true
	case "tlp:amber":
		return TLPAmber, true
	case "tlp:amber+strict":
		return TLPAmberStrict, true
	case "tlp:red":
		return TLPRed, true
	}
	return "", false
}

// TLPFromTags returns the most restrictive level among the tlp tags.
func TLPFromTags(tags []Tag) (string, bool) {
	best := ""
	for _, t := range tags {
		if l, ok := TLPFromTag(t.Name); ok && tlpRank(l) > tlpRank(best) {
			best = l
		}
	}
	return best, best != ""
}

// TLPFromDistribution maps a MISP distribution level to TLP 2.0. Levels
// are relative to the MISP instance the data came from, whose community is
// not Bulwark's, so the mapping leans to the restrictive side:
//
//	0 your organisation only  -> AMBER+STRICT
//	1 this community only     -> AMBER
//	2 connected communities   -> AMBER
//	3 all communities         -> GREEN (never CLEAR: MISP sharing is not publication)
//	4 sharing group           -> AMBER
//
// 5 (inherit) and unknown levels give false.
func TLPFromDistribution(d int) (string, bool) {
	switch d {
	case 0:
		return TLPAmberStrict, true
	case 1, 2, 4:
		return TLPAmber, true
	case 3:
		return TLPGreen, true
	}
	return "", false
}

// TLP is the event's level: its tlp tags, else its distribution, else
// DefaultTLP.
func (e *Event) TLP() string {
	if l, ok := TLPFromTags(e.Tags); ok {
		return l
	}
	if l, ok := TLPFromDistribution(e.Distribution); ok {
		return l
	}
	return DefaultTLP
}

// AttributeTLP is an attribute's level. Tags win over distribution, and
// the attribute's own setting over the event's: the attribute's tlp tags,
// else the event's tlp tags, else the attribute's distribution (unless 5,
// inherit), else the event's distribution, else DefaultTLP.
func (e *Event) AttributeTLP(a Attribute) string {
	if l, ok := TLPFromTags(a.Tags); ok {
		return l
	}
	if l, ok := TLPFromTags(e.Tags); ok {
		return l
	}
	if l, ok := TLPFromDistribution(a.Distribution); ok {
		return l
	}
	if l, ok := TLPFromDistribution(e.Distribution); ok {
		return l
	}
	return DefaultTLP
}
