package sysinv

import (
	"context"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// The finding statuses.
var FindingStatuses = []string{"open", "mitigated", "accepted", "false_positive", "fixed"}

// Finding is a catalogue vulnerability matched to a component.
type Finding struct {
	ID            int64  `json:"id"`
	SystemID      int64  `json:"system_id"`
	SystemName    string `json:"system_name"`
	OwnerAgencyID int64  `json:"owner_agency_id"`
	Level         int    `json:"level"`
	ComponentID   int64  `json:"component_id"`
	Component     string `json:"component"`
	CVE           string `json:"cve"`
	Description   string `json:"description"`
	// Strength is "cpe" (a recorded CPE name matched) or "name" (the
	// software name matched; weaker, to be confirmed).
	Strength   string     `json:"strength"`
	Matched    string     `json:"matched"`
	CVSS       float64    `json:"cvss"`
	Severity   string     `json:"severity"`
	KEV        bool       `json:"known_exploited"`
	KEVAction  string     `json:"kev_required_action,omitempty"`
	Status     string     `json:"status"`
	Reason     string     `json:"reason,omitempty"`
	Approver   string     `json:"approver,omitempty"`
	DueOn      string     `json:"due_on"`
	Overdue    bool       `json:"overdue"`
	FirstSeen  time.Time  `json:"first_seen"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// FindingFilter selects findings. Zero fields do not filter; Open selects
// open and mitigated findings.
type FindingFilter struct {
	SystemID int64
	AgencyID int64
	Status   string
	Open     bool
	KEV      bool // only known-exploited
	Level    int  // systems of exactly this level
	MinLevel int
	Limit    int
	Offset   int
}

const findingSelect = `SELECT f.id, f.system_id, s.name, s.owner_agency_id, CASE WHEN s.approved_level > 0 THEN s.approved_level ELSE s.proposed_level END,
	f.component_id, c.name, f.cve_id, v.description, f.strength, f.matched, f.cvss, v.severity, f.kev, v.kev_action, f.status, f.reason,
	f.approver, f.due_on, f.first_seen, f.updated_at, f.resolved_at
	FROM sysinv_findings f JOIN sysinv_systems s ON s.id = f.system_id JOIN sysinv_components c ON c.id = f.component_id
	JOIN sysinv_vulns v ON v.cve_id = f.cve_id`

func (s *Service) scanFindings(rows interface {
	Next() bool
	Scan(...any) error
}) ([]Finding, error) {
	today := s.today().Format(time.DateOnly)
	var out []Finding
	for rows.Next() {
		var f Finding
		var first, updated, resolved store.Time
		if err := rows.Scan(&f.ID, &f.SystemID, &f.SystemName, &f.OwnerAgencyID, &f.Level, &f.ComponentID, &f.Component, &f.CVE, &f.Description,
			&f.Strength, &f.Matched, &f.CVSS, &f.Severity, &f.KEV, &f.KEVAction, &f.Status, &f.Reason, &f.Approver, &f.DueOn, &first, &updated, &resolved); err != nil {
			return nil, fmt.Errorf("sysinv: scan finding: %w", store.Translate(err))
		}
		f.FirstSeen, f.UpdatedAt, f.ResolvedAt = first.Time, updated.Time, resolved.Ptr()
		f.Overdue = (f.Status == "open" || f.Status == "mitigated") && f.DueOn < today
		out = append(out, f)
	}
	return out, nil
}

// ListFindings returns the findings on systems the caller may see, most
// urgent first (known-exploited, then due date, then CVSS), and the total.
func (s *Service) ListFindings(ctx context.Context, f FindingFilter) ([]Finding, int, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.SystemID != 0 {
		if _, err := s.GetSystem(ctx, f.SystemID); err != nil {
			return nil, 0, err
		}
	}
	where, args := []string{"1=1"}, []any{}
	if !access.CanListAllSystems(p) {
		where, args = append(where, "s.owner_agency_id = ?"), append(args, p.AgencyID)
	}
	if f.SystemID != 0 {
		where, args = append(where, "f.system_id = ?"), append(args, f.SystemID)
	}
	if f.AgencyID != 0 {
		where, args = append(where, "s.owner_agency_id = ?"), append(args, f.AgencyID)
	}
	if f.Status != "" {
		if err := oneOf("status", f.Status, FindingStatuses); err != nil {
			return nil, 0, err
		}
		where, args = append(where, "f.status = ?"), append(args, f.Status)
	}
	if f.Open {
		where = append(where, "f.status IN ('open', 'mitigated')")
	}
	if f.KEV {
		where = append(where, "f.kev")
	}
	lvl := "(CASE WHEN s.approved_level > 0 THEN s.approved_level ELSE s.proposed_level END)"
	if f.Level != 0 {
		where, args = append(where, lvl+" = ?"), append(args, f.Level)
	}
	if f.MinLevel != 0 {
		where, args = append(where, lvl+" >= ?"), append(args, f.MinLevel)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM sysinv_findings f JOIN sysinv_systems s ON s.id = f.system_id WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sysinv: count findings: %w", err)
	}
	limit, offset := page(f.Limit, f.Offset)
	rows, err := s.db.Query(ctx, findingSelect+` WHERE `+cond+` ORDER BY CASE WHEN f.status IN ('open', 'mitigated') THEN 0 ELSE 1 END,
		CASE WHEN f.kev THEN 0 ELSE 1 END, f.due_on, f.cvss DESC, f.id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("sysinv: list findings: %w", store.Translate(err))
	}
	defer rows.Close()
	out, err := s.scanFindings(rows)
	if err != nil {
		return nil, 0, err
	}
	return out, total, store.Translate(rows.Err())
}

