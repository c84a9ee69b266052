// Package incident is the heart of Bulwark: an agency that is attacked
// reports an incident, the lead agency (the standing agency by default)
// acknowledges and coordinates it, other agencies take tasks, and the case
// is closed only once its closing report exists (Decision 05/2017,
// Circular 20/2017).
//
// The package owns the incident record and its workflow, the deadline
// rules (configuration data seeded with the national values), the reports
// in the series, tasks, the journal, observables, evidence files (kept in a
// blob.Store), links and merges, playbooks and the figures of the annual
// report. Every Service method checks the caller (access.From(ctx)) itself
// and writes its changes to the audit log in the same transaction, so the
// pages and the API cannot differ.
//
// Who sees an incident: the owner (reporting) agency, the lead agency,
// participating agencies, and any agency with a task on it (need to know),
// whatever its TLP below RED; CLEAR and GREEN incidents every member
// agency; the standing agency's coordinators all but RED ones they were not
// named on; RED ones only the people named on them. A view by anyone
// outside the owner agency is written to the audit log.
//
// The package reads the foundation's agencies and users tables for names
// and recipients, and the inventory's sysinv_systems table for the names
// and levels of linked systems; it never writes them.
package incident

import (
	"slices"
	"strings"
	"time"

	"bulwark/internal/access"
)

// Status is where an incident is in its workflow.
type Status string

