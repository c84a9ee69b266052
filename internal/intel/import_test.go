package intel

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
)

const testBundle = `{"type":"bundle","id":"bundle--6a4a5d2c-1f0b-4c59-9c1c-6bb1a3c1a001","objects":[
{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0a1b2c3d-0000-4000-8000-000000000001","created":"2022-10-01T00:00:00.000Z","name":"TLP:GREEN","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"green"}}},
{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-02T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.9.9.9'] OR [domain-name:value = 'bad.example.vn']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","labels":["botnet"],"object_marking_refs":["marking-definition--0a1b2c3d-0000-4000-8000-000000000001"]},
{"type":"indicator","spec_version":"2.1","id":"indicator--22222222-2222-4222-8222-222222222222","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '1.2.3.4'","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--33333333-3333-4333-8333-333333333333","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[network-traffic:dst_port = 4444]","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--44444444-4444-4444-8444-444444444444","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"title: x","pattern_type":"sigma","valid_from":"2026-01-01T00:00:00Z"},
{"type":"x-acme-widget","spec_version":"2.1","id":"x-acme-widget--55555555-5555-4555-8555-555555555555"},
{"type":"domain-name","spec_version":"2.1","id":"domain-name--66666666-6666-4666-8666-666666666666","value":"Observed.Example.VN"},
{"type":"indicator","spec_version":"2.1","id":"indicator--77777777-7777-4777-8777-777777777777","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:size = 10]","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}
]}`

const testEvent = `{"Event":{"uuid":"5e0f1e2a-0000-4000-8000-00000000e001","info":"phishing wave","distribution":"1","Orgc":{"name":"CERT-X"},
"Attribute":[
 {"uuid":"a1","type":"ip-dst","category":"Network activity","value":"45.10.10.10","to_ids":true},
 {"uuid":"a2","type":"domain","category":"Network activity","value":"not-for-ids.example.vn","to_ids":false},
 {"uuid":"a3","type":"weird-type","category":"Other","value":"zzz","to_ids":true},
 {"uuid":"a4","type":"url","category":"Network activity","value":"http://phish.example.vn/login","to_ids":true,"Tag":[{"name":"tlp:amber"}]},
 {"uuid":"a5","type":"ip-dst","category":"Network activity","value":"999.1.1.1","to_ids":true}
],
"Tag":[{"name":"tlp:green"},{"name":"phishing"}]}}`

