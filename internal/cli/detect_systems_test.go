package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bulwark/internal/api"
	"bulwark/internal/detect"
	"bulwark/internal/incident"
)

// logonRulesFile holds a failed-logon rule that only feeds a correlation
// (generate: false, Sigma's default) and an event_count correlation: five
// failures from one address within five minutes.
const logonRulesFile = `title: Failed Logon
name: failed_logon
id: 0f6e7f0e-0000-4000-8000-0000000000b1
level: low
logsource:
  product: windows
  service: security
detection:
  sel:
    EventID: 4625
  condition: sel
---
title: Brute Force From One Address
id: 0f6e7f0e-0000-4000-8000-0000000000b2
author: Bulwark tests
level: high
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition:
    gte: 5
`

// TestDetectCorrelationAndSystemsAPI goes through the real router with the
// real inventory: a correlation rule uploaded as a file, five failed
// logons posted to /api/v1/events raise one correlation alert, which names
// the system its source watches; indicator alerts name the system whose
// component address they hit, shown to the readers its label allows.
func TestDetectCorrelationAndSystemsAPI(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		ids := seedSystems(t, e) // portal and data centre: SKHCN's (AMBER, AMBER+STRICT); HIS: the hospital's (AMBER)
		var up detect.UploadResult
		decodeJSON(t, e.call(t, "POST", "/api/v1/rules", standAnalyst, mustJSON(t, map[string]any{"files": []map[string]string{{"name": "logon.yml", "content": logonRulesFile}}}), 200), &up)
		if up.Added != 2 || len(up.Rejected) != 0 {
			t.Fatalf("upload = %+v", up)
		}
		// A source watches one of its agency's systems, not another's.
		b := e.call(t, "POST", "/api/v1/sources", detectAnalyst, fmt.Sprintf(`{"name":"DC","kind":"windows","format":"windows","system_id":%d}`, ids["his"]), 400)
		if !strings.Contains(string(b), `"field":"system_id"`) {
			t.Errorf("another agency's system = %s", b)
		}
		var dc detect.CreatedSource
		decodeJSON(t, e.call(t, "POST", "/api/v1/sources", detectAnalyst, fmt.Sprintf(`{"name":"Máy chủ AD cổng dịch vụ công","kind":"windows","format":"windows","system_id":%d}`, ids["portal"]), 201), &dc)
		if dc.SystemName != "Cổng dịch vụ công tỉnh Bình An" {
			t.Errorf("source system name = %q", dc.SystemName)
		}

		// Five failed logons from one address: one correlation alert.
		var lines []string
		for i := range 5 {
			lines = append(lines, fmt.Sprintf(`{"Channel":"Security","EventID":4625,"Computer":"ad01.skhcn.local","IpAddress":"203.0.113.50","TargetUserName":"u%d"}`, i))
		}
		resp, body := e.sendEvents(t, dc.Token, []byte(strings.Join(lines, "\n")+"\n"), false)
		var res detect.IngestResult
		decodeJSON(t, body, &res)
		if resp.StatusCode != 200 || res.Accepted != 5 || res.Alerts != 1 || res.Matched != 1 {
			t.Fatalf("events = %d %s", resp.StatusCode, body)
		}
		var page api.Page[detect.Alert]
		decodeJSON(t, e.call(t, "GET", "/api/v1/alerts", detectAnalyst, "", 200), &page)
		if page.Total != 1 {
			t.Fatalf("alerts = %+v, want only the correlation (the failed-logon rule does not generate)", page)
		}
		a := page.Items[0]
		if a.Kind != "correlation" || a.Title != "Brute Force From One Address (203.0.113.50)" || a.Entity != "203.0.113.50" || a.Severity != "high" ||
			a.System == nil || a.System.ID != ids["portal"] || a.System.Via != "source" {
			t.Errorf("correlation alert = %+v system %+v", a, a.System)
		}
		// Promoted to a new incident, the alert links its system.
		var inc incident.Incident
		decodeJSON(t, e.call(t, "POST", "/api/v1/alerts/promote", detectAnalyst,
			fmt.Sprintf(`{"alert_ids":[%d],"incident":{"category":"intrusions/system-compromise","severity":"high","tlp":"AMBER","pap":"AMBER"}}`, a.ID), 200), &inc)
		if len(inc.Systems) != 1 || inc.Systems[0].ID != ids["portal"] {
			t.Errorf("promoted incident systems = %+v, want the portal", inc.Systems)
		}

		// Indicator alerts on an IDS: the data centre's range (SKHCN's,
		// AMBER+STRICT) and the hospital's HIS (AMBER).
		for _, v := range []string{"198.51.100.98", "198.51.100.99"} {
			e.call(t, "POST", "/api/v1/indicators", standAnalyst, `{"type":"ipv4","value":"`+v+`","tlp":"GREEN","confidence":80,"confirm":true}`, 201)
		}
		if _, err := e.app.Detect.RebuildIndex(context.Background()); err != nil {
			t.Fatal(err)
		}
		var ids2 detect.CreatedSource
		decodeJSON(t, e.call(t, "POST", "/api/v1/sources", detectAnalyst, `{"name":"Suricata TTDL","kind":"ids","format":"suricata"}`, 201), &ids2)
		eve := func(src, dst string) string {
			return fmt.Sprintf(`{"timestamp":"2026-11-20T09:30:00.000000+0700","event_type":"flow","src_ip":%q,"src_port":49822,"dest_ip":%q,"dest_port":443,"proto":"TCP"}`, src, dst)
		}
		resp, body = e.sendEvents(t, ids2.Token, []byte(eve("198.51.100.98", "10.20.0.7")+"\n"+eve("198.51.100.99", "10.30.5.20")+"\n"), false)
		decodeJSON(t, body, &res)
		if resp.StatusCode != 200 || res.Alerts != 2 {
			t.Fatalf("IDS events = %d %s", resp.StatusCode, body)
		}
		systemOf := func(who, entity string) string {
			t.Helper()
			var page api.Page[detect.Alert]
			decodeJSON(t, e.call(t, "GET", "/api/v1/alerts?kind=indicator&q="+entity, who, "", 200), &page)
			if page.Total != 1 {
				t.Fatalf("%s: alerts on %s = %+v", who, entity, page)
			}
			var one detect.Alert
			decodeJSON(t, e.call(t, "GET", fmt.Sprintf("/api/v1/alerts/%d", page.Items[0].ID), who, "", 200), &one)
			if (one.System == nil) != (page.Items[0].System == nil) {
				t.Errorf("%s: the list and the alert disagree on its system", who)
			}
			if one.System == nil {
				return ""
			}
			return one.System.Name + " " + one.System.Matched
		}
		for _, c := range []struct{ who, entity, want string }{
			{detectAnalyst, "198.51.100.98", "Trung tâm dữ liệu tỉnh 10.20.0.0/24"}, // its own, AMBER+STRICT
			{coord, "198.51.100.98", ""},         // AMBER+STRICT: not the province coordinators
			{detectAnalyst, "198.51.100.99", ""}, // the hospital's system: not another agency
			{coord, "198.51.100.99", "Hệ thống thông tin bệnh viện (HIS) 10.30.5.20"},
		} {
			if got := systemOf(c.who, c.entity); got != c.want {
				t.Errorf("%s sees the alert on %s hit %q, want %q", c.who, c.entity, got, c.want)
			}
		}

		// Pages: the alert list and alert page name the system, the source
		// form offers the agency's systems, the dashboard draws the alerts
		// of the fortnight by severity.
		br := e.browser(t)
		br.login(detectAnalyst, e.accounts[detectAnalyst].Password)
		_, doc := br.get("/alerts")
		if hits := queryAll(doc, "#alert-rows .det-system"); len(hits) != 2 {
			t.Errorf("alert list names %d systems, want 2 (the correlation's and the data centre)", len(hits))
		}
		_, doc = br.get(fmt.Sprintf("/alerts/%d", a.ID))
		if n := queryAll(doc, "#alert-system a"); len(n) != 1 || text(n[0]) != "Cổng dịch vụ công tỉnh Bình An" || attr(n[0], "href") != fmt.Sprintf("/systems/%d", ids["portal"]) {
			t.Errorf("alert page system = %v", n)
		}
		_, doc = br.get("/sources")
		var opts []string
		for _, o := range queryAll(doc, "#system_id option") {
			opts = append(opts, text(o))
		}
		if strings.Join(opts, "|") != "— không gắn hệ thống —|Cổng dịch vụ công tỉnh Bình An|Trung tâm dữ liệu tỉnh" {
			t.Errorf("source form systems = %q", opts)
		}
		_, doc = br.get(fmt.Sprintf("/sources/%d", dc.ID))
		if n := queryAll(doc, "#source-system"); len(n) != 1 || text(n[0]) != "Cổng dịch vụ công tỉnh Bình An" {
			t.Errorf("source page system = %v", n)
		}
		// The source page changes the watched system, keeping the rest.
		resp = br.post(fmt.Sprintf("/sources/%d/system", dc.ID), url.Values{"csrf": {csrfOf(doc)}, "system_id": {fmt.Sprint(ids["dc"])}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("change the watched system = %d", resp.StatusCode)
		}
		var changed detect.Source
		decodeJSON(t, e.call(t, "GET", fmt.Sprintf("/api/v1/sources/%d", dc.ID), detectAnalyst, "", 200), &changed)
		if changed.SystemName != "Trung tâm dữ liệu tỉnh" || changed.Name != dc.Name || changed.Format != "windows" || changed.SilentAfter != dc.SilentAfter {
			t.Errorf("source after the change = %+v", changed)
		}
		_, doc = br.get("/")
		total, data := queryAll(doc, "#alert-dash-total"), queryAll(doc, "#alert-dash-data")
		if len(total) != 1 || text(total[0]) != "3" || len(data) != 1 {
			t.Fatalf("dashboard alert figure missing or wrong total")
		}
		var chart struct {
			Labels   []string
			Datasets []struct {
				Label string
				Data  []int
			}
		}
		decodeJSON(t, []byte(text(data[0])), &chart)
		sum := map[string]int{}
		for _, d := range chart.Datasets {
			if len(d.Data) != 14 {
				t.Errorf("dataset %s has %d days, want 14", d.Label, len(d.Data))
			}
			sum[d.Label] += d.Data[13]
		}
		if len(chart.Labels) != 14 || sum["cao"] != 3 {
			t.Errorf("dashboard chart = %+v, want today's 3 high alerts", chart)
		}
	})
}
