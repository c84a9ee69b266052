package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/demo"
	"bulwark/internal/sysinv"
)

const (
	skhcnAnalyst = "phantich.skhcn@demo.bulwark.vn"
	bvdkReporter = "baocao.bvdk@demo.bulwark.vn"
	tpbaReporter = "baocao.tpba@demo.bulwark.vn"
)

// seedSystems adds the demo systems (the test env seeds only the
// foundation) and returns their ids by name prefix.
func seedSystems(t *testing.T, e *testEnv) map[string]int64 {
	t.Helper()
	ctx := access.With(context.Background(), access.SystemPrincipal())
	if err := demo.SeedSystems(ctx, e.app.Systems, e.app.Agencies); err != nil {
		t.Fatalf("SeedSystems: %v", err)
	}
	list, _, err := e.app.Systems.ListSystems(ctx, sysinv.SystemFilter{})
	if err != nil || len(list) != 3 {
		t.Fatalf("demo systems = %d, %v", len(list), err)
	}
	ids := map[string]int64{}
	for _, s := range list {
		switch {
		case strings.HasPrefix(s.Name, "Cổng"):
			ids["portal"] = s.ID
		case strings.HasPrefix(s.Name, "Trung tâm"):
			ids["dc"] = s.ID
		default:
			ids["his"] = s.ID
		}
	}
	return ids
}

