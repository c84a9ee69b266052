package cpe

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Name
		wantErr  bool
	}{
		{name: "formatted", in: "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*",
			want: Name{Part: "a", Vendor: "apache", Product: "http_server", Version: "2.4.49", Update: "*", Edition: "*", Language: "*", SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}},
		{name: "upper case and escapes", in: `cpe:2.3:a:Microsoft:Internet_Explorer:8.0.6001:beta:*:*:*:*:*:*`,
			want: Name{Part: "a", Vendor: "microsoft", Product: "internet_explorer", Version: "8.0.6001", Update: "beta", Edition: "*", Language: "*", SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}},
		{name: "escaped colon", in: `cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*`,
			want: Name{Part: "a", Vendor: "hp", Product: "insight_diagnostics", Version: "7.4.0.1570", Update: "-", Edition: "*", Language: "*", SWEdition: "online", TargetSW: "win2003", TargetHW: "x64", Other: "*"}},
		{name: "quoted punctuation", in: `cpe:2.3:a:foo\:bar:big\$money:1.0:*:*:*:*:*:*:*`,
			want: Name{Part: "a", Vendor: `foo\:bar`, Product: `big\$money`, Version: "1.0", Update: "*", Edition: "*", Language: "*", SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}},
		{name: "uri", in: "cpe:/o:microsoft:windows_server_2019:-",
			want: Name{Part: "o", Vendor: "microsoft", Product: "windows_server_2019", Version: "-", Update: "*", Edition: "*", Language: "*", SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}},
		{name: "uri percent", in: "cpe:/a:foo%21:bar:1.0",
			want: Name{Part: "a", Vendor: `foo\!`, Product: "bar", Version: "1.0", Update: "*", Edition: "*", Language: "*", SWEdition: "*", TargetSW: "*", TargetHW: "*", Other: "*"}},
		{name: "uri packed edition", in: "cpe:/a:hp:insight:7.4:-:~~online~win2003~x64~",
			want: Name{Part: "a", Vendor: "hp", Product: "insight", Version: "7.4", Update: "-", Edition: "*", Language: "*", SWEdition: "online", TargetSW: "win2003", TargetHW: "x64", Other: "*"}},
		{name: "too few fields", in: "cpe:2.3:a:apache:http_server:2.4.49", wantErr: true},
		{name: "bad part", in: "cpe:2.3:x:apache:http_server:2.4.49:*:*:*:*:*:*:*", wantErr: true},
		{name: "unescaped punctuation", in: "cpe:2.3:a:ap$che:http_server:2.4.49:*:*:*:*:*:*:*", wantErr: true},
		{name: "empty attribute", in: "cpe:2.3:a::http_server:2.4.49:*:*:*:*:*:*:*", wantErr: true},
		{name: "trailing backslash", in: `cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:\`, wantErr: true},
		{name: "not a cpe", in: "nginx 1.18", wantErr: true},
		{name: "space", in: "cpe:2.3:a:apache:http server:2.4.49:*:*:*:*:*:*:*", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, s := range []string{
		"cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*",
		`cpe:2.3:a:foo\:bar:big\$money:1.0:-:*:*:*:*:*:*`,
		"cpe:2.3:o:microsoft:windows_10:1909:*:*:*:*:*:x64:*",
	} {
		n, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if got := n.String(); got != s {
			t.Errorf("Parse(%q).String() = %q", s, got)
		}
	}
}

func mustParse(t *testing.T, s string) Name {
	t.Helper()
	n, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return n
}

func TestMatches(t *testing.T) {
	tests := []struct {
		name, criteria, target string
		want                   bool
	}{
		{"any version", "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*", "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*", true},
		{"exact version", "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*", "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*", true},
		{"other version", "cpe:2.3:a:apache:http_server:2.4.50:*:*:*:*:*:*:*", "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*", false},
		{"other product", "cpe:2.3:a:apache:tomcat:*:*:*:*:*:*:*:*", "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*", false},
		{"wildcard", "cpe:2.3:o:microsoft:windows_server_20*:*:*:*:*:*:*:*:*", "cpe:2.3:o:microsoft:windows_server_2019:-:*:*:*:*:*:*:*", true},
		{"question mark", "cpe:2.3:a:vendor:prod:1.?:*:*:*:*:*:*:*", "cpe:2.3:a:vendor:prod:1.5:*:*:*:*:*:*:*", true},
		{"na only na", "cpe:2.3:a:vendor:prod:1.0:-:*:*:*:*:*:*", "cpe:2.3:a:vendor:prod:1.0:sp1:*:*:*:*:*:*", false},
		{"unknown target version", "cpe:2.3:a:vendor:prod:1.0:*:*:*:*:*:*:*", "cpe:2.3:a:vendor:prod:*:*:*:*:*:*:*:*", false},
		{"part differs", "cpe:2.3:o:vendor:prod:*:*:*:*:*:*:*:*", "cpe:2.3:a:vendor:prod:1:*:*:*:*:*:*:*", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.criteria).Matches(mustParse(t, tt.target)); got != tt.want {
				t.Errorf("%s.Matches(%s) = %v, want %v", tt.criteria, tt.target, got, tt.want)
			}
		})
	}
}

func TestVersionCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.4.49", "2.4.50", -1},
		{"2.4.9", "2.4.10", -1},
		{"1.0", "1.0.0", -1},
		{"1.0", "1.0", 0},
		{"1.1.1k", "1.1.1", 1},
		{"1.1.1k", "1.1.1l", -1},
		{"1.0rc1", "1.0", -1},
		{"1.0-beta", "1.0-rc1", -1},
		{"10.0.19041.1234", "10.0.19041.999", 1},
		{"1.0.1", "1.0.beta", 1},
		{"8.0_u401", "8.0_u391", 1},
	}
	for _, tt := range tests {
		a, err := ParseVersion(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseVersion(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Compare(b); got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := b.Compare(a); got != -tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestRangeContains(t *testing.T) {
	tests := []struct {
		name    string
		r       Range
		v       string
		want    bool
		wantErr bool
	}{
		{"end excluding in", Range{EndExcluding: "2.4.50"}, "2.4.49", true, false},
		{"end excluding at", Range{EndExcluding: "2.4.50"}, "2.4.50", false, false},
		{"end including at", Range{EndIncluding: "2.4.50"}, "2.4.50", true, false},
		{"start including at", Range{StartIncluding: "2.4.0", EndExcluding: "2.4.50"}, "2.4.0", true, false},
		{"start excluding at", Range{StartExcluding: "2.4.0", EndExcluding: "2.4.50"}, "2.4.0", false, false},
		{"below start", Range{StartIncluding: "2.4.0"}, "2.2.34", false, false},
		{"open", Range{}, "1", true, false},
		{"bad bound", Range{EndExcluding: "2.4 beta"}, "2.4", false, true},
		{"two ends", Range{EndExcluding: "2", EndIncluding: "3"}, "1", false, true},
		{"bad version", Range{EndExcluding: "2"}, "*", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.r.Contains(tt.v)
			if (err != nil) != tt.wantErr {
				t.Fatalf("%v.Contains(%q) error = %v, wantErr %v", tt.r, tt.v, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("%v.Contains(%q) = %v, want %v", tt.r, tt.v, got, tt.want)
			}
		})
	}
}

func TestProductKey(t *testing.T) {
	for in, want := range map[string]string{"Apache HTTP Server": "apache_http_server", " nginx ": "nginx", "Exchange Server (2019)": "exchange_server_2019", "": ""} {
		if got := ProductKey(in); got != want {
			t.Errorf("ProductKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*", `cpe:2.3:a:foo\:bar:x:1:*:*:*:*:*:*:*`, "cpe:/a:foo%21:bar:1.0", "cpe:/a:hp:insight:7.4:-:~~online~win2003~x64~", "cpe:2.3:", "cpe:/", `\`, "cpe:2.3:a:*?*:*:*:*:*:*:*:*:*:*:*"} {
		f.Add(s, "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		n, err := Parse(a)
		if err != nil {
			return
		}
		// A parsed name re-parses to itself.
		again, err := Parse(n.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok but Parse(String()=%q): %v", a, n.String(), err)
		}
		if again != n {
			t.Fatalf("round trip of %q: %#v != %#v", a, again, n)
		}
		if m, err := Parse(b); err == nil {
			_ = n.Matches(m)
			_ = m.Matches(n)
		}
	})
}

func FuzzVersionRange(f *testing.F) {
	f.Add("2.4.49", "2.4.0", "", "", "2.4.50")
	f.Add("1.1.1k", "", "1.0", "1.1.1", "")
	f.Add("1.0rc1", "", "", "", "1.0")
	f.Add("99999999999999999999", "", "", "", "1")
	f.Add("a.b.c", "", "", "", "")
	f.Fuzz(func(t *testing.T, v, si, se, ei, ee string) {
		r := Range{StartIncluding: si, StartExcluding: se, EndIncluding: ei, EndExcluding: ee}
		in, err := r.Contains(v)
		if err != nil && in {
			t.Fatalf("Contains returned true with an error")
		}
		a, err1 := ParseVersion(v)
		b, err2 := ParseVersion(ei)
		if err1 == nil && err2 == nil {
			if a.Compare(b) != -b.Compare(a) {
				t.Fatalf("Compare(%q, %q) not antisymmetric", v, ei)
			}
			if a.Compare(a) != 0 {
				t.Fatalf("Compare(%q, itself) != 0", v)
			}
		}
	})
}
