package feed

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/sysinv/cpe"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadNVD(t *testing.T) {
	var got []CVE
	info, err := Read(bytes.NewReader(readFixture(t, "nvdcve-2.0-sample.json")), "", 0, Handler{CVE: func(c CVE) error { got = append(got, c); return nil }})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if info.Kind != NVD || info.Records != 7 || info.Skipped != 2 || info.ProblemCount != 4 {
		t.Errorf("info = %+v, want nvd, 7 records, 2 skipped, 4 problems", info)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	if d := cmp.Diff([]string{"CVE-2021-41773", "CVE-2021-42013", "CVE-2021-44228", "CVE-2023-46604", "CVE-2019-0708", "CVE-2021-23017", "CVE-2099-0001"}, ids); d != "" {
		t.Errorf("ids (-want +got):\n%s", d)
	}
	c := got[0]
	if c.CVSS != 7.5 || c.Severity != "HIGH" || c.CVSSVersion != "3.1" || c.KEVAdded != "2021-11-03" || !strings.HasPrefix(c.Description, "A flaw was found") {
		t.Errorf("CVE-2021-41773 = %+v", c)
	}
	if c.LastModified.Format("2006-01-02T15:04:05.000") != "2025-02-04T15:15:13.960" {
		t.Errorf("lastModified = %v", c.LastModified)
	}
	log4j := got[2].Configurations[0].Nodes[0].Matches
	if d := cmp.Diff(cpe.Range{StartIncluding: "2.4.0", EndExcluding: "2.12.2"}, log4j[1].Range); d != "" {
		t.Errorf("log4j range (-want +got):\n%s", d)
	}
	// The broken CPE and range were dropped, the good match kept.
	if m := got[6].Configurations[0].Nodes[0].Matches; len(m) != 1 || m[0].EndIncluding != "2.0" {
		t.Errorf("CVE-2099-0001 matches = %+v, want only the good one", m)
	}
}

func TestReadKEV(t *testing.T) {
	var got []KEVEntry
	info, err := Read(bytes.NewReader(readFixture(t, "kev-sample.json")), KEV, 0, Handler{KEV: func(k KEVEntry) error { got = append(got, k); return nil }})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if info.Kind != KEV || info.CatalogVersion != "2026.11.18" || info.Records != 5 || info.Skipped != 1 {
		t.Errorf("info = %+v", info)
	}
	want := KEVEntry{CVEID: "CVE-2023-46604", Vendor: "Apache", Product: "ActiveMQ", Name: "Apache ActiveMQ Deserialization of Untrusted Data Vulnerability",
		DateAdded: "2023-11-02", DueDate: "2023-11-23", Ransomware: "Known"}
	g := got[3]
	g.Description, g.RequiredAction, g.Notes = "", "", ""
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("entry (-want +got):\n%s", d)
	}
}

func TestReadGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(readFixture(t, "kev-sample.json"))
	zw.Close()
	info, err := Read(&buf, "", 0, Handler{})
	if err != nil || info.Kind != KEV || info.Records != 5 {
		t.Fatalf("Read(gzip) = %+v, %v", info, err)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     Kind
		max      int64
	}{
		{"not json", "hello", "", 0},
		{"array", "[]", "", 0},
		{"no vulnerabilities", `{"format":"NVD_CVE"}`, "", 0},
		{"truncated", `{"vulnerabilities":[{"cveID":"CVE-2021-1234","dateAdded":"2021-01-01"}`, "", 0},
		{"wrong kind", `{"catalogVersion":"1","vulnerabilities":[]}`, NVD, 0},
		{"too large", `{"vulnerabilities":[` + strings.Repeat(`{"cveID":"x"},`, 100) + `{}]}`, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in), tt.want, tt.max, Handler{})
			if err == nil {
				t.Fatalf("Read(%q) succeeded, want an error", tt.name)
			}
			if tt.max > 0 && !errors.Is(err, ErrTooLarge) {
				t.Errorf("err = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestReadKeepsRecordsBeforeABreak(t *testing.T) {
	n := 0
	in := `{"vulnerabilities":[{"cveID":"CVE-2021-1234","dateAdded":"2021-01-01"},{"cveID":"CVE-2021-1235","dateAdded":"2021-01-01"},{"cve`
	info, err := Read(strings.NewReader(in), "", 0, Handler{KEV: func(KEVEntry) error { n++; return nil }})
	if err == nil || n != 2 || info.Records != 2 {
		t.Fatalf("Read = %+v, %v, delivered %d; want an error after 2 records", info, err, n)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(readFixture(f, "nvdcve-2.0-sample.json"))
	f.Add(readFixture(f, "kev-sample.json"))
	f.Add([]byte(`{"vulnerabilities":[{"cve":{"id":"CVE-2021-0001","lastModified":"2021-01-01","configurations":[{"nodes":[{"cpeMatch":[{"criteria":"cpe:2.3:a:a:b:*:*:*:*:*:*:*:*","versionEndExcluding":"1"}]}]}]}}]}`))
	f.Add([]byte(`{"vulnerabilities":[{"cveID":"CVE-2021-0001","dateAdded":"2021-01-01","dueDate":"x"}]}`))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Read(bytes.NewReader(data), "", 1<<20, Handler{
			CVE: func(c CVE) error {
				if !ValidCVEID(c.ID) {
					t.Fatalf("delivered a bad id %q", c.ID)
				}
				for _, conf := range c.Configurations {
					for _, n := range conf.Nodes {
						for _, m := range n.Matches {
							if _, err := cpe.Parse(m.Criteria); err != nil {
								t.Fatalf("delivered a bad CPE %q", m.Criteria)
							}
						}
					}
				}
				return nil
			},
			KEV: func(k KEVEntry) error { return nil },
		})
	})
}
