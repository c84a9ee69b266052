package intel

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
)

// The files under testdata/public were published by others (see its
// README); the counts below were derived by reading them.

func importFile(t *testing.T, f *fixture, path string, opts ImportOptions) ImportJob {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	j, err := f.svc.ImportReader(f.sysCtx, fh, 0, opts)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

type wantJob struct {
	created, merged, rejected int64
	problems                  map[string]int
}

func checkJob(t *testing.T, name string, j ImportJob, w wantJob) {
	t.Helper()
	if j.Status != StatusDone || j.Created != w.created || j.Merged != w.merged || j.Rejected != w.rejected {
		t.Errorf("%s: %s, created %d merged %d rejected %d; want done, %d, %d, %d\nproblems: %+v",
			name, j.Status, j.Created, j.Merged, j.Rejected, w.created, w.merged, w.rejected, j.Problems)
	}
	if diff := cmp.Diff(w.problems, problemKinds(j)); diff != "" {
		t.Errorf("%s: problem kinds (-want +got):\n%s\n%+v", name, diff, j.Problems)
	}
}

// roundTrip exports everything f holds in each format, imports it into an
// empty database and compares the sets.
func roundTrip(t *testing.T, f *fixture, want []string) {
	t.Helper()
	for _, format := range []string{ExportSTIX, ExportMISP, ExportCSV} {
		var buf bytes.Buffer
		res, err := f.svc.Export(f.sysCtx, &buf, format, Filter{})
		if err != nil || res.Written != len(want) {
			t.Fatalf("Export(%s) = %+v, %v; want %d written", format, res, err, len(want))
		}
		g := newFixture(t, freshDB(t, f))
		opts := ImportOptions{Format: format}
		switch format {
		case ExportCSV:
			opts.CSV, _ = ParseCSVMapping(ExportCSVMapping)
		case ExportMISP:
			opts.Format = FormatMISP
		}
		j, err := g.svc.ImportReader(g.sysCtx, &buf, int64(buf.Len()), opts)
		if err != nil || j.Rejected != 0 || j.Created != int64(len(want)) {
			t.Fatalf("re-import of %s = %+v, %v", format, j, err)
		}
		if diff := cmp.Diff(want, values(t, g, g.sysCtx)); diff != "" {
			t.Errorf("round trip through %s (-want +got):\n%s", format, diff)
		}
	}
}

func TestPublicSTIXBundles(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		dir := filepath.Join("testdata", "public", "stix")
		// test_attributes_collection_stix21.json: an identity and an
		// observed-data (whose autonomous-system object is not in the
		// bundle) carry no value; three indicators: circl.lu (created);
		// circl.lu AND its resolves_to_refs address, an AND inside one
		// observation, which no single indicator represents (reported as
		// partial, then rejected: nothing simple is left); file:name
		// test_file_name (created).
		j := importFile(t, f, filepath.Join(dir, "test_attributes_collection_stix21.json"), ImportOptions{Format: FormatSTIX, TLP: access.Green})
		checkJob(t, "attributes collection", j, wantJob{created: 2, rejected: 1, problems: map[string]int{"partial": 1, "rejected": 1}})
		// test_event1_stix21.json: groupings, observed-data, identity and
		// relationship carry no value; the autonomous-system object 174
		// (created), the domain-name object circl.lu and the indicator
		// circl.lu (both merged into the one already there).
		j = importFile(t, f, filepath.Join(dir, "test_event1_stix21.json"), ImportOptions{Format: FormatSTIX, TLP: access.Green})
		checkJob(t, "event1", j, wantJob{created: 1, merged: 2, problems: map[string]int{}})
		want := []string{"asn AS174 GREEN", "domain circl.lu GREEN", "filename test_file_name GREEN"}
		got := values(t, f, f.sysCtx)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("indicators (-want +got):\n%s", diff)
		}
		roundTrip(t, f, want)
	})
}

func TestPublicMISPFeed(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		dir := filepath.Join("testdata", "public", "misp-feed")
		// The CIRCL event "Ransomware - Xorist" has nine attributes: two
		// links, a comment and a text are not for detection (to_ids false)
		// and are passed over; filename, md5, sha1 and sha256 are created;
		// the regkey|value (to_ids true) has no indicator type: rejected.
		// The event's tlp:white tag makes them CLEAR.
		j, err := f.svc.ImportMISPFeed(f.sysCtx, dir, ImportOptions{Format: FormatMISPFeed, TLP: access.Amber})
		if err != nil {
			t.Fatal(err)
		}
		checkJob(t, "feed", j, wantJob{created: 4, rejected: 1, problems: map[string]int{"rejected": 1}})
		if len(j.Problems) == 1 && j.Problems[0].Value != `Software\Wow6432Node\Microsoft\Windows\CurrentVersion\Run|%TEMP%\3Z4wnG9603it23y.exe` {
			t.Errorf("rejected value = %q", j.Problems[0].Value)
		}
		want := []string{
			"filename 3Z4wnG9603it23y.exe CLEAR",
			"md5 0749bae92ca336a02c83d126e04ec628 CLEAR",
			"sha1 77b0c41b7d340b8a3d903f21347bbf06aa766b5b CLEAR",
			"sha256 b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68 CLEAR",
		}
		if diff := cmp.Diff(want, values(t, f, f.sysCtx)); diff != "" {
			t.Fatalf("indicators (-want +got):\n%s", diff)
		}
		// Every agency sees CLEAR; tags (lower-cased) and source came across.
		var ind Indicator
		if err := f.svc.Each(f.as("C"), Filter{}, func(i Indicator) error {
			if i.Type == "md5" {
				ind = i
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if ind.ID == 0 {
			t.Fatal("agency C does not see the CLEAR md5")
		}
		full, err := f.svc.Get(f.as("C"), ind.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Entries) != 1 || full.Entries[0].Source != "misp:CIRCL" || !slices.Contains(full.Entries[0].Tags, `ms-caro-malware:malware-type="ransom"`) {
			t.Errorf("entry = %+v; want source misp:CIRCL with the event's tags", full.Entries)
		}
		// The same event as a single MISP event file gives the same counts.
		g := newFixture(t, freshDB(t, f))
		j = importFile(t, g, filepath.Join(dir, "57c4445b-c548-4654-af0b-4be3950d210f.json"), ImportOptions{Format: FormatMISP})
		checkJob(t, "event file", j, wantJob{created: 4, rejected: 1, problems: map[string]int{"rejected": 1}})
		roundTrip(t, f, want)
	})
}
