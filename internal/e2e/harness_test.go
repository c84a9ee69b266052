package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"bulwark/internal/access"
	"bulwark/internal/auth"
	"bulwark/internal/cli"
	"bulwark/internal/demo"
)

// Env is the application under test with the demo province seeded.
type Env struct {
	App      *cli.App
	URL      string
	Accounts map[string]demo.Account // by email
}

// Start boots the real app on SQLite in a temporary folder.
func Start(t *testing.T) *Env {
	t.Helper()
	ctx := context.Background()
	cfg := cli.Config{Data: t.TempDir(), Addr: "127.0.0.1:0", Demo: true, Argon2: auth.Argon2{Memory: 64, Time: 1, Threads: 1}}
	app, err := cli.NewApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	accs, err := demo.Seed(access.With(ctx, access.SystemPrincipal()), app.Agencies, app.Auth)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	e := &Env{App: app, URL: srv.URL, Accounts: map[string]demo.Account{}}
	for _, a := range accs {
		e.Accounts[a.Email] = a
	}
	return e
}

// chromium finds the browser: BULWARK_CHROMIUM, else Debian's.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("BULWARK_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("BULWARK_TEST_BROWSER") == "required" {
		t.Fatal("Chromium is required (BULWARK_TEST_BROWSER=required) but not found; apt-get install chromium")
	}
	t.Skip("Chromium not found (apt-get install chromium); set BULWARK_TEST_BROWSER=required to fail instead")
	return ""
}

// Browser starts a fresh headless Chromium and returns its context. The
// window is phone-sized when phone is true. The test fails with a
// screenshot saved (see ShotDir) when a step fails.
func Browser(t *testing.T, phone bool) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	if phone {
		opts = append(opts, chromedp.WindowSize(390, 844))
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// ShotDir is where screenshots go: BULWARK_SCREENSHOTS, or a folder under
// the system temp dir that is kept after the test for inspection.
func ShotDir(t *testing.T) string {
	dir := os.Getenv("BULWARK_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "bulwark-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Shot saves a full-page screenshot named name.png and returns its path.
func Shot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(ShotDir(t), strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Logf("save screenshot: %v", err)
		return ""
	}
	return p
}

// Step runs actions; on failure it saves a screenshot and fails the test.
func Step(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p := Shot(t, ctx, "FAILED-"+name)
		t.Fatalf("step %q: %v (screenshot: %s)", name, err, p)
	}
}

// Login signs in through the login form.
func (e *Env) Login(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	Step(t, ctx, "login "+email,
		chromedp.Navigate(e.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), e.Accounts[email].Password),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("logout")),
	)
}

// Text reads the text of the first element matching a CSS selector.
func Text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		p := Shot(t, ctx, "FAILED-text")
		t.Fatalf("text of %s: %v (screenshot: %s)", css, err, p)
	}
	return s
}

// waitJS polls a JavaScript condition for up to 15 seconds, riding out the
// errors of a page that is being replaced (a form post and its redirect).
func waitJS(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p := Shot(t, ctx, "FAILED-wait")
	t.Fatalf("waited in vain for %s (screenshot: %s)", cond, p)
}
