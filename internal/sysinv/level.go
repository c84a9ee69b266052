package sysinv

import (
	"fmt"
	"slices"
)

// Criteria are the facts of a record that decide its level under Decree
// 85/2016 articles 7–11.
type Criteria struct {
	Type               string `json:"system_type"`
	InfoClass          string `json:"info_class"`
	PersonalUsers      int    `json:"personal_users"`
	OnlineServiceLevel int    `json:"online_service_level"`
	AlwaysOn           bool   `json:"always_on"`
	Reach              string `json:"reach"`
	NationalCritical   bool   `json:"national_critical"`
}

// Reason is one criterion that lifts the level: a stable code (translated
// by the pages) and an English sentence for the API.
type Reason struct {
	Level  int    `json:"level"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Suggestion is the level the criteria call for, with every reason that
// applies, highest first. It is advice shown beside the proposed level; it
// never replaces it.
type Suggestion struct {
	Level   int      `json:"level"`
	Reasons []Reason `json:"reasons"`
}

// Suggest computes the suggested level. The rules summarise Decree 85
// (DOMAIN.md): 5 = on the national critical list; 4 = state secrets, or a
// national system running 24/7; 3 = personal data of 10,000+ users, online
// public services of level 3+, infrastructure for a whole province, or
// industrial control; 2 = personal or private data of fewer users,
// infrastructure of one agency, or services to citizens; 1 = otherwise
// (internal use, public information only).
func Suggest(c Criteria) Suggestion {
	var rs []Reason
	add := func(level int, code, format string, args ...any) {
		rs = append(rs, Reason{Level: level, Code: code, Detail: fmt.Sprintf(format, args...)})
	}
	if c.NationalCritical {
		add(5, "national_critical", "on the national critical information systems list")
	}
	if c.InfoClass == "state_secret" {
		add(4, "state_secret", "processes state secret information")
	}
	if c.Reach == "national" && c.AlwaysOn {
		add(4, "national_24x7", "a national system that must run 24/7")
	}
	if c.PersonalUsers >= 10000 {
		add(3, "personal_10000", "holds personal data of %d users (10,000 or more)", c.PersonalUsers)
	}
	if c.OnlineServiceLevel >= 3 {
		add(3, "online_service", "provides online public services at level %d", c.OnlineServiceLevel)
	}
	if c.Type == "shared_infrastructure" && (c.Reach == "province" || c.Reach == "national") {
		add(3, "province_infrastructure", "shared infrastructure serving a whole %s", c.Reach)
	}
	if c.Type == "industrial_control" {
		add(3, "industrial_control", "an industrial control system")
	}
	if c.PersonalUsers > 0 && c.PersonalUsers < 10000 {
		add(2, "personal_under_10000", "holds personal data of %d users (fewer than 10,000)", c.PersonalUsers)
	}
	if c.PersonalUsers == 0 && (c.InfoClass == "personal" || c.InfoClass == "private") {
		add(2, "private_info", "processes %s information", c.InfoClass)
	}
	if c.Type == "shared_infrastructure" && c.Reach == "agency" {
		add(2, "agency_infrastructure", "infrastructure serving one agency")
	}
	if c.Type == "citizen_services" && c.OnlineServiceLevel < 3 {
		add(2, "citizen_services", "serves citizens and businesses")
	}
	if len(rs) == 0 {
		add(1, "internal_public", "internal use with public information only")
	}
	slices.SortStableFunc(rs, func(a, b Reason) int { return b.Level - a.Level })
	return Suggestion{Level: rs[0].Level, Reasons: rs}
}

// Bodies names who appraises and who approves a dossier of a level, as
// codes the pages translate: security_unit (the owner's specialised
// security unit), owner, ministry, prime_minister.
func Bodies(level int) (appraiser, approver string) {
	switch {
	case level <= 2:
		return "security_unit", "security_unit"
	case level == 3:
		return "security_unit", "owner"
	case level == 4:
		return "ministry", "owner"
	}
	return "ministry", "prime_minister"
}