// FindingUpdate changes a finding's status.
type FindingUpdate struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// SetFindingStatus changes a finding's status. Accepting the risk needs a
// reason and the owner agency's coordinator, who is recorded as approver;
// false positive needs a reason; other statuses need edit rights.
func (s *Service) SetFindingStatus(ctx context.Context, id int64, u FindingUpdate) (Finding, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Finding{}, err
	}
	if err := oneOf("status", u.Status, FindingStatuses); err != nil {
		return Finding{}, err
	}
	u.Reason = strings.TrimSpace(u.Reason)
	if err := checkLen("reason", u.Reason, 2000); err != nil {
		return Finding{}, err
	}
	if (u.Status == "accepted" || u.Status == "false_positive") && u.Reason == "" {
		return Finding{}, errs.Field("reason", "give the reason for %s", strings.ReplaceAll(u.Status, "_", " "))
	}
	var systemID int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		var owner int64
		if err := tx.QueryRow(ctx, `SELECT f.system_id, s.owner_agency_id FROM sysinv_findings f JOIN sysinv_systems s ON s.id = f.system_id WHERE f.id = ?`, id).Scan(&systemID, &owner); err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.E(errs.NotFound, "finding %d not found", id)
			}
			return err
		}
		if !access.CanReadSystem(p, owner) {
			return errs.E(errs.NotFound, "finding %d not found", id)
		}
		ok := access.CanEditSystem(p, owner)
		if u.Status == "accepted" {
			ok = access.CanAcceptRisk(p, owner)
		}
		if !ok {
			return errs.E(errs.Forbidden, "you may not set this finding to %s", u.Status)
		}
		approver := ""
		if u.Status == "accepted" {
			approver = p.Label()
		}
		now := s.stamp()
		var resolved any
		if u.Status != "open" && u.Status != "mitigated" {
			resolved = now
		}
		if _, err := tx.Exec(ctx, `UPDATE sysinv_findings SET status = ?, reason = ?, approver = ?, resolved_at = ?, updated_at = ? WHERE id = ?`,
			u.Status, u.Reason, approver, resolved, now, id); err != nil {
			return fmt.Errorf("sysinv: set finding %d: %w", id, err)
		}
		return s.record(ctx, tx, "system.finding."+u.Status, "system", systemID, fmt.Sprintf("finding %d: %s", id, clip(u.Reason, 200)))
	})
	if errs.Is(err, errs.Forbidden) {
		return Finding{}, s.log.Denied(ctx, "set finding status to "+u.Status, "finding", fmt.Sprint(id))
	}
	if err != nil {
		return Finding{}, err
	}
	rows, err := s.db.Query(ctx, findingSelect+` WHERE f.id = ?`, id)
	if err != nil {
		return Finding{}, fmt.Errorf("sysinv: read finding: %w", store.Translate(err))
	}
	defer rows.Close()
	list, err := s.scanFindings(rows)
	if err != nil || len(list) == 0 {
		return Finding{}, fmt.Errorf("sysinv: read finding %d: %w", id, err)
	}
	return list[0], nil
}

// Vulnerability is a catalogue entry, as the pages show it.
type Vulnerability struct {
	CVE         string  `json:"cve"`
	Published   string  `json:"published,omitempty"`
	Description string  `json:"description"`
	CVSS        float64 `json:"cvss"`
	Severity    string  `json:"severity"`
	Vector      string  `json:"vector,omitempty"`
	KEV         bool    `json:"known_exploited"`
	KEVAdded    string  `json:"kev_added,omitempty"`
	KEVDue      string  `json:"kev_due,omitempty"`
	KEVName     string  `json:"kev_name,omitempty"`
	KEVAction   string  `json:"kev_required_action,omitempty"`
	Ransomware  string  `json:"kev_ransomware,omitempty"`
}

// VulnStats counts the catalogue.
type VulnStats struct {
	Total int `json:"total"`
	KEV   int `json:"known_exploited"`
	NVD   int `json:"from_nvd"`
}

// CatalogueStats counts the imported catalogue; any signed-in user.
func (s *Service) CatalogueStats(ctx context.Context) (VulnStats, error) {
	if _, err := access.Require(ctx); err != nil {
		return VulnStats{}, err
	}
	var st VulnStats
	err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN kev THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN in_nvd THEN 1 ELSE 0 END), 0) FROM sysinv_vulns`).
		Scan(&st.Total, &st.KEV, &st.NVD)
	if err != nil {
		return VulnStats{}, fmt.Errorf("sysinv: catalogue stats: %w", err)
	}
	return st, nil
}

// GetVulnerability returns a catalogue entry; any signed-in user (the
// catalogue is public data).
func (s *Service) GetVulnerability(ctx context.Context, cve string) (Vulnerability, error) {
	if _, err := access.Require(ctx); err != nil {
		return Vulnerability{}, err
	}
	var v Vulnerability
	err := s.db.QueryRow(ctx, `SELECT cve_id, published, description, cvss, severity, vector, kev, kev_added, kev_due, kev_name, kev_action, kev_ransomware
		FROM sysinv_vulns WHERE cve_id = ?`, strings.ToUpper(strings.TrimSpace(cve))).Scan(&v.CVE, &v.Published, &v.Description, &v.CVSS, &v.Severity,
		&v.Vector, &v.KEV, &v.KEVAdded, &v.KEVDue, &v.KEVName, &v.KEVAction, &v.Ransomware)
	if errs.Is(err, errs.NotFound) {
		return Vulnerability{}, errs.E(errs.NotFound, "%s is not in the catalogue", clip(cve, 40))
	}
	if err != nil {
		return Vulnerability{}, fmt.Errorf("sysinv: get vulnerability: %w", err)
	}
	return v, nil
}
