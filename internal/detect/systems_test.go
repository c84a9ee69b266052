package detect_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
	"bulwark/internal/detect"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

const suricataAlertRule = `title: Suricata Alert
id: 5a1b0c1e-0000-4000-8000-000000000010
level: medium
logsource:
  product: suricata
detection:
  sel:
    event_type: alert
  condition: sel
`

func suricataLine(src, dst, sni string) string {
	line := fmt.Sprintf(`{"timestamp":"2026-11-20T09:30:00.000000+0700","event_type":"alert","src_ip":%q,"src_port":49822,"dest_ip":%q,"dest_port":443,"proto":"TCP","alert":{"signature":"test","severity":2}`, src, dst)
	if sni != "" {
		line += fmt.Sprintf(`,"tls":{"sni":%q}`, sni)
	}
	return line + "}"
}

// TestAlertSystems: alerts name the information system their addresses
// hit, or the one their source watches, only when someone who sees the
// alert may see the system, and each reader sees it only if the system's
// label lets them.
func TestAlertSystems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, detect.Config{})
		ctx := context.Background()
		hbt, hna := w.agencies["HBT"], w.agencies["HNA"]
		w.dir.systems = []detect.DirectorySystem{
			{ID: 1, Name: "Cổng thông tin huyện Bắc", OwnerAgencyID: hbt, AddressTLP: access.Amber, Addresses: []string{"198.18.0.10", "portal.bac.example.vn"}},
			{ID: 2, Name: "Trung tâm dữ liệu huyện Nam", OwnerAgencyID: hna, AddressTLP: access.Amber, Addresses: []string{"10.20.0.0/24"}},
			{ID: 3, Name: "Máy chủ mật huyện Nam", OwnerAgencyID: hna, AddressTLP: access.AmberStrict, Addresses: []string{"10.30.0.5"}},
			{ID: 4, Name: "Hệ thống đỏ huyện Bắc", OwnerAgencyID: hbt, AddressTLP: access.Red, Addresses: []string{"10.40.0.1"}},
			{ID: 5, Name: "Trang công khai huyện Nam", OwnerAgencyID: hna, AddressTLP: access.Green, Addresses: []string{"198.18.5.5"}},
			{ID: 6, Name: "Hệ thống cũ huyện Bắc", OwnerAgencyID: hbt, AddressTLP: access.Clear, Retired: true},
			{ID: 7, Name: "Máy chủ DNS huyện Bắc", OwnerAgencyID: hbt, AddressTLP: access.Amber, Addresses: []string{"10.20.0.53"}},
		}
		upload(t, w, suricataAlertRule)

		// The watched system: one the caller may read, in service.
		for _, c := range []struct {
			id   int64
			want string
		}{{2, "system_id"}, {6, "system_id"}, {99, "system_id"}, {-1, "system_id"}} {
			_, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: fmt.Sprint("ids ", c.id), Kind: "ids", Format: "suricata", SystemID: c.id})
			if errs.FieldOf(err) != c.want {
				t.Errorf("CreateSource(system %d) = %v, want a %s error", c.id, err, c.want)
			}
		}
		src, err := w.svc.CreateSource(w.as("bac"), detect.SourceInput{Name: "IDS huyện Bắc", Kind: "ids", Format: "suricata", SystemID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if src.SystemID != 1 || src.SystemName != "Cổng thông tin huyện Bắc" {
			t.Fatalf("created source system = %d %q", src.SystemID, src.SystemName)
		}
		// An admin may name another agency's system for a source.
		if _, err := w.svc.CreateSource(w.as("admin"), detect.SourceInput{AgencyID: hbt, Name: "IDS 2", Kind: "ids", Format: "suricata", SystemID: 2}); err != nil {
			t.Fatalf("admin names HNA's system for HBT's source: %v", err)
		}

		body := strings.Join([]string{
			suricataLine("192.0.2.1", "198.18.0.10", ""),                           // own system, AMBER
			suricataLine("192.0.2.2", "10.20.0.77", ""),                            // HNA's data centre range, AMBER: coordinators only
			suricataLine("192.0.2.3", "10.30.0.5", ""),                             // HNA's AMBER+STRICT: never; the watched system instead
			suricataLine("192.0.2.4", "10.40.0.1", ""),                             // own RED: never; the watched system instead
			suricataLine("192.0.2.5", "203.0.113.99", "www.portal.bac.example.vn"), // a parent domain
			suricataLine("192.0.2.6", "198.18.5.5", ""),                            // HNA's GREEN: recorded, shown to who may read HNA's systems
			suricataLine("192.0.2.7", "10.20.0.53", ""),                            // an exact address wins over the range holding it
		}, "\n")
		res, err := w.svc.Ingest(ctx, src.Source, strings.NewReader(body), false)
		if err != nil || res.Alerts != 7 {
			t.Fatalf("Ingest = %+v, %v; want 7 alerts", res, err)
		}
		type row struct{ Entity, System, Matched, Via string }
		rows := func(who string) []row {
			t.Helper()
			alerts, _, err := w.svc.ListAlerts(w.as(who), detect.AlertFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var out []row
			for _, a := range alerts {
				r := row{Entity: a.Entity}
				if a.System != nil {
					r.System, r.Matched, r.Via = a.System.Name, a.System.Matched, a.System.Via
				}
				out = append(out, r)
				one, err := w.svc.GetAlert(w.as(who), a.ID)
				if err != nil || !cmp.Equal(one.System, a.System, cmp.AllowUnexported(detect.AlertSystem{})) {
					t.Errorf("GetAlert(%s, %d).System = %+v, %v; the list says %+v", who, a.ID, one.System, err, a.System)
				}
			}
			return out
		}
		bac := []row{
			{"192.0.2.7", "Máy chủ DNS huyện Bắc", "10.20.0.53", "address"},
			{"192.0.2.6", "", "", ""},
			{"192.0.2.5", "Cổng thông tin huyện Bắc", "portal.bac.example.vn", "address"},
			{"192.0.2.4", "Cổng thông tin huyện Bắc", "", "source"},
			{"192.0.2.3", "Cổng thông tin huyện Bắc", "", "source"},
			{"192.0.2.2", "", "", ""},
			{"192.0.2.1", "Cổng thông tin huyện Bắc", "198.18.0.10", "address"},
		}
		if diff := cmp.Diff(bac, rows("bac")); diff != "" {
			t.Errorf("what the district sees (-want +got):\n%s", diff)
		}
		coord := append([]row(nil), bac...)
		coord[1] = row{"192.0.2.6", "Trang công khai huyện Nam", "198.18.5.5", "address"}
		coord[5] = row{"192.0.2.2", "Trung tâm dữ liệu huyện Nam", "10.20.0.0/24", "address"}
		if diff := cmp.Diff(coord, rows("coord")); diff != "" {
			t.Errorf("what the province coordinator sees (-want +got):\n%s", diff)
		}

		// The stored snapshot follows the inventory: a label raised later
		// hides the system from readers the new label excludes.
		w.dir.mu.Lock()
		w.dir.systems[1].AddressTLP = access.AmberStrict
		w.dir.mu.Unlock()
		if err := w.svc.RefreshSystems(ctx); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows("coord") {
			if r.Entity == "192.0.2.2" && r.System != "" {
				t.Errorf("after HNA raised its label to AMBER+STRICT the coordinator still sees %q", r.System)
			}
		}
		// Triage answers carry the same view.
		alerts, _, _ := w.svc.ListAlerts(w.as("coord"), detect.AlertFilter{Query: "192.0.2.6"})
		a, err := w.svc.SetAlertStatus(w.as("bac"), alerts[0].ID, detect.StatusAcknowledged, "")
		if err != nil || a.System != nil {
			t.Errorf("SetAlertStatus answer = %+v, %v; the district may not see HNA's system", a.System, err)
		}
		// Promoting alerts links the systems the promoter sees to the new
		// incident: the district's own, not the hospital's GREEN one.
		all, _, _ := w.svc.ListAlerts(w.as("bac"), detect.AlertFilter{})
		var promote []int64
		for _, a := range all {
			if a.Entity == "192.0.2.1" || a.Entity == "192.0.2.6" || a.Entity == "192.0.2.7" {
				promote = append(promote, a.ID)
			}
		}
		if _, err := w.svc.Promote(w.as("bac"), detect.PromoteInput{AlertIDs: promote, Incident: &incident.Input{Category: "intrusions/system-compromise"}}); err != nil {
			t.Fatal(err)
		}
		if got := w.inc.created[len(w.inc.created)-1].SystemIDs; !cmp.Equal(got, []int64{7, 1}) {
			t.Errorf("promoted incident systems = %v, want [7 1]", got)
		}
		// The district's list of systems a source may watch: its own.
		choices, err := w.svc.SystemChoices(w.as("bac"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range choices {
			names = append(names, c.Name)
		}
		if want := []string{"Cổng thông tin huyện Bắc", "Hệ thống đỏ huyện Bắc", "Máy chủ DNS huyện Bắc"}; !cmp.Equal(names, want) {
			t.Errorf("SystemChoices(bac) = %q, want %q", names, want)
		}
	})
}
