package cli

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestPages walks the pages as the demo users, checking them by CSS
// selector: what each role sees, and that forms refuse a missing CSRF
// token.
func TestPages(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		anon := e.browser(t)
		if code, _ := anon.get("/"); code != http.StatusSeeOther {
			t.Errorf("anonymous GET / = %d, want a redirect to the login page", code)
		}
		code, doc := anon.get("/login")
		if code != 200 || len(queryAll(doc, "form[action='/login'] input[name=email]")) != 1 || len(queryAll(doc, "#demo-notice")) != 1 {
			t.Fatalf("login page: %d, form or demo notice missing", code)
		}
		// Wrong password: the form again with an error, no session.
		resp := anon.post("/login", url.Values{"csrf": {csrfOf(doc)}, "email": {admin}, "password": {"wrong password here"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong password = %d, want 401", resp.StatusCode)
		}
		// No CSRF token: refused.
		resp = anon.post("/login", url.Values{"email": {admin}, "password": {e.accounts[admin].Password}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("login without CSRF = %d, want 403", resp.StatusCode)
		}

		b := e.browser(t)
		b.login(admin, e.accounts[admin].Password)
		pages := []struct {
			path     string
			selector string // must match at least min nodes
			min      int
		}{
			{"/", "#count-agencies", 1},
			{"/", "canvas#activity-chart", 1},
			{"/agencies", "table.list tbody tr", 15},
			{"/agencies/new", "form[action='/agencies'] input[name=code]", 1},
			{"/subcommittee", "section.card table.list tbody tr", 9},
			{"/bodies", "table.list tbody tr", 2},
			{"/bodies/1", "form[action='/bodies/1/memberships']", 1},
			{"/decisions", "table.list tbody tr", 3},
			{"/users", "table.list tbody tr", 14},
			{"/users/new", "input[name=role]", 6},
			{"/users/1", "form[action='/users/1/roles']", 1},
			{"/tokens", "form[action='/tokens']", 1},
			{"/audit", "table.list tbody tr", 20},
			{"/account", "form[action='/account/password']", 1},
			{"/admin", "#admin-users", 1},
		}
		for _, p := range pages {
			code, doc := b.get(p.path)
			if code != 200 {
				t.Errorf("GET %s = %d", p.path, code)
				continue
			}
			if n := len(queryAll(doc, p.selector)); n < p.min {
				t.Errorf("GET %s: %d nodes match %q, want at least %d", p.path, n, p.selector, p.min)
			}
		}
		_, doc = b.get("/")
		if got := text(queryAll(doc, "#count-agencies")[0]); got != "15" {
			t.Errorf("dashboard agency count = %q, want 15 (active agencies)", got)
		}

		// Create an agency through the form; it shows in the list.
		_, doc = b.get("/agencies/new")
		resp = b.post("/agencies", url.Values{"csrf": {csrfOf(doc)}, "code": {"XA-MOI"}, "name_vi": {"Xã Tân Lập"}, "kind": {"district"}, "parent_code": {"HTP"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create agency = %d", resp.StatusCode)
		}
		_, doc = b.get("/agencies?q=XA-MOI")
		if rows := queryAll(doc, "table.list tbody tr td a"); len(rows) != 1 || text(rows[0]) != "XA-MOI" {
			t.Errorf("new agency not listed")
		}
		// Invalid form: shown again with the field's error and the input kept.
		resp2, doc2 := b.postDoc("/agencies", url.Values{"csrf": {csrfOf(doc)}, "code": {"X"}, "name_vi": {"Tên"}, "kind": {"district"}})
		if resp2 != http.StatusBadRequest || len(queryAll(doc2, ".field-error")) == 0 {
			t.Errorf("invalid agency form = %d, field errors %d", resp2, len(queryAll(doc2, ".field-error")))
		}
		// Switch to English and back; the choice persists.
		_, doc = b.get("/agencies")
		b.post("/lang", url.Values{"csrf": {csrfOf(doc)}, "lang": {"en"}, "next": {"/agencies"}})
		_, doc = b.get("/agencies")
		if h := queryAll(doc, "main h1"); len(h) == 0 || text(h[0]) != "Agencies" {
			t.Errorf("after switching to English the heading is not English")
		}
		if html := queryAll(doc, "html"); attr(html[0], "lang") != "en" {
			t.Errorf("html lang = %q", attr(html[0], "lang"))
		}
		// The choice is saved with the account: a new device logging in
		// gets English without choosing again.
		nd := e.browser(t)
		nd.login(admin, e.accounts[admin].Password)
		if _, d := nd.get("/agencies"); text(queryAll(d, "main h1")[0]) != "Agencies" {
			t.Errorf("a new device did not get the saved language")
		}
		b.post("/lang", url.Values{"csrf": {csrfOf(doc)}, "lang": {"vi"}, "next": {"/agencies"}})
		_, doc = b.get("/agencies")
		if h := queryAll(doc, "main h1"); text(h[0]) != "Cơ quan, đơn vị" {
			t.Errorf("heading after switching back = %q", text(h[0]))
		}

		// A liaison sees agencies but no admin actions and no audit log.
		l := e.browser(t)
		l.login(liaison, e.accounts[liaison].Password)
		_, doc = l.get("/agencies")
		if len(queryAll(doc, "#new-agency")) != 0 {
			t.Error("liaison sees the new-agency button")
		}
		if code, _ := l.get("/audit"); code != http.StatusForbidden {
			t.Errorf("liaison GET /audit = %d, want 403", code)
		}
		if code, _ := l.get("/users/1"); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("liaison GET /users/1 = %d, want 403 or 404", code)
		}
		_, doc = l.get("/agencies/new")
		resp = l.post("/agencies", url.Values{"csrf": {csrfOf(doc)}, "code": {"HACK"}, "name_vi": {"x"}, "kind": {"district"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("liaison creating an agency = %d, want 403", resp.StatusCode)
		}

		// Logout ends the session.
		_, doc = b.get("/")
		b.post("/logout", url.Values{"csrf": {csrfOf(doc)}})
		if code, _ := b.get("/"); code != http.StatusSeeOther {
			t.Errorf("after logout GET / = %d, want redirect", code)
		}

		// Tokens made in the UI are shown once and work on the API.
		_, doc = l.get("/tokens")
		code, doc = l.postDoc("/tokens", url.Values{"csrf": {csrfOf(doc)}, "name": {"firewall"}, "days": {"30"}})
		tok := queryAll(doc, "#new-token")
		if code != 200 || len(tok) != 1 {
			t.Fatalf("token creation page = %d, token shown %d times", code, len(tok))
		}
		apiResp, _ := e.apiCall(t, "GET", "/api/v1/me", text(tok[0]), "")
		if apiResp.StatusCode != 200 {
			t.Errorf("UI-made token on the API = %d", apiResp.StatusCode)
		}
		_, doc = l.get("/tokens")
		if strings.Contains(text(queryAll(doc, "main")[0]), text(tok[0])) {
			t.Error("token shown again on the list")
		}
		_ = strconv.Itoa
	})
}

// TestTOTPEnrolmentRequired checks the 2FA policy: a coordinator without
// TOTP is sent to enrolment, enrols with a code, and must then give a code
// at login.
func TestTOTPEnrolmentRequired(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+t.TempDir()+"/b.db", func(c *Config) { c.Demo, c.Require2FA = false, true })
	b := e.browser(t)
	_, doc := b.get("/login")
	resp := b.post("/login", url.Values{"csrf": {csrfOf(doc)}, "email": {coord}, "password": {e.accounts[coord].Password}, "next": {"/"}})
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/account/totp") {
		t.Fatalf("coordinator without TOTP sent to %q, want enrolment", loc)
	}
	if code, _ := b.get("/agencies"); code != http.StatusSeeOther {
		t.Errorf("other pages before enrolment = %d, want redirect", code)
	}
	code, doc := b.get("/account/totp")
	secret := queryAll(doc, "#totp-secret")
	if code != 200 || len(secret) != 1 || len(queryAll(doc, "img.qr")) != 1 {
		t.Fatalf("enrolment page = %d, secret/QR missing", code)
	}
	c, err := totpCode(text(secret[0]))
	if err != nil {
		t.Fatal(err)
	}
	code, doc = b.postDoc("/account/totp", url.Values{"csrf": {csrfOf(doc)}, "code": {c}})
	if code != 200 || len(queryAll(doc, "#recovery-codes li")) != 10 {
		t.Fatalf("confirm = %d, recovery codes %d", code, len(queryAll(doc, "#recovery-codes li")))
	}
	recovery := text(queryAll(doc, "#recovery-codes li")[0])
	// Log in again: a code is asked; a recovery code works once.
	b2 := e.browser(t)
	_, doc = b2.get("/login")
	resp = b2.post("/login", url.Values{"csrf": {csrfOf(doc)}, "email": {coord}, "password": {e.accounts[coord].Password}, "next": {"/"}})
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login/totp") {
		t.Fatalf("login with TOTP on went to %q", loc)
	}
	if code, _ := b2.get("/"); code != http.StatusSeeOther {
		t.Errorf("pages before the second factor = %d, want redirect", code)
	}
	_, doc = b2.get("/login/totp")
	resp = b2.post("/login/totp", url.Values{"csrf": {csrfOf(doc)}, "code": {recovery}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("recovery code login = %d", resp.StatusCode)
	}
	if code, _ := b2.get("/"); code != 200 {
		t.Errorf("after the second factor GET / = %d", code)
	}
}

func (b *browser) postDoc(path string, form url.Values) (int, *htmlNode) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := parseHTML(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, doc
}
