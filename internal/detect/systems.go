package detect

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/detect/decode"
	"bulwark/internal/detect/index"
	"bulwark/internal/errs"
)

// Information systems hit by alerts (issue 5 items 1 and 7).
//
// The inventory of important information systems (internal/sysinv) records
// each system's components with their IP addresses, ranges and domain
// names. Detection keeps an in-memory table of them, refreshed with the
// indicator index, and looks up the key addresses of an alert's first
// event: destination address and names first (the system attacked), then
// the host and the source address (a system that misbehaves). When none
// hits, the system the source watches, if it has one, is the alert's.
//
// Visibility. A system's addresses carry a TLP label (AMBER by default):
// knowing that an address belongs to a system is what the label protects.
// So:
//   - when the alert is raised, the system is recorded only if someone who
//     sees the alert may see it: the alert's own agency (the owner sees its
//     systems up to AMBER+STRICT; another agency only CLEAR or GREEN), or
//     the province coordinators, who see every agency's alerts and AMBER
//     addresses. A RED system, or another agency's AMBER+STRICT one, is
//     never recorded;
//   - when an alert is read, the system is shown only to a reader who may
//     read the system and see its addresses, with the same rules as
//     sysinv.Service.Lookup (internal/access: CanReadSystem and
//     CanSeeAddresses), using the system's current owner and label. So a
//     district whose firewall saw an attack on the data centre of the
//     Department of Science and Technology gets the alert, and the province
//     coordinators see which system was hit; the district does not.

// SystemDirectory is what detection needs from the information systems
// inventory: every system with its owner, address label and addresses.
// internal/cli adapts *sysinv.Service to it.
type SystemDirectory interface {
	DetectionSystems(ctx context.Context) ([]DirectorySystem, error)
}

// DirectorySystem is one information system as detection sees it.
type DirectorySystem struct {
	ID            int64
	Name          string
	OwnerAgencyID int64
	AddressTLP    access.TLP
	Retired       bool
	// Addresses are its components' IP addresses, CIDR ranges and domain
	// names (none for a retired system).
	Addresses []string
}

// AlertSystem is the information system an alert hits.
type AlertSystem struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Matched is the recorded address the event hit; empty when the
	// system is the one the source watches.
	Matched string `json:"matched,omitempty"`
	// Via is "address" or "source".
	Via string `json:"via"`

	owner int64
	tlp   access.TLP
}

// systemTable answers which system an address belongs to.
type systemTable struct {
	at       time.Time
	byID     map[int64]*DirectorySystem
	ips      map[netip.Addr][]int64
	prefixes []systemPrefix // longest first
	domains  map[string][]int64
}

type systemPrefix struct {
	p  netip.Prefix
	id int64
}

func newSystemTable(list []DirectorySystem, at time.Time) *systemTable {
	t := &systemTable{at: at, byID: make(map[int64]*DirectorySystem, len(list)), ips: map[netip.Addr][]int64{}, domains: map[string][]int64{}}
	for i := range list {
		sys := &list[i]
		t.byID[sys.ID] = sys
		if sys.Retired {
			continue
		}
		for _, a := range sys.Addresses {
			a = strings.TrimSpace(a)
			if p, err := netip.ParsePrefix(a); err == nil {
				p = p.Masked()
				if p.IsSingleIP() {
					t.ips[p.Addr().Unmap()] = appendID(t.ips[p.Addr().Unmap()], sys.ID)
				} else {
					t.prefixes = append(t.prefixes, systemPrefix{p, sys.ID})
				}
				continue
			}
			if ip, ok := index.ParseIP(a); ok {
				t.ips[ip] = appendID(t.ips[ip], sys.ID)
				continue
			}
			if d, ok := index.NormalizeDomain(a); ok {
				t.domains[d] = appendID(t.domains[d], sys.ID)
			}
		}
	}
	slices.SortStableFunc(t.prefixes, func(a, b systemPrefix) int {
		return cmp.Or(b.p.Bits()-a.p.Bits(), cmp.Compare(a.id, b.id))
	})
	return t
}