func TestSysinvAPI(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		ids := seedSystems(t, e)
		p, dc, his := fmt.Sprint(ids["portal"]), fmt.Sprint(ids["dc"]), fmt.Sprint(ids["his"])
		kevDue := time.Now().In(time.FixedZone("ICT", 7*3600)).AddDate(0, 0, 7).Format(time.DateOnly)
		kev, err := os.ReadFile("../sysinv/feed/testdata/kev-sample.json")
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, method, path, as, body string
			wantStatus                   int
			want, notWant                []string
		}{
			{name: "own agency's systems", method: "GET", path: "/api/v1/systems", as: skhcnAnalyst, wantStatus: 200, want: []string{`"total":2`, "Cổng dịch vụ công", `"owner_agency":"SKHCN"`}, notWant: []string{"HIS"}},
			{name: "coordinator sees all", method: "GET", path: "/api/v1/systems", as: coord, wantStatus: 200, want: []string{`"total":3`, "HIS"}},
			{name: "another agency sees none", method: "GET", path: "/api/v1/systems", as: tpbaReporter, wantStatus: 200, want: []string{`"total":0`, `"items":[]`}},
			{name: "level filter", method: "GET", path: "/api/v1/systems?level=2", as: coord, wantStatus: 200, want: []string{`"total":1`, "HIS"}},
			{name: "other agency's system is not found", method: "GET", path: "/api/v1/systems/" + p, as: bvdkReporter, wantStatus: 404, want: []string{`/problems/not-found`}},
			{name: "suggested level with reasons", method: "GET", path: "/api/v1/systems/" + p, as: skhcnAnalyst, wantStatus: 200, want: []string{`"suggested":{"level":3`, `"code":"personal_10000"`, `"approved_level":3`, `"approval_number":"1502/QĐ-UBND"`}},
			{name: "proposal below the suggestion is kept", method: "GET", path: "/api/v1/systems/" + his, as: bvdkReporter, wantStatus: 200, want: []string{`"proposed_level":2`, `"suggested":{"level":3`, `"level_mismatch":true`}},
			{name: "suggest for the 50,000-user portal", method: "POST", path: "/api/v1/systems/suggest-level", as: tpbaReporter, body: `{"system_type":"citizen_services","info_class":"personal","personal_users":50000,"reach":"province"}`, wantStatus: 200, want: []string{`"level":3`}},
			{name: "create", method: "POST", path: "/api/v1/systems", as: skhcnAnalyst, body: `{"name":"Hệ thống thư điện tử công vụ","system_type":"internal","info_class":"private","reach":"province","proposed_level":2}`, wantStatus: 201, want: []string{`"owner_agency":"SKHCN"`, `"dossier_status":"draft"`, `"address_tlp":"AMBER"`}},
			{name: "create: name required", method: "POST", path: "/api/v1/systems", as: skhcnAnalyst, body: `{"system_type":"internal","info_class":"private","reach":"province"}`, wantStatus: 400, want: []string{`"field":"name"`}},
			{name: "create: over-long description", method: "POST", path: "/api/v1/systems", as: skhcnAnalyst, body: `{"name":"x","description":"` + strings.Repeat("a", 10001) + `","system_type":"internal","info_class":"private","reach":"province"}`, wantStatus: 400, want: []string{`"field":"description"`}},
			{name: "create for another agency", method: "POST", path: "/api/v1/systems", as: skhcnAnalyst, body: fmt.Sprintf(`{"name":"x","owner_agency_id":%d,"system_type":"internal","info_class":"private","reach":"agency"}`, e.agencyID(t, "BVDK")), wantStatus: 403, want: []string{`/problems/forbidden`}},
			{name: "reporter cannot edit", method: "PUT", path: "/api/v1/systems/" + his, as: bvdkReporter, body: `{"name":"x","system_type":"internal","info_class":"private","reach":"agency"}`, wantStatus: 403},
			{name: "AMBER+STRICT addresses hidden from the coordinator", method: "GET", path: "/api/v1/systems/" + dc + "/components", as: coord, wantStatus: 200, want: []string{`"addresses_hidden":true`, "apache:activemq"}, notWant: []string{"10.20.0.0/24"}},
			{name: "owner sees its addresses", method: "GET", path: "/api/v1/systems/" + dc + "/components", as: skhcnAnalyst, wantStatus: 200, want: []string{"10.20.0.0/24"}},
			{name: "AMBER addresses shown to the coordinator", method: "GET", path: "/api/v1/systems/" + p + "/components", as: coord, wantStatus: 200, want: []string{"203.0.113.10", "dichvucong.binhan.gov.vn"}},
			{name: "bad IP names the field", method: "POST", path: "/api/v1/systems/" + p + "/components", as: skhcnAnalyst, body: `{"name":"x","ips":["300.1.1.1"]}`, wantStatus: 400, want: []string{`"field":"ips"`}},
			{name: "bad CPE names the field", method: "POST", path: "/api/v1/systems/" + p + "/components", as: skhcnAnalyst, body: `{"name":"x","cpe":"cpe:2.3:a:apache"}`, wantStatus: 400, want: []string{`"field":"cpe"`}},
			{name: "KEV finding with its due date", method: "GET", path: "/api/v1/systems/" + p + "/findings", as: skhcnAnalyst, wantStatus: 200, want: []string{`"cve":"CVE-2021-41773"`, `"known_exploited":true`, `"due_on":"` + kevDue + `"`, `"strength":"cpe"`}},
			{name: "weak match is marked", method: "GET", path: "/api/v1/systems/" + his + "/findings", as: bvdkReporter, wantStatus: 200, want: []string{`"cve":"CVE-2021-23017"`, `"strength":"name"`, `"cve":"CVE-2019-0708"`, `"cve":"CVE-2021-44228"`}},
			{name: "level-3 systems with KEV", method: "GET", path: "/api/v1/findings?kev=true&level=3&open=true", as: coord, wantStatus: 200, want: []string{"CVE-2021-41773", "CVE-2023-46604"}, notWant: []string{"CVE-2019-0708"}},
			{name: "findings scoped to the agency", method: "GET", path: "/api/v1/findings", as: bvdkReporter, wantStatus: 200, want: []string{`"total":3`}, notWant: []string{"41773"}},
			{name: "overdue assessment in the duty list", method: "GET", path: "/api/v1/duties", as: skhcnAnalyst, wantStatus: 200, want: []string{`"duty":"risk_assessment"`, `"state":"overdue"`, `"level":3`, "Cổng dịch vụ công"}},
			{name: "duty list of another agency", method: "GET", path: "/api/v1/duties", as: tpbaReporter, wantStatus: 200, want: []string{`[]`}},
			{name: "record a duty in the future", method: "POST", path: "/api/v1/systems/" + p + "/duties", as: skhcnAnalyst, body: `{"duty":"risk_assessment","done_on":"2099-01-01"}`, wantStatus: 400, want: []string{`"field":"done_on"`}},
			{name: "lookup by IP", method: "GET", path: "/api/v1/systems/lookup?value=203.0.113.10", as: coord, wantStatus: 200, want: []string{`"component":"web-01"`}},
			{name: "lookup by subdomain", method: "GET", path: "/api/v1/systems/lookup?value=www.dichvucong.binhan.gov.vn", as: coord, wantStatus: 200, want: []string{`"matched":"dichvucong.binhan.gov.vn"`}},
			{name: "lookup from another agency", method: "GET", path: "/api/v1/systems/lookup?value=203.0.113.10", as: tpbaReporter, wantStatus: 200, want: []string{`[]`}},
			{name: "lookup junk", method: "GET", path: "/api/v1/systems/lookup?value=%3Cscript%3E", as: coord, wantStatus: 400, want: []string{`"field":"value"`}},
			{name: "dossier", method: "GET", path: "/api/v1/systems/" + dc + "/dossier", as: skhcnAnalyst, wantStatus: 200, want: []string{`"status":"under_appraisal"`, `"appraiser":"security_unit"`, `"approver":"owner"`}},
			{name: "dossier step from another agency", method: "POST", path: "/api/v1/systems/" + dc + "/dossier", as: bvdkReporter, body: `{"action":"appraised"}`, wantStatus: 404},
			{name: "return without reasons", method: "POST", path: "/api/v1/systems/" + dc + "/dossier", as: admin, body: `{"action":"return"}`, wantStatus: 400, want: []string{`"field":"note"`}},
			{name: "accepting risk needs the owner's coordinator", method: "PUT", path: "/api/v1/findings/1", as: skhcnAnalyst, body: `{"status":"accepted","reason":"x"}`, wantStatus: 403},
			{name: "feed import refused to an agency", method: "POST", path: "/api/v1/vulnerability-feeds?name=kev.json", as: skhcnAnalyst, body: string(kev), wantStatus: 403},
			{name: "KEV re-import is incremental", method: "POST", path: "/api/v1/vulnerability-feeds?name=kev.json&kind=kev", as: coord, body: string(kev), wantStatus: 201, want: []string{`"status":"done"`, `"unchanged":3`, `"updated":2`, `"catalog_version":"2026.11.18"`, `"problem_count":1`}},
			{name: "broken feed is reported", method: "POST", path: "/api/v1/vulnerability-feeds?name=broken.json", as: coord, body: `{"vulnerabilities":[{"cveID":"CVE-2024-0001","dateAdded":"2024-01-01"},{"cve`, wantStatus: 201, want: []string{`"status":"failed"`, `"records":1`}},
			{name: "feed URL must be http", method: "POST", path: "/api/v1/vulnerability-feeds", as: coord, body: `{"kind":"kev","url":"file:///etc/passwd"}`, wantStatus: 400, want: []string{`"field":"url"`}},
			{name: "feed runs", method: "GET", path: "/api/v1/vulnerability-feeds", as: coord, wantStatus: 200, want: []string{`"kind":"nvd"`, `"kind":"kev"`, `CVE-BAD-ID`}},
			{name: "one feed run", method: "GET", path: "/api/v1/vulnerability-feeds/1", as: coord, wantStatus: 200, want: []string{`"id":1`, `"status":"done"`, `"kind":"nvd"`}},
			{name: "one feed run refused to an agency", method: "GET", path: "/api/v1/vulnerability-feeds/1", as: skhcnAnalyst, wantStatus: 403},
			{name: "unknown feed run", method: "GET", path: "/api/v1/vulnerability-feeds/999", as: coord, wantStatus: 404},
			{name: "vulnerability", method: "GET", path: "/api/v1/vulnerabilities/CVE-2021-41773", as: tpbaReporter, wantStatus: 200, want: []string{`"cvss":7.5`, `"kev_due":"2021-11-17"`}},
			{name: "overview", method: "GET", path: "/api/v1/systems/overview", as: coord, wantStatus: 200, want: []string{`"agencies":[`, `"by_level":[`}},
			{name: "checklist", method: "GET", path: "/api/v1/systems/" + p + "/checklist", as: skhcnAnalyst, wantStatus: 200, want: []string{`"code":"M1.1"`, `"percent":`}},
			{name: "checklist item by an agency", method: "POST", path: "/api/v1/checklist-items", as: skhcnAnalyst, body: `{"code":"X1","group":"technical","min_level":1,"text_vi":"x"}`, wantStatus: 403},
			{name: "annual figures", method: "GET", path: "/api/v1/system-figures", as: coord, wantStatus: 200, want: []string{`"systems":4`, `"approved":1`, `"kev_open":5`}},
			{name: "openapi documents the routes", method: "GET", path: "/api/v1/openapi.json", wantStatus: 200, want: []string{`/api/v1/systems/{id}/components`, `/api/v1/systems/{id}/findings`, `/api/v1/vulnerability-feeds`, `/api/v1/duties`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := e.apiCall(t, tt.method, tt.path, e.tokens[tt.as], tt.body)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, resp.StatusCode, trunc(body), tt.wantStatus)
				}
				if tt.wantStatus >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
					t.Errorf("error Content-Type = %q", resp.Header.Get("Content-Type"))
				}
				for _, w := range tt.want {
					if !strings.Contains(string(body), w) {
						t.Errorf("body %s lacks %q", trunc(body), w)
					}
				}
				for _, w := range tt.notWant {
					if strings.Contains(string(body), w) {
						t.Errorf("body %s contains %q", trunc(body), w)
					}
				}
			})
		}
		resp, body := e.apiCall(t, "GET", "/api/v1/systems/export?format=xlsx", e.tokens[coord], "")
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") || len(body) < 1000 {
			t.Errorf("XLSX export = %d %s (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		resp, body = e.apiCall(t, "GET", "/api/v1/systems/export", e.tokens[skhcnAnalyst], "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Cổng dịch vụ công") || strings.Contains(string(body), "HIS") {
			t.Errorf("CSV export = %d %s", resp.StatusCode, trunc(body))
		}
	})
}

