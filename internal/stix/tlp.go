package stix

import (
	"encoding/json"
	"strings"
)

// TLP 2.0 levels as Bulwark spells them.
const (
	TLPClear       = "CLEAR"
	TLPGreen       = "GREEN"
	TLPAmber       = "AMBER"
	TLPAmberStrict = "AMBER+STRICT"
	TLPRed         = "RED"
)

// TLP 2.0 marking-definition ids published by OASIS with the TLP 2.0
// extension (extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d),
// and the TLP 1.0 ids from STIX 2.1 section 7.2.1.4.
const (
	MarkingTLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	MarkingTLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	MarkingTLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	MarkingTLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	MarkingTLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

	MarkingTLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	MarkingTLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	MarkingTLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	MarkingTLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

	// TLP2ExtensionID is the extension-definition that TLP 2.0 marking
	// definitions carry.
	TLP2ExtensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
)

// TLPFromMarkingRef maps a well-known TLP 1.0 or 2.0 marking-definition id
// to a TLP 2.0 level (TLP 1.0 WHITE becomes CLEAR).
func TLPFromMarkingRef(ref string) (string, bool) {
	switch ref {
	case MarkingTLP2Clear, MarkingTLP1White:
		return TLPClear, true
	case MarkingTLP2Green, MarkingTLP1Green:
		return TLPGreen, true
	case MarkingTLP2Amber, MarkingTLP1Amber:
		return TLPAmber, true
	case MarkingTLP2AmberStrict:
		return TLPAmberStrict, true
	case MarkingTLP2Red, MarkingTLP1Red:
		return TLPRed, true
	}
	return "", false
}

// MarkingRef returns the TLP 2.0 marking-definition id for a level.
func MarkingRef(tlp string) (string, bool) {
	switch tlp {
	case TLPClear:
		return MarkingTLP2Clear, true
	case TLPGreen:
		return MarkingTLP2Green, true
	case TLPAmber:
		return MarkingTLP2Amber, true
	case TLPAmberStrict:
		return MarkingTLP2AmberStrict, true
	case TLPRed:
		return MarkingTLP2Red, true
	}
	return "", false
}

// ParseTLP reads a TLP level as written in labels, tags and marking names:
// "tlp:green", "TLP:AMBER+STRICT", "white", "clear" (case-insensitive).
func ParseTLP(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "tlp:")
	s = strings.TrimPrefix(s, "tlp-")
	switch strings.TrimSpace(s) {
	case "clear", "white":
		return TLPClear, true
	case "green":
		return TLPGreen, true
	case "amber":
		return TLPAmber, true
	case "amber+strict", "amber-strict":
		return TLPAmberStrict, true
	case "red":
		return TLPRed, true
	}
	return "", false
}

// TLPRank orders levels from least (CLEAR, 1) to most restrictive (RED, 5);
// it is 0 for anything else.
func TLPRank(tlp string) int {
	switch tlp {
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

// Markings resolves marking references to TLP levels. Besides the
// well-known ids it learns TLP marking definitions met in a bundle (some
// producers mint their own ids). The zero value is not usable; call
// NewMarkings. Not safe for concurrent use.
type Markings struct {
	learned map[string]string
}

// NewMarkings returns an empty resolver.
func NewMarkings() *Markings { return &Markings{learned: map[string]string{}} }

// markingJSON covers TLP 1.0 ({definition_type: tlp, definition: {tlp}}),
// TLP 2.0 (extension property tlp_2_0) and plain names like "TLP:GREEN".
type markingJSON struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	DefinitionType string `json:"definition_type"`
	Definition     struct {
		TLP string `json:"tlp"`
	} `json:"definition"`
	Extensions map[string]struct {
		TLP2 string `json:"tlp_2_0"`
	} `json:"extensions"`
}

// Learn records the level of a marking-definition object that describes a
// TLP level; it returns false (and learns nothing) for other objects.
func (m *Markings) Learn(obj Object) bool {
	if obj.Type != "marking-definition" {
		return false
	}
	var j markingJSON
	if err := json.Unmarshal(obj.Raw, &j); err != nil || j.ID == "" {
		return false
	}
	var level string
	var ok bool
	if ext, found := j.Extensions[TLP2ExtensionID]; found {
		level, ok = ParseTLP(ext.TLP2)
	}
	if !ok && strings.EqualFold(j.DefinitionType, "tlp") {
		level, ok = ParseTLP(j.Definition.TLP)
	}
	if !ok && strings.HasPrefix(strings.ToLower(j.Name), "tlp:") {
		level, ok = ParseTLP(j.Name)
	}
	if ok {
		m.learned[j.ID] = level
	}
	return ok
}

// TLP returns the most restrictive level named by the marking refs (known
// ids or learned definitions) and by "tlp:" labels. ok is false when none
// names a level; the caller then applies its own default.
func (m *Markings) TLP(refs, labels []string) (level string, ok bool) {
	consider := func(l string) {
		if TLPRank(l) > TLPRank(level) {
			level = l
		}
	}
	for _, r := range refs {
		if l, found := TLPFromMarkingRef(r); found {
			consider(l)
		} else if l, found := m.learned[r]; found {
			consider(l)
		}
	}
	for _, lb := range labels {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(lb)), "tlp:") {
			if l, found := ParseTLP(lb); found {
				consider(l)
			}
		}
	}
	return level, level != ""
}
