package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"bulwark/internal/demo"
)

// demoAccountsFile keeps the generated demo passwords in the data folder
// (mode 0600), so a second `bulwark demo` on the same data prints them
// again; the database only holds their hashes.
const demoAccountsFile = "demo-accounts.txt"

func runDemo(ctx context.Context, e cmdEnv, args []string) error {
	var c Config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	serverFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.Demo = true
	c.Require2FA = false
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	lines, err := demoAccounts(ctx, app)
	if err != nil {
		return err
	}
	if err := app.Listen(); err != nil {
		return err
	}
	// Standard output carries only the account lines, so scripts can read
	// them; the explanation goes to standard error.
	fmt.Fprintf(e.stderr, "Bulwark demo at http://%s/ (two-factor login not required in the demo)\nDemo accounts on standard output: ROLE EMAIL PASSWORD AGENCY-CODE\n", app.Addr())
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	return app.Run(ctx)
}

// demoAccounts seeds the demo province when the database has no agency yet
// and returns the account lines to print.
func demoAccounts(ctx context.Context, app *App) ([]string, error) {
	path := filepath.Join(app.Config.Data, demoAccountsFile)
	n, err := app.Agencies.CountAgencies(system(ctx))
	if err != nil {
		return nil, err
	}
	if n > 0 {
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			app.Log.Warn("the database already holds data; demo passwords were not generated here (use bulwark user reset-password)")
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read demo accounts: %w", err)
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n"), nil
	}
	accs, err := demo.Seed(ctx, app.Agencies, app.Auth, demo.Systems(app.Systems, app.Agencies), demo.Incidents(app.Incidents, app.Agencies, app.Auth),
		demo.Fraud(app.Fraud, app.Agencies), demo.Intel(app.Intel, app.Agencies, app.Auth), demo.Directives(app.Directives, app.Agencies, app.Auth), demo.Detect(app.Detect, app.Agencies))
	if err != nil {
		return nil, err
	}
	lines := make([]string, len(accs))
	for i, a := range accs {
		lines[i] = a.Line()
	}
	if err := os.MkdirAll(app.Config.Data, 0o750); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("save demo accounts: %w", err)
	}
	app.Log.Info("demo province seeded", "agencies", 16, "accounts", len(lines))
	return lines, nil
}
