package cli

import (
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestIntelEditWarningListsAndRelated goes through the pages: an entry is
// edited (TLP, confidence, tags, description, expiry) and shared with one
// more agency, which then sees it; an admin adds a warning list from a
// file, it catches a value, and turning it off lets the value through; the
// detail page lists the incidents that recorded the value for those who
// may see them. SQLite only: the service calls underneath are tested on
// both engines in their packages.
func TestIntelEditWarningListsAndRelated(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	// The district files an AMBER incident that recorded the value.
	var inc struct {
		ID  int64  `json:"id"`
		Ref string `json:"ref"`
	}
	decodeJSON(t, e.call(t, "POST", "/api/v1/incidents", reporter, `{"title":"Máy chủ gọi về máy điều khiển","category":"intrusions/system-compromise","severity":"high","tlp":"AMBER","detected_at":"2026-01-02T03:04:05Z"}`, 201), &inc)
	e.call(t, "POST", "/api/v1/incidents/"+strconv.FormatInt(inc.ID, 10)+"/observables", reporter, `{"type":"domain","value":"C2.Related.Example.VN"}`, 201)
	// The standing agency's analyst reports the indicator.
	var created struct {
		Indicator struct {
			ID      int64 `json:"id"`
			Entries []struct {
				ID int64 `json:"id"`
			} `json:"entries"`
		} `json:"indicator"`
	}
	decodeJSON(t, e.call(t, "POST", "/api/v1/indicators", analyst, `{"type":"domain","value":"c2.related.example.vn","tlp":"AMBER","confidence":40}`, 201), &created)
	ind := created.Indicator
	link := "/intel/" + strconv.FormatInt(ind.ID, 10)
	edit := "/intel/entry/" + strconv.FormatInt(ind.ID, 10) + "/" + strconv.FormatInt(ind.Entries[0].ID, 10)

	b := e.browser(t)
	b.login(analyst, e.accounts[analyst].Password)
	code, doc := b.get(link)
	if code != 200 || len(queryAll(doc, "a#edit-entry-"+strconv.FormatInt(ind.Entries[0].ID, 10))) != 1 {
		t.Fatalf("detail page = %d without an edit link", code)
	}
	// Each viewer sees the related incident exactly when the incident
	// capability lets them open it.
	incPath := "/api/v1/incidents/" + strconv.FormatInt(inc.ID, 10)
	seesRelated := func(bb *browser, who string) {
		t.Helper()
		_, d := bb.get(link)
		shown := strings.Contains(text(queryAll(d, "#intel-incidents")[0]), inc.Ref)
		resp, _ := e.apiCall(t, "GET", incPath, e.tokens[who], "")
		if shown != (resp.StatusCode == 200) {
			t.Errorf("%s: related incident shown %v, incident readable %d", who, shown, resp.StatusCode)
		}
	}
	seesRelated(b, analyst)
	c := e.browser(t)
	c.login(coord, e.accounts[coord].Password)
	if _, doc := c.get(link); !strings.Contains(text(queryAll(doc, "#intel-incidents")[0]), inc.Ref) {
		t.Errorf("the coordinator does not see the related incident %s", inc.Ref)
	}
	seesRelated(c, coord)

	o := e.browser(t)
	o.login(skhcn, e.accounts[skhcn].Password)
	if code, _ := o.get(link); code != http.StatusNotFound {
		t.Fatalf("another agency sees the AMBER indicator before sharing: %d", code)
	}
	code, doc = b.get(edit + "/edit")
	if code != 200 {
		t.Fatalf("edit page = %d", code)
	}
	shareID := ""
	for _, l := range queryAll(doc, "#share-list label") {
		if strings.HasPrefix(strings.TrimSpace(text(l)), e.accounts[skhcn].AgencyCode+" ") {
			shareID = attr(queryAll(l, "input")[0], "value")
		}
	}
	if shareID == "" {
		t.Fatalf("no %s in the share list", e.accounts[skhcn].AgencyCode)
	}
	form := url.Values{"csrf": {csrfOf(doc)}, "tlp": {"AMBER"}, "confidence": {"80"}, "tags": {"c2, apt"}, "description": {"máy điều khiển"},
		"valid_until": {"2030-01-31"}, "share_with": {shareID}}
	if resp := b.post(edit, url.Values{"csrf": form["csrf"], "tlp": {"AMBER"}, "confidence": {"300"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("confidence 300 = %d, want 422", resp.StatusCode)
	}
	if resp := b.post(edit, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save = %d", resp.StatusCode)
	}
	got := string(e.call(t, "GET", "/api/v1/indicators/"+strconv.FormatInt(ind.ID, 10), analyst, "", 200))
	for _, want := range []string{`"confidence":80`, `"c2"`, `"apt"`, `máy điều khiển`, `"valid_until":"2030-01-31T00:00:00Z"`, `"share_with":[` + shareID + `]`} {
		if !strings.Contains(got, want) {
			t.Errorf("after the edit the indicator lacks %s: %s", want, got)
		}
	}
	if code, _ := o.get(link); code != 200 {
		t.Errorf("the agency shared with cannot see the indicator: %d", code)
	}
	seesRelated(o, skhcn)
	if code, _ := o.get(edit + "/edit"); code != http.StatusForbidden {
		t.Errorf("the agency shared with may open the edit form: %d", code)
	}

	// Warning lists.
	if code, doc := b.get("/intel/warninglists"); code != 200 || len(queryAll(doc, "#warninglists tbody tr")) < 3 || len(queryAll(doc, "form#warninglist-form")) != 0 {
		t.Errorf("analyst's warning-list page = %d", code)
	}
	a := e.browser(t)
	a.login(admin, e.accounts[admin].Password)
	_, doc = a.get("/intel/warninglists")
	upload := func(content string) *http.Response {
		var body strings.Builder
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", csrfOf(doc))
		fw, _ := mw.CreateFormFile("file", "list.json")
		fw.Write([]byte(content))
		mw.Close()
		req, _ := http.NewRequest("POST", a.base+"/intel/warninglists", strings.NewReader(body.String()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := a.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := upload(`{"name":"x","type":"hostname","list":[]}`); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an empty list = %d, want 422", resp.StatusCode)
	}
	if resp := upload(`{"name":"Cổng dịch vụ của tỉnh","version":1,"description":"Tên miền của tỉnh","type":"hostname","matching_attributes":["domain"],"list":["binhan-tinh.vn"]}`); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload = %d", resp.StatusCode)
	}
	e.call(t, "POST", "/api/v1/indicators", analyst, `{"type":"domain","value":"dichvucong.binhan-tinh.vn","tlp":"GREEN"}`, 409)
	_, doc = a.get("/intel/warninglists")
	var toggle string
	for _, f := range queryAll(doc, "#warninglists form") {
		toggle = attr(f, "action")
	}
	if toggle == "" {
		t.Fatal("no on/off button for the added list")
	}
	if resp := a.post(toggle, url.Values{"csrf": {csrfOf(doc)}, "enabled": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("turn off = %d", resp.StatusCode)
	}
	_, doc = a.get("/intel/warninglists")
	if !strings.Contains(text(queryAll(doc, "#warninglists")[0]), "Đã tắt") {
		t.Errorf("the list is not shown as off")
	}
	e.call(t, "POST", "/api/v1/indicators", analyst, `{"type":"domain","value":"dichvucong.binhan-tinh.vn","tlp":"GREEN"}`, 201)
	if resp := b.post(toggle, url.Values{"csrf": {csrfOf(doc)}, "enabled": {"1"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an analyst turned a list on: %d", resp.StatusCode)
	}
}
