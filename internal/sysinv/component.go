package sysinv

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
	"bulwark/internal/sysinv/cpe"
)

// Component is a part of a system: a host with its addresses and
// services, or a piece of software. Addresses are canonical (internal/ioc);
// CPE names are CPE 2.3 formatted strings.
type Component struct {
	ID              int64     `json:"id"`
	SystemID        int64     `json:"system_id"`
	Name            string    `json:"name"`
	Kind            string    `json:"kind"`
	Level           int       `json:"level"` // 0: not assessed
	IPs             []string  `json:"ips"`   // addresses or CIDR ranges
	Domains         []string  `json:"domains"`
	Ports           []string  `json:"ports"` // "443/tcp"
	OS              string    `json:"os"`
	OSVersion       string    `json:"os_version"`
	OSCPE           string    `json:"os_cpe"`
	Software        string    `json:"software"`
	SoftwareVersion string    `json:"software_version"`
	CPE             string    `json:"cpe"`
	Notes           string    `json:"notes"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// AddressesHidden is true when the caller may not see the addresses
	// (the system's address TLP); IPs and Domains are then empty.
	AddressesHidden bool `json:"addresses_hidden,omitempty"`
}

// ComponentInput is what a user writes.
type ComponentInput struct {
	Name            string   `json:"name"`
	Kind            string   `json:"kind"`
	Level           int      `json:"level"`
	IPs             []string `json:"ips"`
	Domains         []string `json:"domains"`
	Ports           []string `json:"ports"`
	OS              string   `json:"os"`
	OSVersion       string   `json:"os_version"`
	OSCPE           string   `json:"os_cpe"`
	Software        string   `json:"software"`
	SoftwareVersion string   `json:"software_version"`
	CPE             string   `json:"cpe"`
	Notes           string   `json:"notes"`
}

const maxAddresses = 256

// SplitList splits a textarea or comma list into trimmed, non-empty items.
func SplitList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' || r == ' ' || r == '\t' })
	return f
}

func (in *ComponentInput) normalize() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return errs.Field("name", "is required")
	}
	if in.Kind == "" {
		in.Kind = "host"
	}
	if err := oneOf("kind", in.Kind, ComponentKinds); err != nil {
		return err
	}
	if in.Level < 0 || in.Level > 5 {
		return errs.Field("level", "must be 1 to 5 (0: not assessed)")
	}
	for _, c := range []struct {
		field, v string
		max      int
	}{{"name", in.Name, 300}, {"os", in.OS, 200}, {"os_version", in.OSVersion, 100}, {"software", in.Software, 200},
		{"software_version", in.SoftwareVersion, 100}, {"notes", in.Notes, 4000}, {"cpe", in.CPE, cpe.MaxLen}, {"os_cpe", in.OSCPE, cpe.MaxLen}} {
		if err := checkLen(c.field, c.v, c.max); err != nil {
			return err
		}
	}
	if len(in.IPs) > maxAddresses || len(in.Domains) > maxAddresses || len(in.Ports) > maxAddresses {
		return errs.Field("ips", "at most %d addresses, domains or ports per component", maxAddresses)
	}
	var ips []string
	for _, raw := range in.IPs {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if strings.Contains(raw, "/") {
			p, err := ioc.ParsePrefix(raw)
			if err != nil {
				return errs.Field("ips", "%q is not an IP address or range", clip(raw, 60))
			}
			ips = append(ips, p.Masked().String())
			continue
		}
		a, err := ioc.ParseIP(raw)
		if err != nil {
			return errs.Field("ips", "%q is not an IP address", clip(raw, 60))
		}
		ips = append(ips, a.String())
	}
	var domains []string
	for _, raw := range in.Domains {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		d, err := ioc.NormalizeDomain(raw)
		if err != nil {
			return errs.Field("domains", "%q is not a domain name", clip(raw, 60))
		}
		domains = append(domains, d)
	}
	var ports []string
	for _, raw := range in.Ports {
		raw = strings.ToLower(strings.TrimSpace(raw))
		if raw == "" {
			continue
		}
		num, proto, found := strings.Cut(raw, "/")
		if !found {
			proto = "tcp"
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp") {
			return errs.Field("ports", "%q is not a port like 443 or 53/udp", clip(raw, 30))
		}
		ports = append(ports, fmt.Sprintf("%d/%s", n, proto))
	}
	slices.Sort(ips)
	slices.Sort(domains)
	in.IPs, in.Domains, in.Ports = slices.Compact(ips), slices.Compact(domains), slices.Compact(ports)
	for _, c := range []struct {
		field string
		v     *string
		part  cpe.Part
	}{{"cpe", &in.CPE, ""}, {"os_cpe", &in.OSCPE, cpe.OS}} {
		*c.v = strings.TrimSpace(*c.v)
		if *c.v == "" {
			continue
		}
		n, err := cpe.Parse(*c.v)
		if err != nil {
			return errs.Field(c.field, "is not a CPE name (cpe:2.3:part:vendor:product:version:...): %v", err)
		}
		if c.part != "" && n.Part != c.part {
			return errs.Field(c.field, "must name an operating system (cpe:2.3:o:...)")
		}
		*c.v = n.String()
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

const componentCols = `id, system_id, name, kind, level, ips, domains, ports, os, os_version, os_cpe, software, software_version, cpe, notes, created_at, updated_at`

func scanComponent(r scanner) (Component, error) {
	var c Component
	var ips, domains, ports string
	var created, updated store.Time
	if err := r.Scan(&c.ID, &c.SystemID, &c.Name, &c.Kind, &c.Level, &ips, &domains, &ports, &c.OS, &c.OSVersion, &c.OSCPE,
		&c.Software, &c.SoftwareVersion, &c.CPE, &c.Notes, &created, &updated); err != nil {
		return Component{}, err
	}
	c.IPs, c.Domains, c.Ports = SplitList(ips), SplitList(domains), SplitList(ports)
	c.CreatedAt, c.UpdatedAt = created.Time, updated.Time
	return c, nil
}

func listComponents(ctx context.Context, q store.Querier, systemID int64) ([]Component, error) {
	rows, err := q.Query(ctx, `SELECT `+componentCols+` FROM sysinv_components WHERE system_id = ? ORDER BY name, id`, systemID)
	if err != nil {
		return nil, fmt.Errorf("sysinv: list components: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Component
	for rows.Next() {
		c, err := scanComponent(rows)
		if err != nil {
			return nil, fmt.Errorf("sysinv: scan component: %w", store.Translate(err))
		}
		out = append(out, c)
	}
	return out, store.Translate(rows.Err())
}

// Components lists a system's components. Addresses are blanked (and
// AddressesHidden set) for callers outside the owner agency whom the
// system's address TLP does not reach.
func (s *Service) Components(ctx context.Context, systemID int64) ([]Component, error) {
	sys, err := s.GetSystem(ctx, systemID)
	if err != nil {
		return nil, err
	}
	list, err := listComponents(ctx, s.db, systemID)
	if err != nil {
		return nil, err
	}
	if !access.CanSeeAddresses(access.From(ctx), sys.OwnerAgencyID, sys.AddressTLP) {
		for i := range list {
			list[i].IPs, list[i].Domains, list[i].AddressesHidden = nil, nil, true
		}
	}
	return list, nil
}

// AddComponent adds a component to a system the caller may edit.
func (s *Service) AddComponent(ctx context.Context, systemID int64, in ComponentInput) (Component, error) {
	return s.saveComponent(ctx, systemID, 0, in)
}

// UpdateComponent replaces a component's fields.
func (s *Service) UpdateComponent(ctx context.Context, systemID, id int64, in ComponentInput) (Component, error) {
	return s.saveComponent(ctx, systemID, id, in)
}

func (s *Service) saveComponent(ctx context.Context, systemID, id int64, in ComponentInput) (Component, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Component{}, err
	}
	if err := in.normalize(); err != nil {
		return Component{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		sys, err := getSystem(ctx, tx, systemID)
		if err != nil {
			return err
		}
		if !access.CanEditSystem(p, sys.OwnerAgencyID) {
			if access.CanReadSystem(p, sys.OwnerAgencyID) {
				return errs.E(errs.Forbidden, "you are not allowed to edit this system")
			}
			return errs.E(errs.NotFound, "system %d not found", systemID)
		}
		now := s.stamp()
		action := "system.component.add"
		if id == 0 {
			err = tx.QueryRow(ctx, `INSERT INTO sysinv_components (system_id, name, kind, level, ips, domains, ports, os, os_version, os_cpe,
				software, software_version, cpe, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				systemID, in.Name, in.Kind, in.Level, strings.Join(in.IPs, ","), strings.Join(in.Domains, ","), strings.Join(in.Ports, ","),
				in.OS, in.OSVersion, in.OSCPE, in.Software, in.SoftwareVersion, in.CPE, in.Notes, now, now).Scan(&id)
			if err != nil {
				return fmt.Errorf("sysinv: add component: %w", err)
			}
		} else {
			action = "system.component.update"
			res, err := tx.Exec(ctx, `UPDATE sysinv_components SET name = ?, kind = ?, level = ?, ips = ?, domains = ?, ports = ?, os = ?,
				os_version = ?, os_cpe = ?, software = ?, software_version = ?, cpe = ?, notes = ?, updated_at = ? WHERE id = ? AND system_id = ?`,
				in.Name, in.Kind, in.Level, strings.Join(in.IPs, ","), strings.Join(in.Domains, ","), strings.Join(in.Ports, ","),
				in.OS, in.OSVersion, in.OSCPE, in.Software, in.SoftwareVersion, in.CPE, in.Notes, now, id, systemID)
			if err != nil {
				return fmt.Errorf("sysinv: update component %d: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errs.E(errs.NotFound, "component %d not found", id)
			}
		}
		if err := writeAddresses(ctx, tx, systemID, id, in); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sysinv_systems SET updated_at = ? WHERE id = ?`, now, systemID); err != nil {
			return fmt.Errorf("sysinv: touch system: %w", err)
		}
		// Software may have changed: match it against the catalogue now.
		if _, err := s.matchComponents(ctx, tx, systemID, id); err != nil {
			return err
		}
		return s.record(ctx, tx, action, "system", systemID, in.Name)
	})
	if errs.Is(err, errs.Forbidden) {
		return Component{}, s.deny(ctx, "edit this system", systemID)
	}
	if err != nil {
		return Component{}, err
	}
	s.addressesChanged()
	c, err := scanComponent(s.db.QueryRow(ctx, `SELECT `+componentCols+` FROM sysinv_components WHERE id = ?`, id))
	if err != nil {
		return Component{}, fmt.Errorf("sysinv: read component %d: %w", id, err)
	}
	return c, nil
}

func writeAddresses(ctx context.Context, tx *store.Tx, systemID, componentID int64, in ComponentInput) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sysinv_addresses WHERE component_id = ?`, componentID); err != nil {
		return fmt.Errorf("sysinv: clear addresses: %w", err)
	}
	add := func(kind, v string) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sysinv_addresses (component_id, system_id, kind, value) VALUES (?, ?, ?, ?)`, componentID, systemID, kind, v); err != nil {
			return fmt.Errorf("sysinv: add address: %w", err)
		}
		return nil
	}
	for _, ip := range in.IPs {
		kind := "ip"
		if strings.Contains(ip, "/") {
			kind = "cidr"
		}
		if err := add(kind, ip); err != nil {
			return err
		}
	}
	for _, d := range in.Domains {
		if err := add("domain", d); err != nil {
			return err
		}
	}
	return nil
}

// DeleteComponent removes a component, its addresses and its findings.
func (s *Service) DeleteComponent(ctx context.Context, systemID, id int64) error {
	p, err := access.Require(ctx)
	if err != nil {
		return err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		sys, err := getSystem(ctx, tx, systemID)
		if err != nil {
			return err
		}
		if !access.CanEditSystem(p, sys.OwnerAgencyID) {
			return errs.E(errs.Forbidden, "you are not allowed to edit this system")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sysinv_findings WHERE component_id = ?`, id); err != nil {
			return fmt.Errorf("sysinv: delete findings: %w", err)
		}
		res, err := tx.Exec(ctx, `DELETE FROM sysinv_components WHERE id = ? AND system_id = ?`, id, systemID)
		if err != nil {
			return fmt.Errorf("sysinv: delete component: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "component %d not found", id)
		}
		return s.record(ctx, tx, "system.component.delete", "system", systemID, fmt.Sprint(id))
	})
	if errs.Is(err, errs.Forbidden) {
		return s.deny(ctx, "edit this system", systemID)
	}
	if err == nil {
		s.addressesChanged()
	}
	return err
}

