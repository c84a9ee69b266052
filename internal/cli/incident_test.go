package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"bulwark/internal/access"
	"bulwark/internal/demo"
)

// agencyID looks an agency up by code, as the system.
func (e *testEnv) agencyID(t *testing.T, code string) int64 {
	t.Helper()
	a, err := e.app.Agencies.AgencyByCode(access.With(context.Background(), access.SystemPrincipal()), code)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// call is apiCall that fails on an unexpected status and returns the body.
func (e *testEnv) call(t *testing.T, method, path, as, body string, want int) []byte {
	t.Helper()
	resp, b := e.apiCall(t, method, path, e.tokens[as], body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s as %s = %d %s, want %d", method, path, as, resp.StatusCode, trunc(b), want)
	}
	return b
}

func (e *testEnv) upload(t *testing.T, path, as, name string, content []byte) (*http.Response, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("note", "nhật ký máy chủ web")
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+path, &body)
	req.Header.Set("Authorization", "Bearer "+e.tokens[as])
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("BULWARK_TEST_SHARED") == "required" {
			t.Fatal("pdftotext (poppler-utils) is required but not installed")
		}
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	in := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestIncidentAPIFlow is the check through the API with the demo
// province, on both databases.
func TestIncidentAPIFlow(t *testing.T) {
	t.Setenv("BULWARK_EVIDENCE_MAX_MB", "4")
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		detected := time.Now().Add(-3 * time.Hour).UTC().Format(time.RFC3339)
		var inc struct {
			ID     int64  `json:"id"`
			Ref    string `json:"ref"`
			Status string `json:"status"`
		}
		decodeJSON(t, e.call(t, "POST", "/api/v1/incidents", reporter, `{"title":"Cổng thông tin thành phố bị thay đổi giao diện",
			"category":"information-content-security/unauthorised-information-modification","severity":"high","tlp":"AMBER",
			"description":"<script>alert(1)</script>**Trang chủ** bị thay nội dung","affected_addresses":"tpbinhan.gov.vn","detected_at":"`+detected+`"}`, 201), &inc)
		if !strings.HasPrefix(inc.Ref, "SC-") || inc.Status != "new" {
			t.Fatalf("created %+v", inc)
		}
		base := "/api/v1/incidents/" + strconv.FormatInt(inc.ID, 10)
		got := e.call(t, "GET", base, reporter, "", 200)
		if strings.Contains(string(got), "<script>alert") && strings.Contains(string(got), `"description_html":"\u003cscript`) {
			t.Errorf("description_html carries a script: %s", trunc(got))
		}
		// A telecom sees nothing of it.
		e.call(t, "GET", base, liaison, "", 404)
		e.call(t, "GET", base+"/tasks", liaison, "", 404)
		if b := e.call(t, "GET", "/api/v1/incidents", liaison, "", 200); !strings.Contains(string(b), `"total":0`) {
			t.Errorf("telecom list: %s", trunc(b))
		}
		// The reporter's agency cannot acknowledge receipt; the standing agency does.
		e.call(t, "POST", base+"/status", reporter, `{"status":"acknowledged"}`, 403)
		e.call(t, "POST", base+"/status", coord, `{"status":"acknowledged","note":"Đã tiếp nhận"}`, 200)
		// The department has no task yet: it does not see the AMBER incident.
		e.call(t, "GET", base, skhcn, "", 404)
		var task struct {
			ID int64 `json:"id"`
		}
		decodeJSON(t, e.call(t, "POST", base+"/tasks", coord, fmt.Sprintf(`{"title":"Ngăn chặn: cô lập máy chủ web","agency_id":%d}`, e.agencyID(t, "SKHCN")), 201), &task)
		e.call(t, "GET", base, skhcn, "", 200)
		if b := e.call(t, "GET", "/api/v1/tasks", skhcn, "", 200); !strings.Contains(string(b), inc.Ref) || !strings.Contains(string(b), `"total":1`) {
			t.Errorf("SKHCN tasks: %s", trunc(b))
		}
		e.call(t, "PUT", fmt.Sprintf("/api/v1/tasks/%d", task.ID), liaison, `{"status":"done","result":"x"}`, 404)
		e.call(t, "PUT", fmt.Sprintf("/api/v1/tasks/%d", task.ID), skhcn, `{"status":"done","result":"Đã cô lập máy chủ, gỡ web shell"}`, 200)
		e.call(t, "GET", base+"/tasks", liaison, "", 404)
		// Closing without the closing report is refused, clearly.
		b := e.call(t, "POST", base+"/status", coord, `{"status":"closed"}`, 409)
		if !strings.Contains(string(b), "closing report") || !strings.Contains(string(b), "/problems/conflict") {
			t.Errorf("409 body: %s", b)
		}
		var rep struct {
			ID int64 `json:"id"`
		}
		decodeJSON(t, e.call(t, "POST", base+"/reports", reporter, `{"kind":"closing","reporter_org":"UBND thành phố Bình An","system_name":"Cổng thông tin",
			"measures":"Khôi phục từ bản sao lưu","results":"Hoạt động bình thường","signer":"Trịnh Hải Yến","signer_title":"Phó Chủ tịch","signed_on":"2026-11-20"}`, 201), &rep)
		var closed struct {
			Status   string `json:"status"`
			ClosedAt string `json:"closed_at"`
		}
		decodeJSON(t, e.call(t, "POST", base+"/status", coord, `{"status":"closed","note":"Đã có báo cáo kết thúc"}`, 200), &closed)
		if closed.Status != "closed" || closed.ClosedAt == "" {
			t.Errorf("closed = %+v", closed)
		}
		// The closing report's PDF keeps its Vietnamese title.
		resp, pdf := e.apiCall(t, "GET", fmt.Sprintf("%s/reports/%d/pdf", base, rep.ID), e.tokens[skhcn], "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("pdf: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		if text := pdfToText(t, pdf); !strings.Contains(text, "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ") || !strings.Contains(text, "Trịnh Hải Yến") {
			t.Errorf("pdf text: %s", text)
		}
		// The signed copy of the report, uploaded as a raw body.
		signed := []byte("%PDF-1.7 signed copy")
		req, _ := http.NewRequest("PUT", fmt.Sprintf("%s%s/reports/%d/document?name=%s", e.srv.URL, base, rep.ID, url.QueryEscape("báo cáo đã ký.pdf")), bytes.NewReader(signed))
		req.Header.Set("Authorization", "Bearer "+e.tokens[reporter])
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("attach signed copy: %v %v", resp.StatusCode, err)
		}
		resp, doc := e.apiCall(t, "GET", fmt.Sprintf("%s/reports/%d/document", base, rep.ID), e.tokens[coord], "")
		if resp.StatusCode != 200 || !bytes.Equal(doc, signed) || !strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=UTF-8''b%C3%A1o") {
			t.Errorf("signed copy: %d %q %s", resp.StatusCode, doc, resp.Header.Get("Content-Disposition"))
		}
		// Evidence: 3 MiB, over the 1 MiB default body limit, under the
		// 4 MiB evidence limit; its SHA-256 matches on the way back.
		content := bytes.Repeat([]byte("203.0.113.9 - - [20/Nov/2026] \"POST /up.php\" 200\n"), 3<<20/50)
		resp, fb := e.upload(t, base+"/files", reporter, "access.log", content)
		if resp.StatusCode != 201 {
			t.Fatalf("upload = %d %s", resp.StatusCode, trunc(fb))
		}
		sum := sha256.Sum256(content)
		var file struct {
			ID     int64  `json:"id"`
			SHA256 string `json:"sha256"`
			Size   int64  `json:"size"`
		}
		decodeJSON(t, fb, &file)
		if file.SHA256 != hex.EncodeToString(sum[:]) || file.Size != int64(len(content)) {
			t.Errorf("file = %+v", file)
		}
		resp, down := e.apiCall(t, "GET", fmt.Sprintf("%s/files/%d", base, file.ID), e.tokens[skhcn], "")
		if resp.StatusCode != 200 || !bytes.Equal(down, content) || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="access.log"`) || resp.Header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("download: %d, %d bytes, headers %v", resp.StatusCode, len(down), resp.Header)
		}
		e.call(t, "GET", fmt.Sprintf("%s/files/%d", base, file.ID), liaison, "", 404)
		resp, fb = e.upload(t, base+"/files", reporter, "big.bin", make([]byte, 5<<20))
		if resp.StatusCode != 413 || !strings.Contains(string(fb), "/problems/too-large") {
			t.Errorf("5 MiB upload = %d %s", resp.StatusCode, trunc(fb))
		}
		// The default limit still holds elsewhere.
		big := `{"body":"` + strings.Repeat("a", 2<<20) + `"}`
		e.call(t, "POST", base+"/journal", reporter, big, 413)
		// Merge a duplicate; reopening it is a 409.
		var dup struct {
			ID int64 `json:"id"`
		}
		decodeJSON(t, e.call(t, "POST", "/api/v1/incidents", reporter, `{"title":"Trang chủ bị đổi","category":"information-content-security/unauthorised-information-modification","detected_at":"`+detected+`"}`, 201), &dup)
		dupBase := "/api/v1/incidents/" + strconv.FormatInt(dup.ID, 10)
		e.call(t, "POST", dupBase+"/merge", coord, `{"into_ref":"`+inc.Ref+`","note":"trùng"}`, 200)
		if b := e.call(t, "POST", dupBase+"/status", coord, `{"status":"investigating"}`, 409); !strings.Contains(string(b), inc.Ref) {
			t.Errorf("reopen merged: %s", b)
		}
		// Observables are normalised; bad values name the field.
		if b := e.call(t, "POST", base+"/observables", coord, `{"type":"domain","value":"EVIL.Example.COM","is_indicator":true}`, 201); !strings.Contains(string(b), `"value":"evil.example.com"`) {
			t.Errorf("observable: %s", b)
		}
		if b := e.call(t, "POST", base+"/observables", coord, `{"type":"ipv4","value":"999.1.1.1"}`, 400); !strings.Contains(string(b), `"field":"value"`) {
			t.Errorf("bad observable: %s", b)
		}
		if b := e.call(t, "POST", "/api/v1/incidents", reporter, `{"title":"`+strings.Repeat("x", 301)+`","category":"fraud/phishing","detected_at":"`+detected+`"}`, 400); !strings.Contains(string(b), `"field":"title"`) {
			t.Errorf("long title: %s", b)
		}
		// Every view from outside the owner agency is audited.
		if b := e.call(t, "GET", "/api/v1/audit?action=incident.view&limit=100", admin, "", 200); !strings.Contains(string(b), skhcn) {
			t.Errorf("audit lacks the department's view: %s", trunc(b))
		}
		// Lists, search, exports, figures.
		if b := e.call(t, "GET", "/api/v1/incidents?q=giao+dien&status=closed", coord, "", 200); !strings.Contains(string(b), inc.Ref) {
			t.Errorf("search: %s", trunc(b))
		}
		resp, csv := e.apiCall(t, "GET", "/api/v1/incidents/export?format=csv", e.tokens[coord], "")
		if resp.StatusCode != 200 || !strings.HasPrefix(string(csv), "ref,title,") || !strings.Contains(string(csv), inc.Ref) {
			t.Errorf("csv: %d %s", resp.StatusCode, trunc(csv))
		}
		resp, xlsx := e.apiCall(t, "GET", "/api/v1/incidents/export?format=xlsx", e.tokens[coord], "")
		if resp.StatusCode != 200 || !bytes.HasPrefix(xlsx, []byte("PK")) {
			t.Errorf("xlsx: %d", resp.StatusCode)
		}
		if b := e.call(t, "GET", "/api/v1/incident-figures", coord, "", 200); !strings.Contains(string(b), `"total":1`) {
			t.Errorf("figures: %s", trunc(b))
		}
		e.call(t, "PUT", "/api/v1/incident-rules/ack_critical", coord, `{"minutes":30,"active":true}`, 403)
		e.call(t, "PUT", "/api/v1/incident-rules/ack_critical", admin, `{"minutes":30,"active":true}`, 200)
	})
}

// TestIncidentPages walks the flow through the pages with a cookie
// client, checking the HTML by CSS selector.
func TestIncidentPages(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	rep := e.browser(t)
	rep.login(reporter, e.accounts[reporter].Password)
	_, doc := rep.get("/incidents/new")
	csrf := csrfOf(doc)
	resp := rep.post("/incidents", url.Values{"csrf": {csrf}, "title": {"Cổng thông tin bị thay đổi giao diện"}, "category": {"information-content-security/unauthorised-information-modification"},
		"severity": {"critical"}, "tlp": {"AMBER"}, "pap": {"AMBER"}, "detected_at": {time.Now().Add(-time.Hour).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04")},
		"description": {"<img src=x onerror=alert(1)>**đậm**"}, "playbook": {"defacement"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create = %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	path := strings.Split(loc, "?")[0]
	status, doc := rep.get(path)
	if status != 200 {
		t.Fatalf("GET %s = %d", path, status)
	}
	if n := queryAll(doc, "#inc-ref"); len(n) != 1 || !strings.HasPrefix(text(n[0]), "SC-") {
		t.Fatalf("no reference on the page")
	}
	if n := queryAll(doc, "#inc-status"); len(n) != 1 || attr(n[0], "data-status") != "new" {
		t.Errorf("status badge missing")
	}
	if len(queryAll(doc, "#inc-description img[onerror]")) != 0 || len(queryAll(doc, "#inc-description strong")) != 1 {
		t.Errorf("description not rendered safely")
	}
	if len(queryAll(doc, "#tasks tbody tr")) != 4 || len(queryAll(doc, "#checklist li")) != 5 {
		t.Errorf("playbook tasks/checklist not shown: %d tasks", len(queryAll(doc, "#tasks tbody tr")))
	}
	if len(queryAll(doc, "#to-acknowledged")) != 0 {
		t.Errorf("the reporter is offered to acknowledge")
	}
	// Upload through the page: the token first, then the streamed file.
	upload := func(b *browser, csrfFirst bool) int {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		if csrfFirst {
			mw.WriteField("csrf", csrfOf(doc))
		}
		mw.WriteField("note", "ảnh chụp trang")
		fw, _ := mw.CreateFormFile("file", "trang-chu.png")
		fw.Write(bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 400_000))
		if !csrfFirst {
			mw.WriteField("csrf", csrfOf(doc))
		}
		mw.Close()
		req, _ := http.NewRequest("POST", b.base+path+"/files", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := upload(rep, false); got != http.StatusForbidden {
		t.Errorf("upload with the token last = %d, want 403", got)
	}
	if got := upload(rep, true); got != http.StatusSeeOther {
		t.Fatalf("upload = %d", got)
	}
	_, doc = rep.get(path)
	if n := queryAll(doc, "#files a[download]"); len(n) != 1 || text(n[0]) != "trang-chu.png" {
		t.Errorf("uploaded file not listed")
	}
	// The coordinator acknowledges; closing without a report is refused.
	co := e.browser(t)
	co.login(coord, e.accounts[coord].Password)
	_, cdoc := co.get(path)
	if len(queryAll(cdoc, "#to-acknowledged")) != 1 {
		t.Fatalf("coordinator is not offered to acknowledge")
	}
	if r := co.post(path+"/status", url.Values{"csrf": {csrfOf(cdoc)}, "status": {"acknowledged"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge = %d", r.StatusCode)
	}
	if r := co.post(path+"/status", url.Values{"csrf": {csrfOf(cdoc)}, "status": {"closed"}}); r.StatusCode != http.StatusConflict {
		t.Errorf("close without report = %d, want 409", r.StatusCode)
	}
	// A task for a named person of the department; a person of another
	// agency is refused.
	sys := access.With(context.Background(), access.SystemPrincipal())
	analystUser, err := e.app.Auth.UserByEmail(sys, skhcn)
	if err != nil {
		t.Fatal(err)
	}
	_, cdoc = co.get(path)
	if len(queryAll(cdoc, fmt.Sprintf(`#task-assignee option[value="%d"]`, analystUser.ID))) != 1 {
		t.Errorf("the department's analyst is not offered as assignee")
	}
	task := url.Values{"csrf": {csrfOf(cdoc)}, "title": {"Phân tích web shell"}, "agency_id": {strconv.FormatInt(e.agencyID(t, "SKHCN"), 10)},
		"assignee_user_id": {strconv.FormatInt(analystUser.ID, 10)}}
	if r := co.post(path+"/tasks", task); r.StatusCode != http.StatusSeeOther {
		t.Errorf("assign to a person = %d", r.StatusCode)
	}
	task.Set("agency_id", strconv.FormatInt(e.agencyID(t, "VTL"), 10))
	if r := co.post(path+"/tasks", task); r.StatusCode != http.StatusBadRequest {
		t.Errorf("assign to a person of another agency = %d", r.StatusCode)
	}
	// An observable with its first and last sightings, through the form.
	_, odoc := rep.get(path)
	if r := rep.post(path+"/observables", url.Values{"csrf": {csrfOf(odoc)}, "type": {"domain"}, "value": {"Evil.Example.VN"},
		"first_seen": {"2026-11-20T06:00"}, "last_seen": {"2026-11-20T09:30"}, "is_indicator": {"1"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("add observable = %d", r.StatusCode)
	}
	if r := rep.post(path+"/observables", url.Values{"csrf": {csrfOf(odoc)}, "type": {"domain"}, "value": {"x.vn"},
		"first_seen": {"2026-11-20T09:00"}, "last_seen": {"2026-11-20T06:00"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("last seen before first seen = %d", r.StatusCode)
	}
	_, odoc = rep.get(path)
	if obs := text(queryAll(odoc, "#observables tbody")[0]); !strings.Contains(obs, "evil.example.vn") || !strings.Contains(obs, "20/11/2026 06:00") {
		t.Errorf("observables: %s", obs)
	}
	// The coordinator adds a participating agency; the reporter names a
	// person.
	_, cdoc = co.get(path)
	if r := co.post(path+"/agencies", url.Values{"csrf": {csrfOf(cdoc)}, "lead_agency_id": {strconv.FormatInt(e.agencyID(t, "CAT"), 10)},
		"participants": {strconv.FormatInt(e.agencyID(t, "BCHQS"), 10)}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("save agencies = %d", r.StatusCode)
	}
	_, cdoc = co.get(path)
	if n := queryAll(cdoc, `#agencies input[name=participants]:checked`); len(n) != 1 {
		t.Errorf("%d participants checked, want 1", len(n))
	}
	_, rdoc1 := rep.get(path)
	if r := rep.post(path+"/people", url.Values{"csrf": {csrfOf(rdoc1)}, "email": {skhcn}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("name a person = %d", r.StatusCode)
	}
	if r := rep.post(path+"/people", url.Values{"csrf": {csrfOf(rdoc1)}, "email": {"nobody@example.vn"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("name an unknown person = %d", r.StatusCode)
	}
	// The reporter edits its own comment; the previous text stays.
	_, rdoc0 := rep.get(path)
	rep.post(path+"/comments", url.Values{"csrf": {csrfOf(rdoc0)}, "body": {"Phát hiện web shell"}})
	_, rdoc0 = rep.get(path)
	forms := queryAll(rdoc0, `#journal details.j-edit form`)
	if len(forms) != 1 {
		t.Fatalf("%d edit forms for the reporter's own comments", len(forms))
	}
	if r := rep.post(attr(forms[0], "action"), url.Values{"csrf": {csrfOf(rdoc0)}, "body": {"Phát hiện hai web shell"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("edit comment = %d", r.StatusCode)
	}
	_, rdoc0 = rep.get(path)
	if j := text(queryAll(rdoc0, "#journal .timeline")[0]); !strings.Contains(j, "Phát hiện hai web shell") || !strings.Contains(j, "Phát hiện web shell") {
		t.Errorf("journal after edit: %s", j)
	}
	// The reporter files the closing report through its form.
	_, rdoc := rep.get(path + "/reports/new?kind=closing")
	if n := queryAll(rdoc, "#reporter_org"); len(n) != 1 || attr(n[0], "value") == "" {
		t.Errorf("report form not pre-filled")
	}
	r := rep.post(path+"/reports", url.Values{"csrf": {csrfOf(rdoc)}, "kind": {"closing"}, "results": {"Khôi phục xong"}, "signer": {"Trịnh Hải Yến"}, "signed_on": {"2026-11-20"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("report = %d", r.StatusCode)
	}
	_, pdoc := rep.get(strings.Split(r.Header.Get("Location"), "?")[0])
	if n := queryAll(pdoc, "#report-title"); len(n) != 1 || text(n[0]) != "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ" {
		t.Errorf("printable report title missing")
	}
	if r := co.post(path+"/status", url.Values{"csrf": {csrfOf(cdoc)}, "status": {"closed"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("close = %d", r.StatusCode)
	}
	_, cdoc = co.get(path)
	if n := queryAll(cdoc, "#inc-status"); len(n) != 1 || attr(n[0], "data-status") != "closed" {
		t.Errorf("not closed on the page")
	}
	// Lists, tasks, rules, playbooks, figures and the dashboard render.
	for _, p := range []string{"/incidents", "/incidents?q=giao&overdue=1&status=open", "/tasks", "/incident-rules", "/playbooks", "/incident-figures", "/", path + "/edit"} {
		if st, _ := co.get(p); st != 200 {
			t.Errorf("GET %s = %d", p, st)
		}
	}
	ad := e.browser(t)
	ad.login(admin, e.accounts[admin].Password)
	if st, _ := ad.get("/notifications"); st != 200 {
		t.Errorf("notifications page = %d", st)
	}
	if st, _ := co.get("/notifications"); st != http.StatusForbidden {
		t.Errorf("coordinator notifications page = %d", st)
	}
	// Admins edit playbooks on their page; a malformed task line is shown
	// back with its error.
	_, adoc := ad.get("/playbooks")
	form := url.Values{"csrf": {csrfOf(adoc)}, "name_vi": {"Thay đổi giao diện"}, "category": {"information-content-security/unauthorised-information-modification"},
		"severity": {"high"}, "tasks": {"owner|2|Cô lập máy chủ\nlead|24|Phân tích web shell"}, "checklist": {"Chụp ảnh\nLưu nhật ký"}, "active": {"1"}}
	if r := ad.post("/playbooks/defacement", form); r.StatusCode != http.StatusSeeOther {
		t.Errorf("save playbook = %d", r.StatusCode)
	}
	form.Set("tasks", "everyone two hours")
	if r := ad.post("/playbooks/defacement", form); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad playbook tasks = %d", r.StatusCode)
	}
	if r := co.post("/playbooks/defacement", url.Values{"csrf": {csrfOf(cdoc)}, "name_vi": {"x"}, "category": {"fraud/phishing"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("coordinator saves playbook = %d", r.StatusCode)
	}
	if b := e.call(t, "GET", "/api/v1/playbooks", coord, "", 200); !strings.Contains(string(b), "Phân tích web shell") {
		t.Errorf("edited playbook: %s", trunc(b))
	}
	// The telecom sees nothing.
	tel := e.browser(t)
	tel.login(liaison, e.accounts[liaison].Password)
	if st, _ := tel.get(path); st != http.StatusNotFound {
		t.Errorf("telecom GET incident page = %d", st)
	}
	_, tdoc := tel.get("/incidents")
	if len(queryAll(tdoc, "a.inc-ref")) != 0 {
		t.Errorf("telecom sees incidents in the list")
	}
}

// TestDemoIncidents seeds the demo province with its systems and
// incidents, as bulwark demo does.
func TestDemoIncidents(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	ctx := access.With(context.Background(), access.SystemPrincipal())
	if err := demo.SeedSystems(ctx, e.app.Systems, e.app.Agencies); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedIncidents(ctx, e.app.Incidents, e.app.Agencies, e.app.Auth); err != nil {
		t.Fatal(err)
	}
	// The steps took place at different times: the medians are not zero.
	var fig struct {
		Ack     *float64 `json:"median_acknowledge_hours"`
		Contain *float64 `json:"median_contain_hours"`
		Close   *float64 `json:"median_close_hours"`
	}
	decodeJSON(t, e.call(t, "GET", "/api/v1/incident-figures?from="+time.Now().AddDate(0, 0, -30).Format(time.DateOnly)+"&to="+
		time.Now().AddDate(0, 0, 2).Format(time.DateOnly), coord, "", 200), &fig)
	if fig.Ack == nil || *fig.Ack < 0.3 || fig.Contain == nil || *fig.Contain < 5 || fig.Close == nil || *fig.Close < 24 {
		t.Errorf("demo medians: acknowledge %v contain %v close %v", deref(fig.Ack), deref(fig.Contain), deref(fig.Close))
	}
	// The DDoS on the public-service portal is linked to the portal, whose
	// page lists it and whose risk counts it.
	var systems struct {
		Items []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	decodeJSON(t, e.call(t, "GET", "/api/v1/systems?q=d%E1%BB%8Bch+v%E1%BB%A5+c%C3%B4ng", skhcn, "", 200), &systems)
	if len(systems.Items) != 1 {
		t.Fatalf("portal: %+v", systems.Items)
	}
	portal := systems.Items[0].ID
	b := e.call(t, "GET", fmt.Sprintf("/api/v1/systems/%d/incidents", portal), skhcn, "", 200)
	if !strings.Contains(string(b), `"total":1`) || !strings.Contains(string(b), "Tấn công từ chối dịch vụ") {
		t.Errorf("portal incidents: %s", trunc(b))
	}
	if b := e.call(t, "GET", fmt.Sprintf("/api/v1/systems/%d/risk", portal), skhcn, "", 200); !strings.Contains(string(b), `"recent_incidents":1`) {
		t.Errorf("portal risk: %s", trunc(b))
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/systems/%d/incidents", portal), reporter, "", 404) // another agency's system
	b = e.call(t, "GET", "/api/v1/incidents?limit=50", coord, "", 200)
	for _, want := range []string{`"total":5`, `"status":"closed"`, `"status":"contained"`, `"status":"investigating"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("demo incidents lack %s", want)
		}
	}
	if b := e.call(t, "GET", "/api/v1/tasks", skhcn, "", 200); !strings.Contains(string(b), "web shell") {
		t.Errorf("SKHCN demo task missing: %s", trunc(b))
	}
	// The hospital's AMBER+STRICT ransomware is not the telecom's business.
	if b := e.call(t, "GET", "/api/v1/incidents", liaison, "", 200); strings.Contains(string(b), "mã hóa") {
		t.Errorf("telecom sees the ransomware incident")
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// TestIncidentCreationAgencies files incidents through the API with a lead
// agency and participants, and with inventory systems.
func TestIncidentCreationAgencies(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	if err := demo.SeedSystems(access.With(context.Background(), access.SystemPrincipal()), e.app.Systems, e.app.Agencies); err != nil {
		t.Fatal(err)
	}
	var ids struct {
		Items []struct {
			ID   int64  `json:"id"`
			Code string `json:"code"`
			Kind string `json:"kind"`
		} `json:"items"`
	}
	decodeJSON(t, e.call(t, "GET", "/api/v1/agencies?limit=100", coord, "", 200), &ids)
	agency := map[string]int64{}
	for _, a := range ids.Items {
		agency[a.Code] = a.ID
	}
	var systems struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	decodeJSON(t, e.call(t, "GET", "/api/v1/systems?q=d%E1%BB%8Bch+v%E1%BB%A5+c%C3%B4ng", skhcn, "", 200), &systems)
	if len(systems.Items) != 1 {
		t.Fatalf("portal: %+v", systems.Items)
	}
	portal := systems.Items[0].ID
	det := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	body := func(extra string) string {
		return `{"title":"Dò quét cổng dịch vụ công","category":"information-gathering/scanner","detected_at":"` + det + `"` + extra + `}`
	}
	for _, c := range []struct{ name, extra, field string }{
		{"unknown lead", `,"lead_agency_id":999999`, "lead_agency_id"},
		{"unknown participant", `,"participating_agency_ids":[999999]`, "participating_agency_ids"},
		{"another agency's system", fmt.Sprintf(`,"system_ids":[%d]`, portal), "system_ids"},
	} {
		b := e.call(t, "POST", "/api/v1/incidents", reporter, body(c.extra), 400)
		if !strings.Contains(string(b), c.field) {
			t.Errorf("%s: %s", c.name, trunc(b))
		}
	}
	// Default lead: the standing agency; participants as given.
	var inc struct {
		Lead struct {
			Code string `json:"code"`
		} `json:"lead_agency"`
		Participants []struct {
			Code string `json:"code"`
		} `json:"participating_agencies"`
		Systems []struct {
			Name          string `json:"name"`
			ApprovedLevel int    `json:"approved_level"`
		} `json:"systems"`
		InventoryLevel int `json:"inventory_level"`
	}
	decodeJSON(t, e.call(t, "POST", "/api/v1/incidents", reporter, body(fmt.Sprintf(`,"participating_agency_ids":[%d]`, agency["SKHCN"])), 201), &inc)
	if inc.Lead.Code != "CAT" || len(inc.Participants) != 1 || inc.Participants[0].Code != "SKHCN" {
		t.Errorf("default lead and participants: %+v", inc)
	}
	// The department files on its own portal, led by itself.
	decodeJSON(t, e.call(t, "POST", "/api/v1/incidents", skhcn, body(fmt.Sprintf(`,"lead_agency_id":%d,"system_ids":[%d]`, agency["SKHCN"], portal)), 201), &inc)
	if inc.Lead.Code != "SKHCN" || len(inc.Systems) != 1 || inc.Systems[0].ApprovedLevel != 3 || inc.InventoryLevel != 3 {
		t.Errorf("lead SKHCN with the portal: %+v", inc)
	}
}

// TestEvidenceOnS3 configures the S3-compatible evidence store (an
// in-memory S3 server) and round-trips an evidence file through the API.
func TestEvidenceOnS3(t *testing.T) {
	backend := s3mem.New()
	s3srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(s3srv.Close)
	host := strings.TrimPrefix(s3srv.URL, "http://")
	if err := backend.CreateBucket("evidence"); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"S3_ENDPOINT": host, "S3_BUCKET": "evidence", "S3_REGION": "us-east-1", "S3_INSECURE": "true",
		"S3_ACCESS_KEY": "k", "S3_SECRET_KEY": "s"} {
		t.Setenv("BULWARK_"+k, v)
	}
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	var inc struct {
		ID int64 `json:"id"`
	}
	decodeJSON(t, e.call(t, "POST", "/api/v1/incidents", reporter, `{"title":"Lộ dữ liệu","category":"information-content-security/data-leak","detected_at":"`+
		time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)+`"}`, 201), &inc)
	content := bytes.Repeat([]byte("leaked,row\n"), 200_000)
	resp, b := e.upload(t, fmt.Sprintf("/api/v1/incidents/%d/files", inc.ID), reporter, "dump.csv", content)
	if resp.StatusCode != 201 {
		t.Fatalf("upload = %d %s", resp.StatusCode, trunc(b))
	}
	var f struct {
		ID     int64  `json:"id"`
		SHA256 string `json:"sha256"`
	}
	decodeJSON(t, b, &f)
	sum := sha256.Sum256(content)
	if f.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 = %s", f.SHA256)
	}
	resp, down := e.apiCall(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/files/%d", inc.ID, f.ID), e.tokens[coord], "")
	if resp.StatusCode != 200 || !bytes.Equal(down, content) {
		t.Errorf("download from S3 = %d, %d bytes", resp.StatusCode, len(down))
	}
	if _, err := os.Stat(filepath.Join(e.app.Config.Data, "blobs", "objects", f.SHA256[:2], f.SHA256[2:4], f.SHA256)); err == nil {
		t.Error("the evidence went to the local folder although S3 is configured")
	}
	if obj, err := backend.HeadObject("evidence", "objects/"+f.SHA256[:2]+"/"+f.SHA256); err != nil || obj.Size != int64(len(content)) {
		t.Errorf("S3 object: %v", err)
	}
}

// mailbox is a real SMTP server (emersion/go-smtp) keeping what it gets.
type mailbox struct {
	mu   sync.Mutex
	rcpt []string
	data []string
}

type mailSession struct{ b *mailbox }

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return mailSession{b}, nil }
func (s mailSession) Reset()                                   {}
func (s mailSession) Logout() error                            { return nil }
func (s mailSession) Mail(string, *smtp.MailOptions) error     { return nil }
func (s mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	s.b.rcpt = append(s.b.rcpt, to)
	s.b.mu.Unlock()
	return nil
}
func (s mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.b.mu.Lock()
	s.b.data = append(s.b.data, string(b))
	s.b.mu.Unlock()
	return err
}

// TestIncidentNotifications: filing an incident and assigning a task send
// e-mail through the configured SMTP server and a signed webhook, and the
// deliveries are in the admins' log.
func TestIncidentNotifications(t *testing.T) {
	box := &mailbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	t.Setenv("BULWARK_SMTP_ADDR", ln.Addr().String())
	t.Setenv("BULWARK_SMTP_STARTTLS", "false")
	t.Setenv("BULWARK_SMTP_FROM", "bulwark@binhan.gov.vn")
	var hooks atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Bulwark-Signature"), "sha256=") {
			hooks.Add(1)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	e.call(t, "POST", "/api/v1/webhooks", admin, `{"name":"SIEM","url":"`+hook.URL+`","events":["incident.created","incident.assigned"]}`, 201)
	var inc struct {
		ID int64 `json:"id"`
	}
	decodeJSON(t, e.call(t, "POST", "/api/v1/incidents", reporter, `{"title":"Tấn công DDoS","category":"availability/ddos","severity":"critical","detected_at":"`+
		time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)+`"}`, 201), &inc)
	e.call(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/tasks", inc.ID), coord, fmt.Sprintf(`{"title":"Lọc lưu lượng","agency_id":%d}`, e.agencyID(t, "SKHCN")), 201)
	if _, err := e.app.Dispatcher.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	box.mu.Lock()
	rcpt, data := append([]string(nil), box.rcpt...), strings.Join(box.data, "\n")
	box.mu.Unlock()
	if !slices.Contains(rcpt, coord) || !slices.Contains(rcpt, skhcn) {
		t.Errorf("e-mail went to %v; want the standing agency's coordinator and the department's analyst", rcpt)
	}
	if !strings.Contains(data, "Subject: =?utf-8?q?") {
		t.Errorf("subject not encoded: %.300s", data)
	}
	if hooks.Load() != 2 {
		t.Errorf("webhook called %d times, want 2", hooks.Load())
	}
	if b := e.call(t, "GET", "/api/v1/notifications", admin, "", 200); !strings.Contains(string(b), `"status":"sent"`) || strings.Contains(string(b), `"status":"pending"`) {
		t.Errorf("delivery log: %s", trunc(b))
	}
	e.call(t, "GET", "/api/v1/notifications", coord, "", 403)
}
