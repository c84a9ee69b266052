package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/cascadia"
	"github.com/pquerna/otp/totp"
	"golang.org/x/net/html"

	"bulwark/internal/access"
	"bulwark/internal/auth"
	"bulwark/internal/demo"
	"bulwark/internal/store/storetest"
)

// testEnv is a running app with the demo province seeded.
type testEnv struct {
	app      *App
	srv      *httptest.Server
	accounts map[string]demo.Account // by email
	tokens   map[string]string       // email -> API token
}

var cheapArgon = auth.Argon2{Memory: 64, Time: 1, Threads: 1}

func newTestEnv(t *testing.T, databaseURL string, opts ...func(*Config)) *testEnv {
	t.Helper()
	ctx := context.Background()
	cfg := Config{Data: t.TempDir(), Database: databaseURL, Addr: "127.0.0.1:0", Demo: true, Argon2: cheapArgon}
	for _, o := range opts {
		o(&cfg)
	}
	app, err := NewApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	t.Cleanup(func() { app.Close() })
	accs, err := demo.Seed(ctx, app.Agencies, app.Auth)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	e := &testEnv{app: app, srv: srv, accounts: map[string]demo.Account{}, tokens: map[string]string{}}
	sys := access.With(ctx, access.SystemPrincipal())
	for _, a := range accs {
		e.accounts[a.Email] = a
		u, err := app.Auth.UserByEmail(sys, a.Email)
		if err != nil {
			t.Fatal(err)
		}
		raw, _, err := app.Auth.CreateToken(sys, u.ID, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[a.Email] = raw
	}
	return e
}

// bothDatabases runs fn with an app on SQLite and on PostgreSQL.
func bothDatabases(t *testing.T, fn func(t *testing.T, e *testEnv)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, newTestEnv(t, storetest.NewDatabase(t)))
	})
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t      *testing.T
	c      *http.Client
	base   string
	lastDo *http.Response
}

func (e *testEnv) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: e.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) (int, *html.Node) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := html.Parse(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	b.lastDo = resp
	return resp.StatusCode, doc
}

func (b *browser) post(path string, form url.Values) *http.Response {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// csrf reads the token of the page's forms.
func csrfOf(doc *html.Node) string {
	n := cascadia.Query(doc, cascadia.MustCompile(`input[name=csrf]`))
	if n == nil {
		return ""
	}
	return attr(n, "value")
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

func queryAll(doc *html.Node, sel string) []*html.Node {
	return cascadia.QueryAll(doc, cascadia.MustCompile(sel))
}

func (b *browser) login(email, password string) {
	b.t.Helper()
	_, doc := b.get("/login")
	resp := b.post("/login", url.Values{"csrf": {csrfOf(doc)}, "email": {email}, "password": {password}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		b.t.Fatalf("login %s: status %d location %q", email, resp.StatusCode, resp.Header.Get("Location"))
	}
}

// apiCall sends a JSON API request with an optional token.
func (e *testEnv) apiCall(t *testing.T, method, path, token, body string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

type htmlNode = html.Node

func parseHTML(r io.Reader) (*html.Node, error) { return html.Parse(r) }

func totpCode(secret string) (string, error) {
	return totp.GenerateCode(secret, time.Now())
}
