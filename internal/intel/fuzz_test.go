package intel

import (
	"strings"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/ioc"
	"bulwark/internal/store/storetest"
)

// FuzzValidate: no input makes validation panic, and what it accepts is
// stable (validating the stored form again gives the same value).
func FuzzValidate(f *testing.F) {
	for _, s := range []struct{ t, v string }{
		{"ipv4", "1.2.3.4"}, {"domain", "Xn--BCHER-kva.example."}, {"url", "HTTP://a.b/c?d#e"}, {"cidr", "10.0.0.1/8"},
		{"phone", "0912 345 678"}, {"asn", "AS13335"}, {"email", "A@B.vn"}, {"sha256", strings.Repeat("A", 64)}, {"filename", "=cmd.exe"},
	} {
		f.Add(s.t, s.v, "GREEN", "tag")
	}
	f.Fuzz(func(t *testing.T, typ, value, tlp, tag string) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		c, err := validate(Input{Type: typ, Value: value, TLP: access.TLP(tlp), Tags: []string{tag}}, now, access.Amber)
		if err != nil {
			return
		}
		again, err := validate(Input{Type: string(c.typ), Value: c.value, TLP: c.tlp, Tags: c.tags}, now, access.Amber)
		if err != nil || again.value != c.value {
			t.Fatalf("validate(%q, %q) = %q, but validating that again = %q, %v", typ, value, c.value, again.value, err)
		}
		if len(c.value) > ioc.MaxLen(c.typ) {
			t.Fatalf("stored value longer than the type's limit")
		}
	})
}

func FuzzParseCSVMapping(f *testing.F) {
	f.Add("header,value=indicator,type=2,tags=tags,comma=tab")
	f.Add("value=0,,=,x=y")
	f.Fuzz(func(t *testing.T, s string) { _, _ = ParseCSVMapping(s) })
}

// FuzzImport feeds arbitrary bytes to every importer: each import ends
// (done or failed with a reason) and never panics.
func FuzzImport(f *testing.F) {
	f.Add(uint8(0), []byte(`{"type":"bundle","id":"bundle--6a4a5d2c-1f0b-4c59-9c1c-6bb1a3c1a001","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.9.9.9']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}`))
	f.Add(uint8(1), []byte(testEvent))
	f.Add(uint8(2), []byte("a,b\n\"x\"y,z\n1.2.3.4\n"))
	f.Add(uint8(3), []byte("1.2.3.4\n#x\nexample.vn junk\n"))
	f.Add(uint8(0), []byte(`{"type":"bundle","objects":[{"type":"indicator"`))
	fx := newFixture(f, storetest.SQLite(f))
	formats := []string{FormatSTIX, FormatMISP, FormatCSV, FormatPlain}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		opts := ImportOptions{Format: formats[int(which)%len(formats)]}
		if opts.Format == FormatCSV {
			opts.CSV = CSVMapping{Value: "1", Type: "2"}
		}
		j, err := fx.svc.ImportReader(fx.sysCtx, strings.NewReader(string(data)), int64(len(data)), opts)
		if err != nil {
			t.Fatalf("ImportReader: %v", err)
		}
		if j.Status != StatusDone && j.Status != StatusFailed {
			t.Fatalf("import ended %q", j.Status)
		}
		if j.Status == StatusFailed && j.Error == "" {
			t.Fatalf("failed import without a reason")
		}
	})
}
