package detect_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/detect"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestIngestReusesStorageSafely ingests, in batches of two, matching
// events between many that match nothing. The storage of the events that
// match nothing is reused from batch to batch (decode.Memory), including
// the failed logons that only feed correlations (they raise no alert of
// their own); what they leave behind (correlation windows across
// batches, alert titles, entities and samples) must come out exactly as
// sent.
func TestIngestReusesStorageSafely(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{BatchLines: 2})
		ctx := context.Background()
		if up := upload(t, w, logonRules); up.Added != 5 {
			t.Fatalf("UploadRules = %+v", up)
		}
		src, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "DC", Kind: "windows", Format: "windows"})
		if err != nil {
			t.Fatal(err)
		}
		// Storage is reused for a line that fits in it: the noise lines
		// have the logons' layout and length with other bytes, so they
		// overwrite what the logons' storage held; each logon starts with
		// a field of another length, so no two hold a value at the same
		// place.
		line := func(seq, id int, ip, user string, pad byte) string {
			l := strings.TrimSuffix(logonLine(id, ip, user), "}") + `,"Padding":"` + strings.Repeat(string(pad), 300) + `"}`
			return `{"Seq":"` + strings.Repeat("s", seq) + `",` + l[1:]
		}
		logon := func(i int, user string) string { return line(1+7*i, 4625, "203.0.113.50", user, 'p') }
		noise := func(i int) string {
			return line(20, 4688, fmt.Sprintf("198.51.%03d.%03d", i, i), strings.Repeat(string(rune('k'+i)), 5), byte('a'+i))
		}
		var lines []string
		users := []string{"anhai", "binhx", "chiyy", "dungz", "giang"}
		for i := range 5 {
			lines = append(lines, noise(3*i), logon(i, users[i]), noise(3*i+1), noise(3*i+2))
		}
		res, err := w.svc.Ingest(ctx, src.Source, strings.NewReader(strings.Join(lines, "\n")), false)
		if err != nil || res.Rejected != 0 || res.Accepted != 20 || res.Matched != 2 {
			t.Fatalf("Ingest = %+v, %v", res, err)
		}
		alerts, _, err := w.svc.ListAlerts(w.as("bac"), detect.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			Title, Entity string
			Samples       []string
		}
		var got []row
		for _, a := range alerts {
			got = append(got, row{a.Title, a.Entity, a.Samples})
		}
		sort.Slice(got, func(i, j int) bool { return got[i].Title < got[j].Title })
		want := []row{
			{"Brute Force From One Address (203.0.113.50)", "203.0.113.50", []string{logon(4, "giang")}},
			{"Password Spray From One Address (203.0.113.50)", "203.0.113.50", []string{logon(2, "chiyy")}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("alerts (-want +got):\n%s", diff)
		}
	})
}
