package sysinv

import "testing"

func TestWeakOS(t *testing.T) {
	for _, tt := range []struct {
		name, version string
		want          weakName
		ok            bool
	}{
		{"Ubuntu", "20.04", weakName{"o", "ubuntu_linux", "20.04"}, true},
		{"Debian GNU/Linux", "11", weakName{"o", "debian_linux", "11"}, true},
		{"Red Hat Enterprise Linux", "8.6", weakName{"o", "enterprise_linux", "8.6"}, true},
		{"Windows Server", "2008 R2 SP1", weakName{"o", "windows_server_2008", "r2"}, true},
		{"Microsoft Windows Server", "2019", weakName{"o", "windows_server_2019", ""}, true},
		{"Fedora", "34", weakName{"o", "fedora", "34"}, true},
		{"Windows", "", weakName{"o", "windows", ""}, true},
		{"HĐH nội bộ", "1.0", weakName{}, false},
		{"", "", weakName{}, false},
	} {
		got, ok := weakOS(tt.name, tt.version)
		if got != tt.want || ok != tt.ok {
			t.Errorf("weakOS(%q, %q) = %+v, %v; want %+v, %v", tt.name, tt.version, got, ok, tt.want, tt.ok)
		}
	}
}
