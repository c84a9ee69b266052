package detect

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/detect/index"
)

// FuzzSystemLookup feeds arbitrary recorded addresses and event values to
// the information systems table: no panic, and every hit names a system
// of the table with an address that holds the value (the same address, a
// range containing it, or a parent domain).
func FuzzSystemLookup(f *testing.F) {
	for _, c := range [][2]string{
		{"198.18.0.10,portal.example.vn,10.20.0.0/24", "10.20.0.7"},
		{"portal.example.vn", "WWW.Portal.Example.VN."},
		{"2001:db8::/32,::ffff:10.0.0.1", "[2001:db8::1]:443"},
		{"xn--bnh-an-6va.vn,bình-an.vn", "a.bình-an.vn"},
		{"0.0.0.0/0,,\xff", "1.2.3.4:80"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, recorded, value string) {
		addrs := strings.Split(recorded, ",")
		tab := newSystemTable([]DirectorySystem{{ID: 1, Name: "s", OwnerAgencyID: 1, AddressTLP: access.Green, Addresses: addrs}}, time.Time{})
		for _, c := range tab.lookup(value, nil) {
			if c.id != 1 || c.matched == "" {
				t.Fatalf("lookup(%q) = %+v", value, c)
			}
			p, perr := netip.ParsePrefix(c.matched)
			a, isIP := index.ParseIP(value)
			switch {
			case isIP && perr == nil && !p.Contains(a):
				t.Fatalf("lookup(%q) hit range %s that does not hold it", value, c.matched)
			case isIP && perr != nil && c.matched != a.String():
				t.Fatalf("lookup(%q) hit address %s", value, c.matched)
			case !isIP:
				d, _ := index.NormalizeDomain(value)
				if d != c.matched && !strings.HasSuffix(d, "."+c.matched) {
					t.Fatalf("lookup(%q) hit domain %s, not %s or a parent", value, c.matched, d)
				}
			}
		}
	})
}
