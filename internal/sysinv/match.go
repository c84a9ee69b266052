package sysinv

import (
	"fmt"
	"strings"

	"bulwark/internal/sysinv/cpe"
	"bulwark/internal/sysinv/feed"
)

// target is what a component runs, as matching sees it.
type target struct {
	names []cpe.Name // the software and OS CPE names recorded
	weak  []weakName // the software and OS named without a CPE
}

// weakName is a product named by a person, for matching by name.
type weakName struct {
	part    string // "a" (software, any part matches) or "o" (operating system)
	product string // as cpe.ProductKey gives it, or the NVD's product for an OS
	version string
}

// osProducts maps how people write an operating system's name (after
// cpe.ProductKey) to the product name the NVD uses for it.
var osProducts = map[string]string{
	"ubuntu": "ubuntu_linux", "ubuntu_server": "ubuntu_linux", "ubuntu_linux": "ubuntu_linux",
	"debian": "debian_linux", "debian_gnu_linux": "debian_linux", "debian_linux": "debian_linux",
	"red_hat_enterprise_linux": "enterprise_linux", "rhel": "enterprise_linux", "redhat_enterprise_linux": "enterprise_linux",
	"centos": "centos", "centos_linux": "centos", "fedora": "fedora", "fedora_linux": "fedora",
	"windows": "windows", "microsoft_windows": "windows", "windows_server": "windows_server", "microsoft_windows_server": "windows_server",
	"freebsd": "freebsd", "suse_linux_enterprise_server": "suse_linux_enterprise_server", "sles": "suse_linux_enterprise_server",
}

// weakOS returns the weak name of an operating system written by a person
// ("Ubuntu" "20.04", "Windows Server" "2012 R2"), or false when the name is
// not one the NVD's naming is known for. Windows Server's year is part of
// the NVD's product (windows_server_2012) and the rest its version (r2).
func weakOS(name, version string) (weakName, bool) {
	product, ok := osProducts[cpe.ProductKey(name)]
	if !ok {
		return weakName{}, false
	}
	fields := strings.Fields(strings.ToLower(version))
	if product == "windows_server" && len(fields) > 0 && len(fields[0]) == 4 && fields[0] >= "2000" && fields[0] <= "2099" {
		product += "_" + fields[0]
		fields = fields[1:]
	}
	v := ""
	if len(fields) > 0 {
		v = fields[0]
	}
	return weakName{part: "o", product: product, version: v}, true
}

// match is the outcome of matching one CVE against one component.
type match struct {
	strength string // cpe or name
	detail   string // the criteria and range that matched
}

// evaluate matches a CVE's configurations against a component. Strong
// matching follows the NVD's structure: a configuration's nodes joined by
// its operator (OR, or AND for "software running on a platform"), each
// node's cpeMatch entries joined by the node's operator, negation applied.
// A platform condition (vulnerable=false) of a part the component records
// no CPE for is taken as met: the inventory does not know, and missing a
// known-exploited flaw is worse than a finding the owner marks false
// positive. Weak matching, used only when no strong match exists and the
// component names its software or operating system without a CPE,
// compares the product name and the version ranges and ignores the
// structure (see weakOS for how an OS's name is read).
func evaluate(confs []feed.Configuration, t target) (match, bool) {
	for _, conf := range confs {
		if m, ok := evalConfiguration(conf, t); ok {
			return m, true
		}
	}
	for _, w := range t.weak {
		if m, ok := evaluateWeak(confs, w); ok {
			return m, true
		}
	}
	return match{}, false
}

// evaluateWeak compares a product named without a CPE with every
// vulnerable cpeMatch: the product name (or vendor_product) and the
// version, ignoring the configurations' structure.
func evaluateWeak(confs []feed.Configuration, w weakName) (match, bool) {
	for _, conf := range confs {
		for _, n := range conf.Nodes {
			for _, m := range n.Matches {
				if !m.Vulnerable {
					continue
				}
				c, err := cpe.Parse(m.Criteria)
				if err != nil {
					continue
				}
				if w.part == "o" && c.Part != "o" {
					continue
				}
				if c.Product != w.product && c.Vendor+"_"+c.Product != w.product {
					continue
				}
				if w.version == "" {
					return match{strength: "name", detail: describe(c, m.Range) + " (version not recorded)"}, true
				}
				if versionIn(c, m.Range, w.version) {
					return match{strength: "name", detail: describe(c, m.Range)}, true
				}
			}
		}
	}
	return match{}, false
}

