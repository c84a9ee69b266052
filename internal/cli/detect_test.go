package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bulwark/internal/api"
	"bulwark/internal/detect"
	"bulwark/internal/incident"
	"bulwark/internal/report"
)

const (
	detectAnalyst  = "phantich.skhcn@demo.bulwark.vn" // SKHCN: runs the sensor
	standAnalyst   = "phantich@demo.bulwark.vn"       // CAT analyst: manages rules, not SKHCN's alerts
	standCoord     = "dieuphoi@demo.bulwark.vn"       // CAT coordinator: sees all
	detectReporter = "baocao.tpba@demo.bulwark.vn"
)

const apiTestRule = `title: Whoami Execution From Web Server
id: 0f6e7f0e-0000-4000-8000-0000000000aa
author: Bulwark tests
level: high
logsource:
  product: windows
  category: process_creation
detection:
  sel:
    Image|endswith: '\whoami.exe'
  condition: sel
`

func sysmonLine(image, cmd string) string {
	return fmt.Sprintf(`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"web01.skhcn.local","Image":%q,"CommandLine":%q,"ParentImage":"C:\\inetpub\\w3wp.exe"}`, image, cmd)
}

// uploadRule posts one rule file as YAML, as the standing agency's analyst.
func (e *testEnv) uploadRule(t *testing.T, name, rule string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/rules?name="+url.QueryEscape(name), strings.NewReader(rule))
	req.Header.Set("Authorization", "Bearer "+e.tokens[standAnalyst])
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("upload rule = %d", resp.StatusCode)
	}
}

