package cli

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/api"
)

const (
	admin    = "admin@demo.bulwark.vn"
	coord    = "dieuphoi@demo.bulwark.vn"
	analyst  = "phantich@demo.bulwark.vn"
	skhcn    = "phantich.skhcn@demo.bulwark.vn"
	reporter = "baocao.tpba@demo.bulwark.vn"
	liaison  = "lienlac.vtl@demo.bulwark.vn"
)

func TestAPIScenarios(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		big := `{"code":"BIG","name_vi":"` + strings.Repeat("a", 2<<20) + `"}`
		tests := []struct {
			name       string
			method     string
			path       string
			as         string // email whose token is used; "" = none
			body       string
			wantStatus int
			wantType   string // Content-Type prefix
			want       []string
			notWant    []string
		}{
			{name: "unauthenticated", method: "GET", path: "/api/v1/agencies", wantStatus: 401, wantType: "application/problem+json", want: []string{`"type":"/api/v1/problems/unauthorized"`, `"status":401`}},
			{name: "bad token", method: "GET", path: "/api/v1/agencies", as: "nobody", wantStatus: 401, wantType: "application/problem+json"},
			{name: "list agencies", method: "GET", path: "/api/v1/agencies?limit=100", as: liaison, wantStatus: 200, wantType: "application/json", want: []string{`"code":"CAT"`, `"name_vi":"Công an tỉnh Bình An"`, `"total":15`}},
			{name: "search agencies", method: "GET", path: "/api/v1/agencies?q=viettel", as: analyst, wantStatus: 200, want: []string{`"code":"VTL"`, `"total":1`}},
			{name: "bad limit", method: "GET", path: "/api/v1/agencies?limit=100000", as: analyst, wantStatus: 400, want: []string{`"field":"limit"`}},
			{name: "me", method: "GET", path: "/api/v1/me", as: coord, wantStatus: 200, want: []string{`"agency_code":"CAT"`, `"standing_agency":true`}},
			{name: "analyst cannot create agency", method: "POST", path: "/api/v1/agencies", as: analyst, body: `{"code":"NEW1","name_vi":"Mới","kind":"district"}`, wantStatus: 403, want: []string{`/problems/forbidden`}},
			{name: "admin creates agency", method: "POST", path: "/api/v1/agencies", as: admin, body: `{"code":"NEW1","name_vi":"Phường Mới","kind":"district","parent_code":"UBND"}`, wantStatus: 201, want: []string{`"code":"NEW1"`}},
			{name: "duplicate code", method: "POST", path: "/api/v1/agencies", as: admin, body: `{"code":"CAT","name_vi":"x","kind":"district"}`, wantStatus: 409, want: []string{`/problems/conflict`}},
			{name: "unknown field", method: "POST", path: "/api/v1/agencies", as: admin, body: `{"code":"N2","name_vi":"x","kind":"district","colour":"red"}`, wantStatus: 400, want: []string{`"field":"colour"`}},
			{name: "malformed json", method: "POST", path: "/api/v1/agencies", as: admin, body: `{"code":`, wantStatus: 400, want: []string{`/problems/invalid`}},
			{name: "two values", method: "POST", path: "/api/v1/agencies", as: admin, body: `{"code":"N3","name_vi":"x","kind":"district"} {}`, wantStatus: 400},
			{name: "wrong type", method: "POST", path: "/api/v1/agencies", as: admin, body: `{"code":5}`, wantStatus: 400, want: []string{`"field":"code"`}},
			{name: "over-long name names the field", method: "POST", path: "/api/v1/agencies", as: admin, body: `{"code":"LONG","name_vi":"` + strings.Repeat("ư", 300) + `","kind":"district"}`, wantStatus: 400, want: []string{`"field":"name_vi"`}},
			{name: "2 MiB body is 413", method: "POST", path: "/api/v1/agencies", as: admin, body: big, wantStatus: 413, wantType: "application/problem+json", want: []string{`/problems/too-large`}},
			{name: "sql metacharacters stored literally", method: "POST", path: "/api/v1/agencies", as: admin, body: `{"code":"SQLI","name_vi":"x'); DROP TABLE agencies;--","kind":"other"}`, wantStatus: 201, want: []string{`DROP TABLE agencies;--`}},
			{name: "agencies still there", method: "GET", path: "/api/v1/agencies?q=SQLI", as: admin, wantStatus: 200, want: []string{`"total":1`}},
			{name: "not found", method: "GET", path: "/api/v1/agencies/99999", as: admin, wantStatus: 404, want: []string{`/problems/not-found`}},
			{name: "bad id", method: "GET", path: "/api/v1/agencies/abc", as: admin, wantStatus: 400},
			{name: "unknown route", method: "GET", path: "/api/v1/nothing", as: admin, wantStatus: 404, wantType: "application/problem+json"},
			{name: "composition", method: "GET", path: "/api/v1/bodies/1/composition?on=2025-06-01", as: reporter, wantStatus: 200, want: []string{`"role":"head"`, `Nguyễn Văn Thành`}},
			{name: "composition before appointment", method: "GET", path: "/api/v1/bodies/1/composition?on=2024-01-01", as: reporter, wantStatus: 200, want: []string{`[]`}},
			{name: "users: liaison sees only self", method: "GET", path: "/api/v1/users", as: liaison, wantStatus: 200, want: []string{`"total":1`, liaison}, notWant: []string{admin}},
			{name: "users: admin sees all", method: "GET", path: "/api/v1/users?limit=100", as: admin, wantStatus: 200, want: []string{`"total":14`}, notWant: []string{"password", "totp_secret"}},
			{name: "create user weak password", method: "POST", path: "/api/v1/users", as: admin, body: `{"email":"x@demo.bulwark.vn","name":"X","agency_code":"CAT","roles":["viewer"],"password":"123456789"}`, wantStatus: 400, want: []string{`"field":"password"`}},
			{name: "create user", method: "POST", path: "/api/v1/users", as: admin, body: `{"email":"moi@demo.bulwark.vn","name":"Người Mới","agency_code":"HTP","roles":["reporter"],"password":"một-mật-khẩu-dài-2026"}`, wantStatus: 201, want: []string{`"agency_code":"HTP"`}, notWant: []string{"mật-khẩu"}},
			{name: "reporter cannot create user", method: "POST", path: "/api/v1/users", as: reporter, body: `{"email":"y@demo.bulwark.vn","name":"Y","agency_code":"CAT","roles":["admin"],"password":"một-mật-khẩu-dài-2026"}`, wantStatus: 403},
			{name: "audit: viewer refused", method: "GET", path: "/api/v1/audit", as: "xem@demo.bulwark.vn", wantStatus: 403},
			{name: "audit: admin", method: "GET", path: "/api/v1/audit?action=agency.create&limit=5", as: admin, wantStatus: 200, want: []string{`"action":"agency.create"`, `"next":`}},
			{name: "audit verify", method: "GET", path: "/api/v1/audit/verify", as: admin, wantStatus: 200, want: []string{`"OK":true`}},
			{name: "tokens: create shows token once", method: "POST", path: "/api/v1/tokens", as: analyst, body: `{"name":"siem","days":30}`, wantStatus: 201, want: []string{`"token":"bwk_`}},
			{name: "tokens: list hides token", method: "GET", path: "/api/v1/tokens", as: analyst, wantStatus: 200, want: []string{`"name":"siem"`}, notWant: []string{`"token"`}},
			{name: "openapi is public", method: "GET", path: "/api/v1/openapi.json", wantStatus: 200, want: []string{`"openapi":"3.1.0"`, `/api/v1/agencies/{id}`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				token := e.tokens[tt.as]
				if tt.as == "nobody" {
					token = "bwk_not-a-real-token"
				}
				resp, body := e.apiCall(t, tt.method, tt.path, token, tt.body)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, resp.StatusCode, trunc(body), tt.wantStatus)
				}
				if tt.wantType != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) {
					t.Errorf("Content-Type = %q, want %q", resp.Header.Get("Content-Type"), tt.wantType)
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
	})
}