func evalConfiguration(conf feed.Configuration, t target) (match, bool) {
	and := conf.Operator == "AND"
	var hit match
	found := false
	result := and
	for _, n := range conf.Nodes {
		ok, m, vuln := evalNode(n, t)
		if vuln && ok && !found {
			hit, found = m, true
		}
		if and {
			result = result && ok
		} else {
			result = result || (ok && vuln)
		}
	}
	if conf.Negate {
		result = !result
	}
	return hit, result && found
}

// evalNode returns whether the node holds, the vulnerable match that made
// it hold, and whether the node names vulnerable software at all.
func evalNode(n feed.Node, t target) (bool, match, bool) {
	and := n.Operator == "AND"
	result := and
	var hit match
	vulnNode := false
	for _, m := range n.Matches {
		c, err := cpe.Parse(m.Criteria)
		if err != nil {
			continue
		}
		ok := false
		if m.Vulnerable {
			vulnNode = true
			for _, tn := range t.names {
				if criteriaHolds(c, m.Range, tn) {
					ok = true
					if hit.detail == "" {
						hit = match{strength: "cpe", detail: describe(c, m.Range)}
					}
					break
				}
			}
		} else {
			ok = platformHolds(c, m.Range, t)
		}
		if and {
			result = result && ok
		} else {
			result = result || ok
		}
	}
	if n.Negate {
		result = !result
	}
	return result, hit, vulnNode
}

func platformHolds(c cpe.Name, r cpe.Range, t target) bool {
	known := false
	for _, tn := range t.names {
		if tn.Part == c.Part {
			known = true
			if criteriaHolds(c, r, tn) {
				return true
			}
		}
	}
	return !known
}

// criteriaHolds compares a cpeMatch criteria (with its range) with a
// concrete name. Part, vendor and product must match; the version must
// equal the criteria's or fall in the range; the other attributes must
// match where the component records them (an ANY in the component's name
// means "not recorded" and does not exclude).
func criteriaHolds(c cpe.Name, r cpe.Range, t cpe.Name) bool {
	if !c.MatchesProduct(t) {
		return false
	}
	if !versionIn(c, r, t.Version) {
		return false
	}
	for _, pair := range [][2]string{{c.Update, t.Update}, {c.Edition, t.Edition}, {c.Language, t.Language}, {c.SWEdition, t.SWEdition},
		{c.TargetSW, t.TargetSW}, {c.TargetHW, t.TargetHW}, {c.Other, t.Other}} {
		if pair[1] == cpe.Any || pair[0] == cpe.Any {
			continue
		}
		if !(cpe.Name{Part: "a", Vendor: pair[0]}).MatchesProduct(cpe.Name{Part: "a", Vendor: pair[1]}) {
			return false
		}
	}
	return true
}

// versionIn checks a component version against a criteria's version
// attribute and range. An unknown component version matches only criteria
// that cover every version.
func versionIn(c cpe.Name, r cpe.Range, v string) bool {
	if v == "" || v == cpe.Any || v == cpe.NA {
		return c.Version == cpe.Any && r.IsZero()
	}
	if c.Version != cpe.Any && c.Version != cpe.NA {
		if !(cpe.Name{Part: "a", Vendor: c.Version}).MatchesProduct(cpe.Name{Part: "a", Vendor: v}) {
			// Not the same literal: compare as versions (2.4.49 vs 2.4.049 are rare; literal first).
			cv, err1 := cpe.ParseVersion(c.Version)
			tv, err2 := cpe.ParseVersion(v)
			if err1 != nil || err2 != nil || cv.Compare(tv) != 0 {
				return false
			}
		}
		return true
	}
	if c.Version == cpe.NA {
		return v == cpe.NA
	}
	if r.IsZero() {
		return true
	}
	ok, err := r.Contains(cpe.Unescape(v))
	return err == nil && ok
}

func describe(c cpe.Name, r cpe.Range) string {
	s := fmt.Sprintf("%s:%s", cpe.Unescape(c.Vendor), cpe.Unescape(c.Product))
	if c.Version != cpe.Any {
		s += " " + cpe.Unescape(c.Version)
	}
	if !r.IsZero() {
		s += " (" + r.String() + ")"
	}
	return s
}