// sendEvents posts a body to the events endpoint with a source token.
func (e *testEnv) sendEvents(t *testing.T, token string, body []byte, gz bool) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/events", bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestDetectAPI goes through the real router: a department registers a
// sensor, the standing agency uploads a rule, events arrive gzipped with
// the source token, the alert is visible to its agency and coordinators
// only, is triaged and promoted to a real incident.
func TestDetectAPI(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		// Sources.
		e.call(t, "POST", "/api/v1/sources", detectReporter, `{"name":"x","kind":"web","format":"accesslog"}`, 403)
		var src detect.CreatedSource
		decodeJSON(t, e.call(t, "POST", "/api/v1/sources", detectAnalyst, `{"name":"Máy chủ cổng dịch vụ công","kind":"windows","format":"windows"}`, 201), &src)
		if !strings.HasPrefix(src.Token, "bws_") {
			t.Fatalf("created source = %+v", src)
		}
		b := e.call(t, "POST", "/api/v1/sources", detectAnalyst, `{"name":"","kind":"windows","format":"windows"}`, 400)
		if !strings.Contains(string(b), `"field":"name"`) {
			t.Errorf("empty name problem = %s", b)
		}
		// Rules: only the standing agency's analysts upload.
		e.uploadRule(t, "whoami.yml", apiTestRule)
		e.call(t, "POST", "/api/v1/rules", detectAnalyst, `{"files":[{"name":"a.yml","content":"title: a"}]}`, 403)
		// Events: the source token, not a person's token.
		if resp, b := e.sendEvents(t, "", []byte("{}"), false); resp.StatusCode != 401 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("events without a token = %d %s", resp.StatusCode, b)
		}
		if resp, _ := e.sendEvents(t, e.tokens[detectAnalyst], []byte("{}"), false); resp.StatusCode != 401 {
			t.Errorf("events with a user token = %d, want 401", resp.StatusCode)
		}
		// Over 1 MiB, gzipped: the events route has its own limit.
		var plain bytes.Buffer
		for i := range 4000 {
			plain.WriteString(sysmonLine(`C:\Windows\System32\svchost.exe`, fmt.Sprintf("svchost -k netsvcs -p %d %x", i, sha256.Sum256([]byte(fmt.Sprint(i))))) + "\n")
		}
		plain.WriteString(sysmonLine(`C:\Windows\System32\whoami.exe`, "whoami /all") + "\n")
		plain.WriteString("{broken\n")
		if plain.Len() < 1<<20 {
			t.Fatalf("test body is only %d bytes", plain.Len())
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(plain.Bytes())
		zw.Close()
		resp, b := e.sendEvents(t, src.Token, gz.Bytes(), true)
		var res detect.IngestResult
		decodeJSON(t, b, &res)
		if resp.StatusCode != 200 || res.Accepted != 4001 || res.Rejected != 1 || res.Matched != 1 || res.Alerts != 1 || res.RejectedBy["json_syntax"] != 1 {
			t.Fatalf("events = %d %+v", resp.StatusCode, res)
		}
		// Who sees the alert.
		var page api.Page[detect.Alert]
		decodeJSON(t, e.call(t, "GET", "/api/v1/alerts?severity=high", detectAnalyst, "", 200), &page)
		if page.Total != 1 || page.Items[0].Author != "Bulwark tests" || page.Items[0].Entity != "web01.skhcn.local" {
			t.Fatalf("alerts of the agency = %+v", page)
		}
		alert := page.Items[0]
		decodeJSON(t, e.call(t, "GET", "/api/v1/alerts", standAnalyst, "", 200), &page)
		if page.Total != 0 {
			t.Errorf("another agency's analyst sees %d alerts, want 0", page.Total)
		}
		e.call(t, "GET", fmt.Sprintf("/api/v1/alerts/%d", alert.ID), standAnalyst, "", 404)
		decodeJSON(t, e.call(t, "GET", "/api/v1/alerts", standCoord, "", 200), &page)
		if page.Total != 1 {
			t.Errorf("coordinator sees %d alerts, want 1", page.Total)
		}
		e.call(t, "GET", "/api/v1/alerts?severity=loud", detectAnalyst, "", 400)
		// Triage and promotion to a real incident.
		b = e.call(t, "PUT", fmt.Sprintf("/api/v1/alerts/%d/status", alert.ID), detectAnalyst, `{"status":"dismissed"}`, 400)
		if !strings.Contains(string(b), `"field":"reason"`) {
			t.Errorf("dismiss without reason = %s", b)
		}
		e.call(t, "PUT", fmt.Sprintf("/api/v1/alerts/%d/status", alert.ID), detectAnalyst, `{"status":"acknowledged"}`, 200)
		var inc incident.Incident
		decodeJSON(t, e.call(t, "POST", "/api/v1/alerts/promote", detectAnalyst,
			fmt.Sprintf(`{"alert_ids":[%d],"incident":{"category":"intrusions/application-compromise","severity":"high","tlp":"AMBER","pap":"AMBER","description":"whoami từ tiến trình w3wp"}}`, alert.ID), 200), &inc)
		if inc.ID == 0 || inc.Title != "Whoami Execution From Web Server" {
			t.Fatalf("promoted incident = %+v", inc)
		}
		var got detect.Alert
		decodeJSON(t, e.call(t, "GET", fmt.Sprintf("/api/v1/alerts/%d", alert.ID), detectAnalyst, "", 200), &got)
		if got.Status != "promoted" || got.IncidentID != inc.ID {
			t.Errorf("alert after promotion = %+v", got)
		}
		// Rule test with a pasted event.
		var rt detect.RuleTest
		body, _ := json.Marshal(map[string]string{"rule": apiTestRule, "event": sysmonLine(`C:\Windows\System32\whoami.exe`, "whoami")})
		decodeJSON(t, e.call(t, "POST", "/api/v1/rules/test", detectReporter, string(body), 200), &rt)
		if !rt.Matched || !rt.Fits {
			t.Errorf("rule test = %+v, want matched", rt)
		}
		body, _ = json.Marshal(map[string]string{"rule": "title: x\ndetection:\n  s:\n    a|nosuchmodifier: 1\n  condition: s\n", "event": "{}"})
		if b := e.call(t, "POST", "/api/v1/rules/test", detectReporter, string(body), 400); !strings.Contains(string(b), `"field":"rule"`) {
			t.Errorf("rule test with a bad rule = %s", b)
		}
		// The source page's counters, and /metrics.
		var s detect.Source
		decodeJSON(t, e.call(t, "GET", fmt.Sprintf("/api/v1/sources/%d", src.ID), detectAnalyst, "", 200), &s)
		if s.Accepted != 4001 || s.Rejected != 1 || s.Matched != 1 || s.LastEventAt == nil {
			t.Errorf("source = %+v", s)
		}
		e.call(t, "GET", fmt.Sprintf("/api/v1/sources/%d", src.ID), standAnalyst, "", 404)
		resp, err := http.Get(e.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`bulwark_detect_events_total{outcome="matched",source="` + fmt.Sprint(src.ID) + `"} 1`,
			`bulwark_detect_rejected_total{reason="json_syntax"`, "bulwark_detect_queue_depth", "bulwark_detect_batch_seconds_bucket"} {
			if !strings.Contains(string(m), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		// A shared indicator from threat intelligence: the index is rebuilt
		// from the real service and the next event that carries the address
		// raises an indicator alert.
		e.call(t, "POST", "/api/v1/indicators", standAnalyst, `{"type":"ipv4","value":"203.0.113.77","tlp":"GREEN","confidence":90,"confirm":true}`, 201)
		if _, err := e.app.Detect.RebuildIndex(context.Background()); err != nil {
			t.Fatal(err)
		}
		resp, b = e.sendEvents(t, src.Token, []byte(`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"Computer":"web01","Image":"C:\\x.exe","DestinationIp":"203.0.113.77","DestinationPort":443}`+"\n"), false)
		decodeJSON(t, b, &res)
		if resp.StatusCode != 200 || res.Matched != 1 {
			t.Errorf("event with an indicator = %d %s", resp.StatusCode, b)
		}
		decodeJSON(t, e.call(t, "GET", "/api/v1/alerts?kind=indicator", detectAnalyst, "", 200), &page)
		if page.Total != 1 || page.Items[0].Entity != "203.0.113.77" || page.Items[0].Severity != "critical" {
			t.Errorf("indicator alerts = %+v", page)
		}
		// A source of another agency cannot be changed.
		e.call(t, "POST", fmt.Sprintf("/api/v1/sources/%d/token", src.ID), standAnalyst, "", 404)

		// The annual report counts this year's alerts and shared
		// indicators in their sections (coordinators see every agency).
		var rep report.Report
		decodeJSON(t, e.call(t, "GET", fmt.Sprintf("/api/v1/reports/annual/%d?format=json", time.Now().Year()), coord, "", 200), &rep)
		facts := map[string]map[string]string{}
		for _, sec := range rep.Sections {
			if sec.Key == report.KeyAlerts || sec.Key == report.KeyIntel {
				if !sec.Available {
					t.Errorf("report section %s is marked unavailable", sec.Key)
				}
				facts[sec.Key] = map[string]string{}
				for _, f := range sec.Facts {
					facts[sec.Key][f.Label] = f.Value
				}
			}
		}
		if got := facts[report.KeyAlerts]["Số cảnh báo"]; got != "2" {
			t.Errorf("report alerts = %q, want 2 (one Sigma, one indicator): %v", got, facts[report.KeyAlerts])
		}
		if got := facts[report.KeyIntel]["Lượt chia sẻ dấu hiệu xâm phạm"]; got == "" || got == "0" {
			t.Errorf("report indicator entries = %q, want at least 1: %v", got, facts[report.KeyIntel])
		}
	})
}