func TestSysinvPages(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		ids := seedSystems(t, e)
		b := e.browser(t)
		b.login(skhcnAnalyst, e.accounts[skhcnAnalyst].Password)
		portal := fmt.Sprintf("/systems/%d", ids["portal"])
		pages := []struct {
			path, selector string
			min            int
		}{
			{"/systems", "#systems .sys-row", 2},
			{"/systems/new", "form#system-form select[name=system_type]", 1},
			{portal, "#sys-reasons li[data-code=personal_10000]", 1},
			{portal, "#finding-list .finding[data-cve=CVE-2021-41773] .sys-kev", 1},
			{portal, "#component-list .component", 2},
			{portal, "#duty-list .duty-overdue[data-duty=risk_assessment]", 1},
			{portal, "#dossier-status", 1},
			{portal + "/checklist", "#checklist-form .check-item", 20},
			{"/duties", "#due-duties .duty-overdue", 1},
			{"/findings?kev=1", "#findings .finding", 2},
			{"/systems/overview", "#risk-list .risk-row", 2},
			{"/systems/overview", "canvas#risk-chart", 1},
			{"/systems/overview", "script#risk-data", 1},
		}
		for _, p := range pages {
			code, doc := b.get(p.path)
			if code != 200 {
				t.Errorf("GET %s = %d", p.path, code)
				continue
			}
			if n := len(queryAll(doc, p.selector)); n < p.min {
				t.Errorf("GET %s: %q matched %d, want at least %d", p.path, p.selector, n, p.min)
			}
		}
		// Another agency's system: not found.
		if code, _ := b.get(fmt.Sprintf("/systems/%d", ids["his"])); code != http.StatusNotFound {
			t.Errorf("another agency's system page = %d, want 404", code)
		}
		// The feed page is for coordinators.
		if code, _ := b.get("/vulnerability-feeds"); code != http.StatusForbidden {
			t.Errorf("feeds page for an agency analyst = %d, want 403", code)
		}
		// Forms: create a system, see the suggestion, add a component, record a duty.
		_, doc := b.get("/systems/new")
		resp := b.post("/systems", url.Values{"csrf": {csrfOf(doc)}, "name": {"Cổng thông tin điện tử tỉnh"}, "system_type": {"citizen_services"},
			"info_class": {"personal"}, "personal_users": {"50000"}, "reach": {"province"}, "proposed_level": {"3"}, "status": {"operating"}, "address_tlp": {"AMBER"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create system = %d", resp.StatusCode)
		}
		loc := strings.SplitN(resp.Header.Get("Location"), "?", 2)[0]
		_, doc = b.get(loc)
		if got := text(queryAll(doc, "#sys-suggested")[0]); got != "3" {
			t.Errorf("suggested level on the page = %q, want 3", got)
		}
		resp = b.post(loc+"/components", url.Values{"csrf": {csrfOf(doc)}, "name": {"web"}, "kind": {"host"}, "level": {"3"}, "ips": {"198.51.100.7, 198.51.100.8"},
			"software": {"Apache HTTP Server"}, "software_version": {"2.4.50"}, "cpe": {"cpe:2.3:a:apache:http_server:2.4.50:*:*:*:*:*:*:*"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add component = %d", resp.StatusCode)
		}
		_, doc = b.get(loc)
		if n := len(queryAll(doc, "#finding-list .finding[data-cve=CVE-2021-42013]")); n != 1 {
			t.Errorf("the new component's KEV finding is not on the page (%d)", n)
		}
		resp = b.post(loc+"/components", url.Values{"csrf": {csrfOf(doc)}, "name": {"bad"}, "ips": {"999.0.0.1"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "error=") {
			t.Errorf("bad component = %d %s, want back to the page with the error", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp = b.post(loc+"/duties", url.Values{"csrf": {csrfOf(doc)}, "duty": {"monitoring_report"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("record duty = %d", resp.StatusCode)
		}
		// The coordinator sees the province view and the feed page.
		c := e.browser(t)
		c.login(coord, e.accounts[coord].Password)
		for _, p := range []struct{ path, sel string }{{"/vulnerability-feeds", "#feed-runs .feed-run"}, {"/vulnerability-feeds", "#feed-problems li"}, {"/systems/overview?sort=level", "#risk-list .risk-row"}} {
			code, doc := c.get(p.path)
			if code != 200 || len(queryAll(doc, p.sel)) == 0 {
				t.Errorf("coordinator GET %s = %d, %q matched nothing", p.path, code, p.sel)
			}
		}
	})
}