// Hit is a system whose component carries an address.
type Hit struct {
	SystemID      int64  `json:"system_id"`
	SystemName    string `json:"system_name"`
	OwnerAgencyID int64  `json:"owner_agency_id"`
	Level         int    `json:"level"`
	ComponentID   int64  `json:"component_id"`
	Component     string `json:"component"`
	Matched       string `json:"matched"` // the recorded address that matched
}

// Lookup tells which systems an IP address or domain name belongs to: the
// detection capability asks it which system an alert hits. An IP matches a
// recorded address or a recorded range; a domain matches itself or a
// recorded parent domain (a.portal.example.vn hits portal.example.vn). The
// caller sees only hits on systems it may read and whose addresses it may
// see; the system principal sees all. A value that is neither an IP nor a
// domain is an Invalid error.
func (s *Service) Lookup(ctx context.Context, value string) ([]Hit, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	value = strings.TrimSpace(value)
	if len(value) > 300 {
		return nil, errs.Field("value", "must be at most 300 bytes")
	}
	var hits []Hit
	if a, err := ioc.ParseIP(value); err == nil {
		hits, err = s.lookupIP(ctx, a)
		if err != nil {
			return nil, err
		}
	} else {
		d, err := ioc.NormalizeDomain(value)
		if err != nil {
			return nil, errs.Field("value", "is neither an IP address nor a domain name")
		}
		names := append([]string{d}, ioc.ParentDomains(d)...)
		hits, err = s.lookupValues(ctx, "domain", names)
		if err != nil {
			return nil, err
		}
	}
	out := hits[:0]
	for _, h := range hits {
		var tlp string
		if err := s.db.QueryRow(ctx, `SELECT address_tlp FROM sysinv_systems WHERE id = ?`, h.SystemID).Scan(&tlp); err != nil {
			return nil, fmt.Errorf("sysinv: lookup tlp: %w", err)
		}
		if access.CanReadSystem(p, h.OwnerAgencyID) && access.CanSeeAddresses(p, h.OwnerAgencyID, access.TLP(tlp)) {
			out = append(out, h)
		}
	}
	return out, nil
}