// TestDetectPages walks the detection pages by CSS selector: a department
// analyst registers a source and sees its token once, sees the alert its
// events raised with the rule's author credited, dismisses it with a
// reason; the rule upload form is only for the standing agency.
func TestDetectPages(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		e.call(t, "POST", "/api/v1/rules", standAnalyst, mustJSON(t, map[string]any{"files": []map[string]string{{"name": "whoami.yml", "content": apiTestRule}}}), 200)
		b := e.browser(t)
		b.login(detectAnalyst, e.accounts[detectAnalyst].Password)
		_, doc := b.get("/sources")
		resp, page, err := b.postPage("/sources", url.Values{"csrf": {csrfOf(doc)}, "name": {"Tường lửa trụ sở"}, "kind": {"windows"}, "format": {"windows"}})
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("create source = %d, %v", resp.StatusCode, err)
		}
		tok := queryAll(page, "#source-token code")
		if len(tok) != 1 || !strings.HasPrefix(text(tok[0]), "bws_") || len(queryAll(page, "tr.source-row")) != 1 {
			t.Fatalf("token not shown once after creation")
		}
		if r, _ := e.sendEvents(t, text(tok[0]), []byte(sysmonLine(`C:\Windows\System32\whoami.exe`, "whoami /priv")+"\n"), false); r.StatusCode != 200 {
			t.Fatalf("events = %d", r.StatusCode)
		}
		code, doc := b.get("/alerts")
		rows := queryAll(doc, "#alert-rows tr.alert-row")
		if code != 200 || len(rows) != 1 || len(queryAll(doc, "#alert-rows[hx-trigger='every 10s']")) != 1 {
			t.Fatalf("alerts page = %d with %d rows, or no live refresh", code, len(rows))
		}
		id := attr(rows[0], "data-id")
		code, doc = b.get("/alerts/" + id)
		if code != 200 || len(queryAll(doc, "#alert-author")) != 1 || !strings.Contains(text(queryAll(doc, "#alert-author")[0]), "Bulwark tests") {
			t.Errorf("alert page = %d, author not credited", code)
		}
		resp = b.post("/alerts/"+id+"/status", url.Values{"csrf": {csrfOf(doc)}, "status": {"dismissed"}, "reason": {"kiểm thử"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("dismiss = %d", resp.StatusCode)
		}
		if _, doc = b.get("/alerts?status=dismissed"); len(queryAll(doc, "#alert-rows tr.alert-row")) != 1 {
			t.Errorf("dismissed filter shows no row")
		}
		if _, doc = b.get("/rules"); len(queryAll(doc, "#rule-upload")) != 0 || len(queryAll(doc, "#rule-test")) != 1 || len(queryAll(doc, "tr.rule-row")) != 1 {
			t.Errorf("rules page for a department: upload form shown or test form missing")
		}
		_, page, _ = b.postPage("/rules/test", url.Values{"csrf": {csrfOf(doc)}, "rule": {apiTestRule}, "event": {sysmonLine(`C:\Windows\System32\whoami.exe`, "whoami")}, "format": {"auto"}})
		if len(queryAll(page, "#test-result")) != 1 || !strings.Contains(text(queryAll(page, "#test-result")[0]), "khớp") {
			t.Errorf("rule test result missing")
		}
		// Another department sees neither the source nor the alert.
		c := e.browser(t)
		c.login(standAnalyst, e.accounts[standAnalyst].Password)
		if code, _ := c.get("/alerts/" + id); code != 404 {
			t.Errorf("other agency GET /alerts/%s = %d, want 404", id, code)
		}
		if _, doc := c.get("/rules"); len(queryAll(doc, "#rule-upload")) != 1 {
			t.Errorf("standing agency analyst has no upload form")
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// postPage posts a form and parses the page it answers with.
func (b *browser) postPage(path string, form url.Values) (*http.Response, *htmlNode, error) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := parseHTML(resp.Body)
	return resp, doc, err
}