func appendID(ids []int64, id int64) []int64 {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

// candidate is a system an address hit, with the recorded address.
type candidate struct {
	id      int64
	matched string
}

// lookup appends the systems a value hits, most specific first: an exact
// address before the ranges holding it (longest first); a domain before
// its parents.
func (t *systemTable) lookup(value string, dst []candidate) []candidate {
	if t == nil || value == "" {
		return dst
	}
	if a, ok := index.ParseIP(value); ok {
		for _, id := range t.ips[a] {
			dst = append(dst, candidate{id, a.String()})
		}
		for _, p := range t.prefixes {
			if p.p.Contains(a) {
				dst = append(dst, candidate{p.id, p.p.String()})
			}
		}
		return dst
	}
	d, ok := index.NormalizeDomain(value)
	if !ok || !strings.Contains(d, ".") {
		return dst
	}
	for {
		for _, id := range t.domains[d] {
			dst = append(dst, candidate{id, d})
		}
		i := strings.IndexByte(d, '.')
		if i < 0 || !strings.Contains(d[i+1:], ".") {
			return dst // stop above the registered name's last label
		}
		d = d[i+1:]
	}
}

// systemFields are the event fields looked up, in order of preference.
var systemFields = []string{
	decode.FieldDestinationIP, decode.FieldDestinationHost, decode.FieldURLDomain, decode.FieldTLSServerName,
	decode.FieldHostIP, decode.FieldHostName, decode.FieldSourceIP, decode.FieldDNSQuestion,
}

// alertAudience reports whether someone who sees alerts of agency may see
// a system: see the package comment above.
func alertAudience(agency int64, sys *DirectorySystem) bool {
	member := &access.Principal{AgencyID: agency, Roles: []access.Role{access.Viewer}}
	coordinator := &access.Principal{Standing: true, Roles: []access.Role{access.Coordinator}}
	return access.CanSeeAddresses(member, sys.OwnerAgencyID, sys.AddressTLP) || access.CanSeeAddresses(coordinator, sys.OwnerAgencyID, sys.AddressTLP)
}

// systemOf is the system an alert of src raised by ev hits, or nil.
func (s *Service) systemOf(src Source, ev *decode.Event) *AlertSystem {
	t := s.systemTable()
	if t == nil {
		return nil
	}
	var buf [8]candidate
	for _, f := range systemFields {
		v, ok := ev.Get(f)
		if !ok {
			continue
		}
		for x := range v.Scalars() {
			for _, c := range t.lookup(x.Text(), buf[:0]) {
				if sys := t.byID[c.id]; sys != nil && !sys.Retired && alertAudience(src.AgencyID, sys) {
					return &AlertSystem{ID: sys.ID, Name: sys.Name, Matched: c.matched, Via: "address", owner: sys.OwnerAgencyID, tlp: sys.AddressTLP}
				}
			}
		}
	}
	if src.SystemID != 0 {
		if sys := t.byID[src.SystemID]; sys != nil && !sys.Retired && alertAudience(src.AgencyID, sys) {
			return &AlertSystem{ID: sys.ID, Name: sys.Name, Via: "source", owner: sys.OwnerAgencyID, tlp: sys.AddressTLP}
		}
	}
	return nil
}

// systemTable returns the current table, loading it the first time.
func (s *Service) systemTable() *systemTable {
	if s.dir == nil {
		return nil
	}
	if t := s.sysTable.Load(); t != nil {
		return t
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.RefreshSystems(ctx); err != nil {
		// Alerts go on without systems until Run's next refresh, rather
		// than asking the inventory again for every alert.
		s.log.Warn("information systems for alerts", "err", err)
		s.sysTable.CompareAndSwap(nil, newSystemTable(nil, s.now()))
	}
	return s.sysTable.Load()
}

// RefreshSystems reloads the information systems' addresses (Run calls
// it with every indicator index rebuild).
func (s *Service) RefreshSystems(ctx context.Context) error {
	if s.dir == nil {
		return nil
	}
	list, err := s.dir.DetectionSystems(access.With(ctx, access.SystemPrincipal()))
	if err != nil {
		return fmt.Errorf("detect: information systems: %w", err)
	}
	s.sysTable.Store(newSystemTable(list, s.now()))
	return nil
}

// canSeeSystem is the reader's side of the rule: the reader may read the
// system and see its addresses.
func canSeeSystem(p *access.Principal, owner int64, tlp access.TLP) bool {
	return access.CanReadSystem(p, owner) && access.CanSeeAddresses(p, owner, tlp)
}

// showSystem keeps an alert's system for p only if p may see it, with the
// system's current name, owner and label when the inventory still has it.
func (s *Service) showSystem(p *access.Principal, a *Alert) {
	if a.System == nil {
		return
	}
	sys := a.System
	if t := s.sysTable.Load(); t != nil {
		if cur := t.byID[sys.ID]; cur != nil {
			sys.Name, sys.owner, sys.tlp = cur.Name, cur.OwnerAgencyID, cur.AddressTLP
		}
	}
	if sys.tlp == "" || !canSeeSystem(p, sys.owner, sys.tlp) {
		a.System = nil
	}
}

// SystemChoice is a system a source may watch.
type SystemChoice struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	OwnerAgencyID int64  `json:"owner_agency_id"`
}

// SystemChoices lists the systems the caller may name as the one a source
// watches: those it may read, not retired, by name. Empty when the
// inventory is not wired.
func (s *Service) SystemChoices(ctx context.Context) ([]SystemChoice, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, err
	}
	if s.dir == nil {
		return nil, nil
	}
	if err := s.RefreshSystems(ctx); err != nil {
		return nil, err
	}
	t := s.sysTable.Load()
	var out []SystemChoice
	for _, sys := range t.byID {
		if !sys.Retired && access.CanReadSystem(p, sys.OwnerAgencyID) {
			out = append(out, SystemChoice{ID: sys.ID, Name: sys.Name, OwnerAgencyID: sys.OwnerAgencyID})
		}
	}
	slices.SortFunc(out, func(a, b SystemChoice) int { return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// checkWatchedSystem validates a source's system: it must exist, be in
// service, and be one the caller may read.
func (s *Service) checkWatchedSystem(ctx context.Context, p *access.Principal, id int64) error {
	if id == 0 {
		return nil
	}
	if id < 0 {
		return errs.Field("system_id", "must be an information system's id")
	}
	if s.dir == nil {
		return errs.Field("system_id", "the information systems inventory is not available")
	}
	if err := s.RefreshSystems(ctx); err != nil {
		return err
	}
	sys := s.sysTable.Load().byID[id]
	if sys == nil || !access.CanReadSystem(p, sys.OwnerAgencyID) {
		return errs.Field("system_id", "no information system %d that you may read", id)
	}
	if sys.Retired {
		return errs.Field("system_id", "system %d is retired", id)
	}
	return nil
}

// sourceSystemName fills the name of a source's watched system for p, if
// p may read that system.
func (s *Service) sourceSystemName(p *access.Principal, src *Source) {
	if src.SystemID == 0 {
		return
	}
	t := s.systemTable()
	if t == nil {
		return
	}
	if sys := t.byID[src.SystemID]; sys != nil && access.CanReadSystem(p, sys.OwnerAgencyID) {
		src.SystemName = sys.Name
	}
}