// The workflow: new -> acknowledged -> investigating -> contained ->
// eradicated -> recovered -> closed, plus rejected and duplicate (merged
// into another incident).
const (
	StatusNew           Status = "new"
	StatusAcknowledged  Status = "acknowledged"
	StatusInvestigating Status = "investigating"
	StatusContained     Status = "contained"
	StatusEradicated    Status = "eradicated"
	StatusRecovered     Status = "recovered"
	StatusClosed        Status = "closed"
	StatusRejected      Status = "rejected"
	StatusDuplicate     Status = "duplicate"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{StatusNew, StatusAcknowledged, StatusInvestigating, StatusContained,
	StatusEradicated, StatusRecovered, StatusClosed, StatusRejected, StatusDuplicate}

// mainLine is the forward path of the workflow.
var mainLine = []Status{StatusNew, StatusAcknowledged, StatusInvestigating, StatusContained,
	StatusEradicated, StatusRecovered, StatusClosed}

// Open reports whether the incident is still being handled.
func (s Status) Open() bool {
	return s != StatusClosed && s != StatusRejected && s != StatusDuplicate
}

// Severity is Bulwark's own scale; the legal "serious incident" flag is
// separate (Serious).
type Severity string

// The severities, from least to most severe.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists the severities from least to most severe.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// PAP is the Permissible Actions Protocol label.
type PAP string

// The PAP labels.
const (
	PAPClear PAP = "CLEAR"
	PAPGreen PAP = "GREEN"
	PAPAmber PAP = "AMBER"
	PAPRed   PAP = "RED"
)

// PAPs lists the PAP labels from least to most restricted.
var PAPs = []PAP{PAPClear, PAPGreen, PAPAmber, PAPRed}

// Effect is one of the five effects of the legal definition of a serious
// incident.
type Effect string

// The effects listed by the national rules.
const (
	EffectInterruption  Effect = "interruption"
	EffectStateSecret   Effect = "state_secret"
	EffectIntegrityLoss Effect = "integrity_loss"
	EffectLossOfControl Effect = "loss_of_control"
	EffectSpread        Effect = "spread"
)

// Effects lists the legal effects.
var Effects = []Effect{EffectInterruption, EffectStateSecret, EffectIntegrityLoss, EffectLossOfControl, EffectSpread}

// IsSerious applies the legal definition: the affected system is of
// security level 4 or 5, it suffers at least one of the listed effects, and
// the owner cannot handle it alone.
func IsSerious(systemLevel int, effects []Effect, beyondCapacity bool) bool {
	return systemLevel >= 4 && len(effects) > 0 && beyondCapacity
}

// Category is a class/type pair of the Reference Security Incident
// Taxonomy, e.g. "intrusions/system-compromise".
type Category struct {
	Class string `json:"class"`
	Type  string `json:"type"`
}

// Code is the "class/type" form stored and shown.
func (c Category) Code() string { return c.Class + "/" + c.Type }

// Taxonomy lists the categories offered: the Reference Security Incident
// Taxonomy without its harmful-speech type, which Bulwark does not handle.
var Taxonomy = func() []Category {
	classes := []struct {
		class string
		types []string
	}{
		{"abusive-content", []string{"spam", "violence"}},
		{"malicious-code", []string{"infected-system", "c2-server", "malware-distribution", "malware-configuration"}},
		{"information-gathering", []string{"scanner", "sniffing", "social-engineering"}},
		{"intrusion-attempts", []string{"ids-alert", "brute-force", "exploit"}},
		{"intrusions", []string{"privileged-account-compromise", "unprivileged-account-compromise", "application-compromise", "system-compromise", "burglary"}},
		{"availability", []string{"dos", "ddos", "misconfiguration", "sabotage", "outage"}},
		{"information-content-security", []string{"unauthorised-information-access", "unauthorised-information-modification", "data-loss", "data-leak"}},
		{"fraud", []string{"unauthorised-use-of-resources", "copyright", "masquerade", "phishing"}},
		{"vulnerable", []string{"weak-crypto", "ddos-amplifier", "potentially-unwanted-accessible", "information-disclosure", "vulnerable-system"}},
		{"other", []string{"other", "undetermined"}},
		{"test", []string{"test"}},
	}
	var out []Category
	for _, c := range classes {
		for _, t := range c.types {
			out = append(out, Category{Class: c.class, Type: t})
		}
	}
	return out
}()

// ValidCategory reports whether code is an offered "class/type".
func ValidCategory(code string) bool {
	return slices.ContainsFunc(Taxonomy, func(c Category) bool { return c.Code() == code })
}

// CategoryClass returns the class part of a category code.
func CategoryClass(code string) string {
	class, _, _ := strings.Cut(code, "/")
	return class
}

// Ref is an agency as shown on an incident: id, code and names.
type Ref struct {
	ID     int64  `json:"id"`
	Code   string `json:"code"`
	NameVI string `json:"name_vi"`
	NameEN string `json:"name_en,omitempty"`
}

// Incident is the record.
type Incident struct {
	ID          int64    `json:"id"`
	Ref         string   `json:"ref"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	Severity    Severity `json:"severity"`
	Serious     bool     `json:"serious"`
	SystemLevel int      `json:"system_level"`
	Effects     []Effect `json:"effects"`
	Beyond      bool     `json:"beyond_capacity"`
	// Systems are the linked inventory systems; InventoryLevel is the
	// highest approved level among them (0: none approved), which the
	// serious flag uses instead of SystemLevel when set. Filled when one
	// incident is loaded, not in lists.
	Systems        []SystemRef `json:"systems"`
	InventoryLevel int         `json:"inventory_level"`
	TLP            access.TLP  `json:"tlp"`
	PAP            PAP         `json:"pap"`
	Status         Status      `json:"status"`
	Owner          Ref         `json:"owner_agency"`
	Lead           Ref         `json:"lead_agency"`
	Participants   []Ref       `json:"participating_agencies"`
	People         []int64     `json:"named_people,omitempty"`

	ReporterUserID  int64  `json:"reporter_user_id,omitempty"`
	ReporterName    string `json:"reporter_name"`
	ReporterContact string `json:"reporter_contact"`
	Operator        string `json:"operator"`
	SystemOwner     string `json:"system_owner"`
	AffectedSystems string `json:"affected_systems"`
	AffectedAddrs   string `json:"affected_addresses"`
	Provider        string `json:"provider"`
	ImpactHarm      string `json:"impact_harm"`
	ImpactSpread    string `json:"impact_spread"`
	ImpactOps       string `json:"impact_operations"`
	Measures        string `json:"measures"`
	Lessons         string `json:"lessons"`
	Playbook        string `json:"playbook,omitempty"`
	MergedInto      int64  `json:"merged_into_id,omitempty"`
	MergedIntoRef   string `json:"merged_into_ref,omitempty"`

	DetectedAt     time.Time  `json:"detected_at"`
	ReportedAt     time.Time  `json:"reported_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ContainedAt    *time.Time `json:"contained_at,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	NextDueAt      *time.Time `json:"next_due_at,omitempty"`
	NextDueRule    string     `json:"next_due_rule,omitempty"`
	Overdue        bool       `json:"overdue"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`

	// taskAgencies are the agencies with a task on the incident (need to
	// know); filled when loading one incident, used by the policy.
	taskAgencies []int64
}

// Input is what a person fills in to report or edit an incident. On
// update, every field is replaced.
type Input struct {
	Title           string     `json:"title"`
	Description     string     `json:"description"`
	Category        string     `json:"category"`
	Severity        Severity   `json:"severity"`
	SystemLevel     int        `json:"system_level"`
	Effects         []Effect   `json:"effects"`
	BeyondCapacity  bool       `json:"beyond_capacity"`
	TLP             access.TLP `json:"tlp"`
	PAP             PAP        `json:"pap"`
	ReporterName    string     `json:"reporter_name"`
	ReporterContact string     `json:"reporter_contact"`
	Operator        string     `json:"operator"`
	SystemOwner     string     `json:"system_owner"`
	AffectedSystems string     `json:"affected_systems"`
	AffectedAddrs   string     `json:"affected_addresses"`
	// SystemIDs link inventory systems (internal/sysinv) the reporter may
	// see; systems not in the inventory stay in AffectedSystems and
	// AffectedAddrs. On update the list is replaced; systems already
	// linked stay even when the editor cannot see them.
	SystemIDs    []int64   `json:"system_ids"`
	Provider     string    `json:"provider"`
	ImpactHarm   string    `json:"impact_harm"`
	ImpactSpread string    `json:"impact_spread"`
	ImpactOps    string    `json:"impact_operations"`
	Measures     string    `json:"measures"`
	Lessons      string    `json:"lessons"`
	DetectedAt   time.Time `json:"detected_at"`
	// OwnerAgencyID files on behalf of another agency (coordinators only);
	// 0 is the caller's agency.
	OwnerAgencyID int64 `json:"owner_agency_id,omitempty"`
	// LeadAgencyID is the coordinating agency; 0 is the standing agency.
	LeadAgencyID int64 `json:"lead_agency_id,omitempty"`
	// Participants are participating agencies' ids.
	Participants []int64 `json:"participating_agency_ids,omitempty"`
	// People are user ids named on the incident (RED incidents are seen
	// only by them); the reporter is always named.
	People []int64 `json:"named_people,omitempty"`
	// Playbook pre-creates the tasks and checklist of a playbook (on
	// creation only).
	Playbook string `json:"playbook,omitempty"`
}