const hitSelect = `SELECT s.id, s.name, s.owner_agency_id, CASE WHEN s.approved_level > 0 THEN s.approved_level ELSE s.proposed_level END,
	c.id, c.name, a.value FROM sysinv_addresses a JOIN sysinv_components c ON c.id = a.component_id JOIN sysinv_systems s ON s.id = a.system_id`

func (s *Service) lookupValues(ctx context.Context, kind string, values []string) ([]Hit, error) {
	if len(values) == 0 {
		return nil, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")
	args := []any{kind}
	for _, v := range values {
		args = append(args, v)
	}
	return s.queryHits(ctx, hitSelect+` WHERE a.kind = ? AND a.value IN (`+ph+`) ORDER BY s.id, c.id`, args...)
}

func (s *Service) lookupIP(ctx context.Context, a netip.Addr) ([]Hit, error) {
	hits, err := s.lookupValues(ctx, "ip", []string{a.String()})
	if err != nil {
		return nil, err
	}
	// Ranges are few (a data centre's subnets); check them here.
	ranges, err := s.queryHits(ctx, hitSelect+` WHERE a.kind = 'cidr' ORDER BY s.id, c.id`)
	if err != nil {
		return nil, err
	}
	for _, h := range ranges {
		if p, err := netip.ParsePrefix(h.Matched); err == nil && p.Contains(a) {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

func (s *Service) queryHits(ctx context.Context, q string, args ...any) ([]Hit, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sysinv: lookup: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.SystemID, &h.SystemName, &h.OwnerAgencyID, &h.Level, &h.ComponentID, &h.Component, &h.Matched); err != nil {
			return nil, fmt.Errorf("sysinv: scan hit: %w", store.Translate(err))
		}
		out = append(out, h)
	}
	return out, store.Translate(rows.Err())
}

// Address is one recorded address, for building a detection index.
type Address struct {
	SystemID    int64  `json:"system_id"`
	ComponentID int64  `json:"component_id"`
	Kind        string `json:"kind"` // ip, cidr or domain
	Value       string `json:"value"`
	Level       int    `json:"level"`
}

// Addresses returns every recorded address of every system, for the
// detection capability's index. Only the system principal and province
// coordinators may call it.
func (s *Service) Addresses(ctx context.Context) ([]Address, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !access.CanListAllSystems(p) {
		return nil, s.deny(ctx, "read every system's addresses", 0)
	}
	rows, err := s.db.Query(ctx, `SELECT a.system_id, a.component_id, a.kind, a.value,
		CASE WHEN s.approved_level > 0 THEN s.approved_level ELSE s.proposed_level END
		FROM sysinv_addresses a JOIN sysinv_systems s ON s.id = a.system_id WHERE s.status <> 'retired' ORDER BY a.value`)
	if err != nil {
		return nil, fmt.Errorf("sysinv: addresses: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Address
	for rows.Next() {
		var a Address
		if err := rows.Scan(&a.SystemID, &a.ComponentID, &a.Kind, &a.Value, &a.Level); err != nil {
			return nil, fmt.Errorf("sysinv: scan address: %w", store.Translate(err))
		}
		out = append(out, a)
	}
	return out, store.Translate(rows.Err())
}
