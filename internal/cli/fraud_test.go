package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/cascadia"

	"bulwark/internal/access"
	"bulwark/internal/demo"
	"bulwark/internal/fraud"
)

const (
	fraudAnalyst = "phantich@demo.bulwark.vn"
	vnptLiaison  = "lienlac.vnpt@demo.bulwark.vn"
	vtlLiaison   = "lienlac.vtl@demo.bulwark.vn"
	mbfLiaison   = "lienlac.mbf@demo.bulwark.vn"
	vcbLiaison   = "lienlac.vcb@demo.bulwark.vn"
)

func (e *testEnv) seedFraud(t *testing.T) {
	t.Helper()
	if err := demo.SeedFraud(access.With(context.Background(), access.SystemPrincipal()), e.app.Fraud, e.app.Agencies); err != nil {
		t.Fatal(err)
	}
}

func (e *testEnv) raw(t *testing.T, method, path, token, contentType string, body io.Reader, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestFraudAPI is the check through the real router: three
// citizens report one number three ways; an analyst confirms it; the
// VinaPhone liaison gets the referral and answers; the look-up says
// confirmed in any format; a confirmed phishing URL is in the RPZ zone (and
// BIND accepts it) and handed over as TLP:CLEAR; other operators' liaisons
// get nothing; bad input gets clear errors.
func TestFraudAPI(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		e.seedFraud(t)
		var codes []string
		for _, v := range []string{"0912 345 678", "+84912345678", "84-912-345-678"} {
			body := `{"channel":"call","scam_type":"impersonation_bank","amount":2000000,"narrative":"<script>alert(1)</script>","identifiers":[{"kind":"phone","value":"` + v + `"}],"consent":true}`
			var rc fraud.Receipt
			decodeJSON(t, e.call(t, "POST", "/api/v1/public/fraud-reports", "", body, 201), &rc)
			codes = append(codes, rc.TrackingCode)
		}
		var subjects struct {
			Items []fraud.Subject
			Total int
		}
		decodeJSON(t, e.call(t, "GET", "/api/v1/fraud/subjects?q=0912345678", fraudAnalyst, "", 200), &subjects)
		if subjects.Total != 1 || subjects.Items[0].ReportCount != 3 || subjects.Items[0].Value != "+84912345678" {
			t.Fatalf("subjects = %+v", subjects)
		}
		sid := subjects.Items[0].ID
		e.call(t, "GET", fmt.Sprintf("/api/v1/fraud/subjects/%d", sid), vnptLiaison, "", 403)
		e.call(t, "POST", fmt.Sprintf("/api/v1/fraud/subjects/%d/decision", sid), "baocao.tpba@demo.bulwark.vn", `{"status":"confirmed","reason":"x"}`, 403)
		e.call(t, "POST", fmt.Sprintf("/api/v1/fraud/subjects/%d/decision", sid), fraudAnalyst, `{"status":"confirmed","reason":"Ba phản ánh độc lập","action":"suspend_both"}`, 200)

		var refs struct {
			Items []fraud.Referral
			Total int
		}
		decodeJSON(t, e.call(t, "GET", "/api/v1/fraud/referrals", vnptLiaison, "", 200), &refs)
		if refs.Total != 1 || refs.Items[0].SubjectValue != "+84912345678" || refs.Items[0].Action != "suspend_both" {
			t.Fatalf("VNPT referrals = %+v", refs)
		}
		rid := refs.Items[0].ID
		for _, who := range []string{mbfLiaison, vtlLiaison, vcbLiaison} {
			b := e.call(t, "GET", "/api/v1/fraud/referrals", who, "", 200)
			if strings.Contains(string(b), "+84912345678") {
				t.Errorf("%s sees the VinaPhone referral: %s", who, trunc(b))
			}
			e.call(t, "GET", fmt.Sprintf("/api/v1/fraud/referrals/%d", rid), who, "", 404)
			e.call(t, "POST", fmt.Sprintf("/api/v1/fraud/referrals/%d/answer", rid), who, `{"outcome":"terminated","on":"2026-11-20"}`, 404)
			e.call(t, "GET", "/api/v1/fraud/reports/1/reporter", who, "", 403)
			e.call(t, "GET", "/api/v1/fraud/subjects", who, "", 403)
		}
		if b := e.call(t, "GET", "/api/v1/fraud/referrals", mbfLiaison, "", 200); !strings.Contains(string(b), `"total":0`) {
			t.Errorf("MobiFone liaison sees referrals: %s", trunc(b))
		}
		e.call(t, "POST", fmt.Sprintf("/api/v1/fraud/referrals/%d/answer", rid), vnptLiaison, `{"outcome":"not_processed","on":"2026-11-20"}`, 400)
		if b := e.call(t, "POST", fmt.Sprintf("/api/v1/fraud/referrals/%d/answer", rid), vnptLiaison, `{"outcome":"twoway_suspended","on":"2026-11-20"}`, 200); !strings.Contains(string(b), `"outcome":"twoway_suspended"`) {
			t.Errorf("answer = %s", trunc(b))
		}
		for _, q := range []string{"0912 345 678", "+84912345678", "84-912-345-678", "0912.345.678"} {
			b := e.call(t, "GET", "/api/v1/public/lookup?q="+url.QueryEscape(q), "", "", 200)
			if !strings.Contains(string(b), `"verdict":"confirmed"`) || !strings.Contains(string(b), `"updated_at"`) || strings.Contains(string(b), "script") {
				t.Errorf("lookup %q = %s", q, b)
			}
		}
		if b := e.call(t, "GET", "/api/v1/public/fraud-reports/"+codes[0], "", "", 200); !strings.Contains(string(b), `"status":"processed"`) || strings.Contains(string(b), "0912") {
			t.Errorf("status = %s", b)
		}

		// Phishing URL -> RPZ and TLP:CLEAR hand-off.
		e.call(t, "POST", "/api/v1/public/fraud-reports", "", `{"channel":"sms","identifiers":[{"kind":"url","value":"https://dichvucong-gov.top/hoan-thue?id=9"}],"consent":true}`, 201)
		decodeJSON(t, e.call(t, "GET", "/api/v1/fraud/subjects?q=dichvucong-gov.top", fraudAnalyst, "", 200), &subjects)
		if subjects.Total != 1 {
			t.Fatalf("domain subject = %+v", subjects)
		}
		e.call(t, "POST", fmt.Sprintf("/api/v1/fraud/subjects/%d/decision", subjects.Items[0].ID), fraudAnalyst, `{"status":"confirmed","reason":"Giả mạo Cổng dịch vụ công"}`, 200)
		resp, rpz := e.raw(t, "GET", "/api/v1/fraud/blocklists/rpz", e.tokens[vtlLiaison], "", nil, nil)
		if resp.StatusCode != 200 || !bytes.Contains(rpz, []byte("\ndichvucong-gov.top CNAME .\n")) || resp.Header.Get("ETag") == "" {
			t.Fatalf("rpz = %d %s", resp.StatusCode, rpz)
		}
		checkZoneFile(t, rpz)
		if resp, _ := e.raw(t, "GET", "/api/v1/fraud/blocklists/rpz", e.tokens[vtlLiaison], "", nil, map[string]string{"If-None-Match": resp.Header.Get("ETag")}); resp.StatusCode != 304 {
			t.Errorf("rpz with its ETag = %d, want 304", resp.StatusCode)
		}
		if resp, _ := e.raw(t, "GET", "/api/v1/fraud/blocklists/rpz", e.tokens[vtlLiaison], "", nil, map[string]string{"If-Modified-Since": resp.Header.Get("Last-Modified")}); resp.StatusCode != 304 {
			t.Errorf("rpz If-Modified-Since = %d, want 304", resp.StatusCode)
		}
		if b := e.call(t, "GET", "/api/v1/fraud/blocklists/phones", vnptLiaison, "", 200); !strings.Contains(string(b), "+84912345678") || !strings.Contains(string(b), "+84968123456") {
			t.Errorf("phones CSV = %s", b)
		}
		if b := e.call(t, "GET", "/api/v1/fraud/blocklists/accounts", vcbLiaison, "", 200); !strings.Contains(string(b), "VCB,0071000123456") {
			t.Errorf("accounts CSV = %s", b)
		}
		e.call(t, "GET", "/api/v1/fraud/blocklists/phones", vcbLiaison, "", 403)
		e.call(t, "GET", "/api/v1/fraud/blocklists/accounts", vtlLiaison, "", 403)
		e.call(t, "GET", "/api/v1/fraud/blocklists/rpz", "", "", 401)
		e.call(t, "GET", "/api/v1/fraud/blocklists/bogus", fraudAnalyst, "", 404)
		if b := e.call(t, "GET", "/api/v1/fraud/handoffs", fraudAnalyst, "", 200); !strings.Contains(string(b), `"value":"dichvucong-gov.top","tlp":"CLEAR"`) || !strings.Contains(string(b), `https://dichvucong-gov.top/hoan-thue?id=9`) {
			t.Errorf("hand-offs = %s", b)
		}

		// Reporter contacts: police analysts only.
		e.call(t, "GET", "/api/v1/fraud/reports/1/reporter", fraudAnalyst, "", 200)
		e.call(t, "GET", "/api/v1/fraud/reports/1/reporter", "dieuphoi@demo.bulwark.vn", "", 403)
		// The demo reporter is "Phạm Thị Lan", 0977 111 222 (in any written
		// form); a bare "0977" could also be a timestamp's fraction.
		if b := string(e.call(t, "GET", "/api/v1/fraud/reports?limit=10", fraudAnalyst, "", 200)); strings.Contains(b, "977111222") ||
			strings.Contains(b, "0977 111 222") || strings.Contains(b, "Phạm Thị Lan") {
			t.Errorf("report list leaks the reporter's contact: %s", trunc([]byte(b)))
		}
		if b := e.call(t, "GET", "/api/v1/audit?action=fraud.reporter.view", "admin@demo.bulwark.vn", "", 200); !strings.Contains(string(b), `"action":"fraud.reporter.view"`) {
			t.Errorf("reporter view not audited: %s", trunc(b))
		}

		// Evidence: checked by content, size-limited, streamed.
		var open fraud.Receipt
		decodeJSON(t, e.call(t, "POST", "/api/v1/public/fraud-reports", "", `{"channel":"zalo","identifiers":[{"kind":"social","value":"zalo.me/0933444555"}],"consent":true}`, 201), &open)
		codes[1] = open.TrackingCode
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 1000)...)
		if resp, b := e.raw(t, "POST", "/api/v1/public/fraud-reports/"+codes[1]+"/evidence?filename=a.png", "", "image/png", bytes.NewReader(png), nil); resp.StatusCode != 201 {
			t.Errorf("evidence png = %d %s", resp.StatusCode, b)
		}
		if resp, b := e.raw(t, "POST", "/api/v1/public/fraud-reports/"+codes[1]+"/evidence?filename=a.png", "", "image/png", strings.NewReader("MZ\x90\x00 program"), nil); resp.StatusCode != 400 || !strings.Contains(string(b), `"field":"evidence"`) {
			t.Errorf("evidence exe = %d %s", resp.StatusCode, b)
		}
		huge := io.MultiReader(bytes.NewReader(png), io.LimitReader(zeros{}, 64<<20))
		if resp, b := e.raw(t, "POST", "/api/v1/public/fraud-reports/"+codes[1]+"/evidence", "", "image/png", huge, nil); resp.StatusCode != 413 {
			t.Errorf("64 MiB evidence = %d %s, want 413", resp.StatusCode, trunc(b))
		}

		if resp, b := e.raw(t, "POST", "/api/v1/fraud/reports/1/evidence?filename=rec.mp3", e.tokens[fraudAnalyst], "audio/mpeg", strings.NewReader("ID3\x03\x00\x00\x00\x00\x00\x00 recording"), nil); resp.StatusCode != 201 || !strings.Contains(string(b), `"content_type":"audio/mpeg"`) {
			t.Errorf("staff evidence = %d %s", resp.StatusCode, b)
		}
		if resp, _ := e.raw(t, "POST", "/api/v1/fraud/reports/1/evidence", e.tokens[vtlLiaison], "audio/mpeg", strings.NewReader("ID3\x03"), nil); resp.StatusCode != 403 {
			t.Errorf("liaison evidence = %d, want 403", resp.StatusCode)
		}
		if resp, b := e.raw(t, "GET", "/api/v1/fraud/evidence/1", e.tokens[fraudAnalyst], "", nil, nil); resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" || len(b) == 0 {
			t.Errorf("evidence download = %d", resp.StatusCode)
		}

		// Bad input.
		many := make([]string, 10000)
		for i := range many {
			many[i] = fmt.Sprintf(`{"kind":"phone","value":"09123%05d"}`, i)
		}
		for _, c := range []struct{ body, field string }{
			{`{"channel":"call","identifiers":[{"kind":"phone","value":"abc"}],"consent":true}`, "identifiers[0].value"},
			{`{"channel":"call","identifiers":[{"kind":"phone","value":"+84 000"}],"consent":true}`, "identifiers[0].value"},
			{`{"channel":"web","identifiers":[{"kind":"url","value":"https://u:p@x.example/"}],"consent":true}`, "channel"},
			{`{"channel":"website","identifiers":[{"kind":"url","value":"https://u:p@x.example/"}],"consent":true}`, "identifiers[0].value"},
			{`{"channel":"website","identifiers":[{"kind":"url","value":"javascript:alert(1)"}],"consent":true}`, "identifiers[0].value"},
			{`{"channel":"call","identifiers":[` + strings.Join(many, ",") + `],"consent":true}`, "identifiers"},
			{`{"channel":"call","identifiers":[{"kind":"phone","value":"0912345678"}]}`, "consent"},
		} {
			if b := e.call(t, "POST", "/api/v1/public/fraud-reports", "", c.body, 400); !strings.Contains(string(b), `"field":"`+c.field+`"`) {
				t.Errorf("bad report %.60s = %s, want field %s", c.body, b, c.field)
			}
		}
		// A flood from one address: the burst is spent (5 reports above),
		// then 429 with Retry-After.
		var limited bool
		for range 6 {
			resp, _ := e.apiCall(t, "POST", "/api/v1/public/fraud-reports", "", `{"channel":"call","identifiers":[{"kind":"phone","value":"0987654321"}],"consent":true}`)
			if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "" {
				limited = true
			}
		}
		if !limited {
			t.Error("a flood of reports from one address was never limited")
		}
		if b := e.call(t, "GET", "/api/v1/openapi.json", "", "", 200); !strings.Contains(string(b), "/api/v1/public/lookup") || !strings.Contains(string(b), "/api/v1/fraud/blocklists/{kind}") {
			t.Error("OpenAPI lacks the fraud routes")
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func checkZoneFile(t *testing.T, zone []byte) {
	t.Helper()
	bin, err := exec.LookPath("named-checkzone")
	if err != nil {
		t.Log("named-checkzone not installed; RPZ not checked by BIND")
		return
	}
	f := filepath.Join(t.TempDir(), "rpz.zone")
	if err := os.WriteFile(f, zone, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, strings.TrimSuffix(fraud.RPZOrigin, "."), f).CombinedOutput(); err != nil {
		t.Errorf("named-checkzone: %v\n%s", err, out)
	}
}

// TestFraudPages: the public form works without login (consent not
// pre-ticked, honeypot present), gives a tracking code whose status page
// shows that report only; the look-up page answers; staff pages by role.
func TestFraudPages(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		e.seedFraud(t)
		b := e.browser(t)
		status, doc := b.get("/report-fraud")
		if status != 200 {
			t.Fatalf("GET /report-fraud = %d", status)
		}
		consent := cascadia.Query(doc, cascadia.MustCompile(`form#fraud-form input#consent[type=checkbox]`))
		if consent == nil || hasAttr(consent, "checked") {
			t.Fatal("consent box missing or pre-ticked")
		}
		if cascadia.Query(doc, cascadia.MustCompile(`form#fraud-form .fraud-hp input#website`)) == nil || cascadia.Query(doc, cascadia.MustCompile(`#consent-text`)) == nil {
			t.Error("honeypot or consent text missing")
		}
		form := url.Values{"csrf": {csrfOf(doc)}, "channel": {"call"}, "scam_type": {"impersonation_police"}, "id_kind_0": {"phone"}, "id_value_0": {"0912 345 678"},
			"narrative": {"<script>alert(1)</script>"}, "reporter_name": {"Lê Văn Tâm"}, "reporter_phone": {"0977 000 111"}}
		status, doc = b.postDoc("/report-fraud", form)
		if status != 422 || cascadia.Query(doc, cascadia.MustCompile(`.field-error`)) == nil {
			t.Fatalf("report without consent = %d, want 422 with a field error", status)
		}
		form.Set("consent", "yes")
		status, doc = b.postDoc("/report-fraud", form)
		code := textOf(cascadia.Query(doc, cascadia.MustCompile(`#tracking-code`)))
		if status != 200 || !strings.HasPrefix(code, "LD-") {
			t.Fatalf("report = %d, code %q", status, code)
		}
		_, doc = b.get("/report-fraud/status?code=" + url.QueryEscape(code))
		if n := cascadia.Query(doc, cascadia.MustCompile(`#report-status`)); n == nil || strings.Contains(textOf(n), "0912") {
			t.Error("status page missing or shows identifiers")
		}
		_, doc = b.get("/lookup?q=" + url.QueryEscape("+84 968 123 456"))
		if n := cascadia.Query(doc, cascadia.MustCompile(`#verdict[data-verdict=confirmed]`)); n == nil {
			t.Error("look-up of the demo's confirmed number is not confirmed")
		}
		_, doc = b.get("/lookup?q=0912345678")
		if n := cascadia.Query(doc, cascadia.MustCompile(`#verdict[data-verdict=reported]`)); n == nil {
			t.Error("look-up of a reported number is not 'reported'")
		}
		// Honeypot: a receipt, nothing stored.
		_, doc = b.get("/report-fraud")
		bot := url.Values{"csrf": {csrfOf(doc)}, "channel": {"call"}, "id_kind_0": {"phone"}, "id_value_0": {"0911 222 333"}, "consent": {"yes"}, "website": {"x"}}
		if status, _ := b.postDoc("/report-fraud", bot); status != 200 {
			t.Errorf("bot report = %d", status)
		}
		_, doc = b.get("/lookup?q=0911222333")
		if cascadia.Query(doc, cascadia.MustCompile(`#verdict[data-verdict=no_reports]`)) == nil {
			t.Error("the bot's report was stored")
		}

		staff := e.browser(t)
		staff.login(fraudAnalyst, e.accounts[fraudAnalyst].Password)
		_, doc = staff.get("/fraud")
		if rows := cascadia.QueryAll(doc, cascadia.MustCompile(`table#queue tbody tr a.mono`)); len(rows) == 0 {
			t.Error("queue is empty")
		}
		if n := cascadia.Query(doc, cascadia.MustCompile(`script`)); n != nil && strings.Contains(textOf(n), "alert(1)") {
			t.Error("the narrative's script reached the page as a script")
		}
		_, doc = staff.get("/")
		if cascadia.Query(doc, cascadia.MustCompile(`#fraud-dash canvas#fraud-dash-chart[data-chart=bar]`)) == nil || cascadia.Query(doc, cascadia.MustCompile(`script#fraud-dash-data`)) == nil {
			t.Error("dashboard lacks the fraud chart")
		}
		for _, path := range []string{"/fraud/reports", "/fraud/reports/1", "/fraud/subjects/1", "/fraud/figures", "/fraud/import", "/fraud/reports/new"} {
			if status, _ := staff.get(path); status != 200 {
				t.Errorf("analyst GET %s = %d", path, status)
			}
		}
		// CSV import through the page: the token first, then the file, streamed.
		_, doc = staff.get("/fraud/import")
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("csrf", csrfOf(doc))
		fw, _ := mw.CreateFormFile("file", "reported.csv")
		fw.Write([]byte("kind,value,channel\nphone,0933 222 111,call\nphone,+84 000,call\n"))
		mw.Close()
		resp, err := staff.c.Post(e.srv.URL+"/fraud/import", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ = parseHTML(resp.Body)
		resp.Body.Close()
		if rows := cascadia.QueryAll(doc, cascadia.MustCompile(`#import-result tbody tr`)); resp.StatusCode != 200 || len(rows) != 2 ||
			cascadia.Query(doc, cascadia.MustCompile(`#import-result tr.bad .field-error`)) == nil {
			t.Errorf("import page = %d with %d rows", resp.StatusCode, len(rows))
		}
		if status, _ := staff.get("/fraud/privacy"); status != 403 {
			t.Errorf("analyst GET /fraud/privacy = %d, want 403", status)
		}
		admin := e.browser(t)
		admin.login("admin@demo.bulwark.vn", e.accounts["admin@demo.bulwark.vn"].Password)
		for _, path := range []string{"/fraud/privacy", "/fraud/settings"} {
			if status, _ := admin.get(path); status != 200 {
				t.Errorf("admin GET %s = %d", path, status)
			}
		}
		_, doc = admin.get("/fraud/privacy")
		status, doc = admin.postDoc("/fraud/privacy", url.Values{"csrf": {csrfOf(doc)}, "reporter": {"0977 000 111"}, "action": {"export"}})
		if n := cascadia.Query(doc, cascadia.MustCompile(`#export-result`)); status != 200 || n == nil || !strings.Contains(textOf(n), "Lê Văn Tâm") {
			t.Errorf("admin export = %d", status)
		}
		liaison := e.browser(t)
		liaison.login(vtlLiaison, e.accounts[vtlLiaison].Password)
		resp, _ = liaison.c.Get(e.srv.URL + "/fraud")
		resp.Body.Close()
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/fraud/referrals" {
			t.Errorf("liaison /fraud = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, doc = liaison.get("/fraud/referrals")
		if n := cascadia.QueryAll(doc, cascadia.MustCompile(`table#referrals form.answer-form`)); len(n) != 1 {
			t.Errorf("Viettel liaison sees %d answer forms, want 1", len(n))
		}
		if status, _ := liaison.get("/fraud/subjects/1"); status != 403 {
			t.Errorf("liaison subject page = %d, want 403", status)
		}
		if status, _ := liaison.get("/fraud/figures"); status != 200 {
			t.Errorf("figures = %d", status)
		}
	})
}

func hasAttr(n *htmlNode, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

func textOf(n *htmlNode) string {
	if n == nil {
		return ""
	}
	var sb strings.Builder
	var walk func(*htmlNode)
	walk = func(n *htmlNode) {
		if n.Type == 1 { // TextNode
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(sb.String())
}

// TestFraudCommand imports a CSV from the command line, then prints the
// phones blocklist.
func TestFraudCommand(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "reported.csv")
	if err := os.WriteFile(csv, []byte("kind,value,channel\nphone,0912 345 678,call\nphone,abc,call\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"fraud", "--data", dir, "import", csv}, nil, &out, &errb); code != 0 {
		t.Fatalf("fraud import = %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "1 imported, 1 refused") || !strings.Contains(errb.String(), "line 3: value:") {
		t.Errorf("import output %q, stderr %q", out.String(), errb.String())
	}
	out.Reset()
	if code := Run(context.Background(), []string{"fraud", "--data", dir, "blocklist", "phones"}, nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "phone_e164,reports,confirmed_at") {
		t.Errorf("fraud blocklist = %d %q %s", code, out.String(), errb.String())
	}
	if code := Run(context.Background(), []string{"fraud", "--data", dir, "bogus"}, nil, &out, &errb); code != 2 {
		t.Errorf("fraud bogus = %d, want 2", code)
	}
}