func values(t *testing.T, f *fixture, ctx context.Context) []string {
	t.Helper()
	var out []string
	if err := f.svc.Each(ctx, Filter{}, func(ind Indicator) error {
		out = append(out, string(ind.Type)+" "+ind.Value+" "+string(ind.TLP))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func problemKinds(j ImportJob) map[string]int {
	m := map[string]int{}
	for _, p := range j.Problems {
		m[p.Kind]++
	}
	return m
}

func TestImportFormats(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		a := f.as("A")
		tests := []struct {
			name     string
			opts     ImportOptions
			in       string
			created  int64
			rejected int64
			problems map[string]int
		}{
			{"stix", ImportOptions{Format: FormatSTIX}, testBundle, 4, 4, map[string]int{"rejected": 4, "partial": 2}},
			{"misp", ImportOptions{Format: FormatMISP}, testEvent, 2, 2, map[string]int{"rejected": 2}},
			{"csv", ImportOptions{Format: FormatCSV, CSV: CSVMapping{Header: true, Value: "indicator", Type: "kind", Tags: "3"}},
				"indicator,kind,tags\n46.1.1.1,ipv4,a|b\nbad\"quote,ipv4,\n46.1.1.2,ipv4\nnot-an-ip,ipv4,\n46.1.1.3,,x\n", 2, 3, map[string]int{"rejected": 3}},
			{"plain", ImportOptions{Format: FormatPlain}, "# list\n47.1.1.1\nexample-bad.vn ; comment\n\n!!!\n8.8.8.8\n", 3, 1, map[string]int{"rejected": 1, "warning": 1}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				j, err := f.svc.ImportReader(a, strings.NewReader(tc.in), int64(len(tc.in)), tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if j.Status != StatusDone || j.Created != tc.created || j.Rejected != tc.rejected {
					t.Errorf("import = %s, created %d, rejected %d; want done, %d, %d\nproblems: %+v", j.Status, j.Created, j.Rejected, tc.created, tc.rejected, j.Problems)
				}
				if diff := cmp.Diff(tc.problems, problemKinds(j)); diff != "" {
					t.Errorf("problem kinds (-want +got):\n%s\n%+v", diff, j.Problems)
				}
			})
		}
		got := values(t, f, f.as("C"))
		for _, v := range []string{"ipv4 45.9.9.9 GREEN", "domain bad.example.vn GREEN", "ipv4 45.10.10.10 GREEN"} {
			if !slices.Contains(got, v) {
				t.Errorf("C does not see %q; sees %v", v, got)
			}
		}
		for _, v := range got {
			if strings.Contains(v, "phish.example.vn") || strings.Contains(v, "observed") {
				t.Errorf("C sees A's AMBER indicator %q", v)
			}
		}
	})
}

func TestBackgroundImportAndRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		a := f.as("A")
		var b strings.Builder
		for i := range 3000 {
			b.WriteString("host" + strconv.Itoa(i) + ".round.example.vn\n")
		}
		b.WriteString("45.20.0.1\n2001:db9::1\n10.0.0.0/8\n" + strings.Repeat("a", 64) + "\n")
		path := filepath.Join(t.TempDir(), "list.txt")
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := f.svc.StartImport(a, path, true, ImportOptions{Format: FormatPlain, TLP: access.Green, Name: "list.txt"})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for j.Status == StatusRunning && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			if j, err = f.svc.GetImport(a, j.ID); err != nil {
				t.Fatal(err)
			}
		}
		if j.Status != StatusDone || j.Created != 3004 || j.Warned != 1 || j.Percent() != 100 {
			t.Fatalf("job = %+v, want done with 3004 created and one warning", j)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("spooled file left behind: %v", err)
		}
		if _, err := f.svc.GetImport(f.as("B"), j.ID); err == nil {
			t.Errorf("B reads A's import job")
		}
		want := values(t, f, a)
		for _, format := range []string{ExportSTIX, ExportMISP, ExportCSV} {
			t.Run(format, func(t *testing.T) {
				var buf bytes.Buffer
				res, err := f.svc.Export(a, &buf, format, Filter{})
				if err != nil || res.Written != 3004 {
					t.Fatalf("Export(%s) = %+v, %v", format, res, err)
				}
				g := newFixture(t, freshDB(t, f))
				opts := ImportOptions{Format: format}
				if format == ExportCSV {
					m, _ := ParseCSVMapping(ExportCSVMapping)
					opts.CSV = m
				}
				if format == ExportMISP {
					opts.Format = FormatMISP
				}
				j, err := g.svc.ImportReader(g.sysCtx, &buf, int64(buf.Len()), opts)
				if err != nil || j.Rejected != 0 {
					t.Fatalf("re-import = %+v, %v", j, err)
				}
				if diff := cmp.Diff(want, values(t, g, g.sysCtx)); diff != "" {
					t.Errorf("round trip through %s (-want +got):\n%s", format, diff)
				}
			})
		}
	})
}

func TestRPZLoadsInNamedCheckzone(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		a := f.as("A")
		list := "evil.example.vn\nxn--bcher-kva.example\n_dmarc.bad.vn\nmail.phish.vn\n45.1.1.1\n"
		if _, err := f.svc.ImportReader(a, strings.NewReader(list), 0, ImportOptions{Format: FormatPlain, TLP: access.Green}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		res, err := f.svc.Export(a, &buf, ExportRPZ, Filter{})
		if err != nil || res.Written != 4 {
			t.Fatalf("Export(rpz) = %+v, %v\n%s", res, err, buf.String())
		}
		var fw bytes.Buffer
		if res, err := f.svc.Export(a, &fw, ExportFirewall, Filter{}); err != nil || res.Written != 1 || !strings.Contains(fw.String(), "\n45.1.1.1\n") {
			t.Errorf("Export(firewall) = %+v, %v\n%s", res, err, fw.String())
		}
		checker, err := exec.LookPath("named-checkzone")
		if err != nil {
			if os.Getenv("BULWARK_TEST_SHARED") == "required" {
				t.Fatalf("named-checkzone (Debian package bind9-utils) is required: %v", err)
			}
			t.Skip("named-checkzone not installed (apt-get install bind9-utils); set BULWARK_TEST_SHARED=required to fail instead")
		}
		path := filepath.Join(t.TempDir(), "rpz.zone")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(checker, "-q", "-k", "fail", "rpz.bulwark", path).CombinedOutput()
		if err != nil {
			t.Errorf("named-checkzone refused the zone: %v\n%s\n%s", err, out, buf.String())
		}
	})
}
