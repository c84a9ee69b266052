package cli

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCalendarFeedSubscription: on the calendar page a person makes a
// subscription address, which a calendar application (no cookie, no
// header) fetches; the Bearer-token feed keeps working; revoking the
// address on the page stops it; the page's forms need the CSRF token.
func TestCalendarFeedSubscription(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		b := e.browser(t)
		b.login(skhcn, e.accounts[skhcn].Password)
		_, doc := b.get("/calendar")
		if len(queryAll(doc, "form#feed-create")) != 1 || len(queryAll(doc, "form#feed-revoke")) != 0 {
			t.Fatal("the calendar page lacks the feed form, or offers to revoke a feed that does not exist")
		}
		if resp := b.post("/calendar/feed", url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("making a feed without the CSRF token = %d, want 403", resp.StatusCode)
		}
		resp, page, err := b.postPage("/calendar/feed", url.Values{"csrf": {csrfOf(doc)}})
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("make feed = %v, %v", resp.StatusCode, err)
		}
		inputs := queryAll(page, "input#feed-url")
		if len(inputs) != 1 {
			t.Fatal("the new feed address is not shown")
		}
		feedURL := attr(inputs[0], "value")
		u, err := url.Parse(feedURL)
		if err != nil || u.Path != "/api/v1/calendar/feed.ics" || !strings.HasPrefix(u.Query().Get("token"), "bcal_") || u.Host == "" {
			t.Fatalf("feed address %q", feedURL)
		}
		fetch := func(path string, hdr map[string]string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode == 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
				t.Errorf("GET %s: Content-Type %q", path, resp.Header.Get("Content-Type"))
			}
			return resp.StatusCode, string(body)
		}
		code, body := fetch(u.RequestURI(), nil)
		if code != 200 || !strings.Contains(body, "BEGIN:VCALENDAR") {
			t.Fatalf("feed by its address = %d %.200s", code, body)
		}
		code, bearer := fetch("/api/v1/calendar.ics", map[string]string{"Authorization": "Bearer " + e.tokens[skhcn]})
		if code != 200 || strings.Count(bearer, "BEGIN:VEVENT") != strings.Count(body, "BEGIN:VEVENT") {
			t.Errorf("Bearer feed = %d with %d events; address feed %d events", code, strings.Count(bearer, "BEGIN:VEVENT"), strings.Count(body, "BEGIN:VEVENT"))
		}
		if code, _ := fetch("/api/v1/calendar.ics", nil); code != http.StatusUnauthorized {
			t.Errorf("Bearer feed without a token = %d, want 401", code)
		}
		if code, _ := fetch("/api/v1/calendar/feed.ics?token="+url.QueryEscape(e.tokens[skhcn]), nil); code != http.StatusUnauthorized {
			t.Errorf("feed address with an API token = %d, want 401", code)
		}

		_, doc = b.get("/calendar")
		if len(queryAll(doc, "#feed-state")) != 1 || len(queryAll(doc, "input#feed-url")) != 0 {
			t.Error("the calendar page should say a feed exists without showing its secret again")
		}
		resp = b.post("/calendar/feed/revoke", url.Values{"csrf": {csrfOf(doc)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke = %d", resp.StatusCode)
		}
		if code, _ := fetch(u.RequestURI(), nil); code != http.StatusUnauthorized {
			t.Errorf("revoked feed = %d, want 401", code)
		}
	})
}