func trunc(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// TestTokenFromCLIListsAgencies is the check: a token made by the
// CLI lists agencies.
func TestTokenFromCLIListsAgencies(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+t.TempDir()+"/b.db")
	tok, err := runCLI(t, "", "token", "create", "--database", e.app.Config.Database, "--data", e.app.Config.Data, "--user", admin, "--expires", "90d")
	if err != nil {
		t.Fatal(err)
	}
	tok = strings.TrimSpace(tok)
	if !strings.HasPrefix(tok, "bwk_") || strings.Contains(tok, "\n") {
		t.Fatalf("token create printed %q, want only the token", tok)
	}
	resp, body := e.apiCall(t, "GET", "/api/v1/agencies", tok, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"code":"CAT"`) {
		t.Errorf("GET /api/v1/agencies with CLI token = %d %s", resp.StatusCode, trunc(body))
	}
}

// TestOpenAPIMatchesRoutes checks that every registered API route is in the
// document and every documented path answers (is registered).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+t.TempDir()+"/b.db")
	resp, body := e.apiCall(t, "GET", "/api/v1/openapi.json", "", "")
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	decodeJSON(t, body, &doc)
	var documented, registered []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	for _, rt := range e.app.API.Table() {
		registered = append(registered, rt.Method+" "+rt.Path)
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if diff := cmp.Diff(registered, documented); diff != "" {
		t.Errorf("routes and document differ (-registered +documented):\n%s", diff)
	}
	// Every documented operation reaches a handler: never the catch-all's
	// "no such API route" answer.
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer("{id}", "1").Replace(path)
		body := ""
		if method == "POST" || method == "PUT" {
			body = "{}"
		}
		_, got := e.apiCall(t, method, path, e.tokens[admin], body)
		if strings.Contains(string(got), "no such API route") {
			t.Errorf("%s is documented but not routed", op)
		}
	}
	if fmt.Sprint(api.ProblemType(0)) == "" {
		t.Error("empty problem type")
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+t.TempDir()+"/b.db")
	for _, tt := range []struct {
		path, want string
	}{
		{"/healthz", "ok"},
		{"/readyz", "ready"},
		{"/metrics", "bulwark_http_requests_total"},
	} {
		resp, body := e.apiCall(t, "GET", tt.path, "", "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s = %d, body lacks %q", tt.path, resp.StatusCode, tt.want)
		}
	}
}
