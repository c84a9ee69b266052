// Package cli holds Bulwark's subcommands, their configuration, and the App
// that wires the program together. Commands return errors; only main exits.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/auth"
	"bulwark/internal/errs"
)

// Version is the program version, set at build time with
// -ldflags "-X bulwark/internal/cli.Version=...".
var Version = "dev"

// env gives commands their streams.
type cmdEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e cmdEnv, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the web UI, the API and the background jobs", runServe},
		{"demo", "seed the demo province (if the database is empty), print its accounts and serve", runDemo},
		{"migrate", "apply database migrations: migrate up | migrate status", runMigrate},
		{"user", "manage users: user add | list | disable | enable | reset-password", runUser},
		{"token", "manage API tokens: token create | list | revoke", runToken},
		{"audit", "audit log: audit verify", runAudit},
		{"hunt", "evaluate Sigma rules and indicators over event files, offline (exit 1 when something matched)", runHunt},
		{"ingest", "run detection workers on the NATS JetStream event stream (BULWARK_NATS_URL)", runIngest},
		{"bench", "measure detection: events/s per core, latency to stored alert, memory per indicator, against sigma-go and a JSON parse floor", runBench},
		{"import", "import indicators: import --format stix|misp|misp-feed|csv|plain FILE_OR_URL", runImport},
		{"export", "export indicators: export --format stix|misp|csv|plain|rpz|firewall [--out FILE]", runExport},
		{"fraud", "online fraud: fraud import FILE.csv | fraud anonymise | fraud blocklist rpz|domains|phones|accounts", runFraud},
		{"vulns", "vulnerability catalogue: vulns import [--kind nvd|kev] FILE_OR_URL (NVD CVE JSON 2.0 or CISA KEV)", runVulns},
		{"version", "print the version", func(_ context.Context, e cmdEnv, _ []string) error {
			fmt.Fprintln(e.stdout, "bulwark", Version)
			return nil
		}},
	}
}

// Run runs the command named by args[0] and returns the exit status: 0 on
// success, 1 with a one-line reason on stderr on failure, 2 for usage errors.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintf(stderr, "bulwark %s: %v\n", c.name, err)
				return 2
			}
			if coded, ok := errors.AsType[interface {
				error
				ExitCode() int
			}](err); ok {
				fmt.Fprintf(stderr, "bulwark %s: %s\n", c.name, oneLine(err))
				return coded.ExitCode()
			}
			fmt.Fprintf(stderr, "bulwark %s: %s\n", c.name, oneLine(err))
			return 1
		}
	}
	fmt.Fprintf(stderr, "bulwark: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// oneLine gives the user-safe message for classified errors and the error
// text otherwise, on one line.
func oneLine(err error) string {
	msg := err.Error()
	if k := errs.KindOf(err); k != errs.Internal {
		msg = errs.Message(err)
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: bulwark <command> [flags]")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun 'bulwark <command> -h' for the flags of a command.")
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// openApp parses storage flags and opens the app (database migrated).
func openApp(ctx context.Context, e cmdEnv, c Config) (*App, error) {
	return NewApp(ctx, c, newLogger(e.stderr, c.LogLevel))
}

// system is the context of CLI commands: they act as the system.
func system(ctx context.Context) context.Context {
	return access.With(ctx, access.SystemPrincipal())
}

func runServe(ctx context.Context, e cmdEnv, args []string) error {
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	serverFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}

func runMigrate(ctx context.Context, e cmdEnv, args []string) error {
	var c Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		return usageErr("migrate up | migrate status")
	}
	// The subcommand comes first; the flags follow it.
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	app, err := openApp(ctx, e, c) // opening migrates
	if err != nil {
		return err
	}
	defer app.Close()
	st, err := app.DB.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, m := range st {
		state := "pending"
		if m.Applied {
			state = "applied " + m.AppliedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\n", m.Version, m.Name, state)
	}
	return tw.Flush()
}

// readSecret reads one line (a password) from standard input.
func readSecret(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errs.E(errs.Invalid, "no password on standard input")
	}
	return line, nil
}

func runUser(ctx context.Context, e cmdEnv, args []string) error {
	if len(args) == 0 {
		return usageErr("user add | list | disable | enable | reset-password")
	}
	sub, args := args[0], args[1:]
	var c Config
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	email := fs.String("email", "", "the user's email")
	name := fs.String("name", "", "full name (add)")
	agencyCode := fs.String("agency", "", "agency code (add)")
	roles := fs.String("role", "", "role or comma-separated roles (add): admin, coordinator, analyst, reporter, viewer, liaison")
	title := fs.String("title", "", "position (add)")
	switch sub {
	case "add", "list", "disable", "enable", "reset-password":
	default:
		return usageErr("unknown subcommand %q: user add | list | disable | enable | reset-password", sub)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sub != "list" && *email == "" {
		return usageErr("--email is required")
	}
	var password string
	if sub == "add" || sub == "reset-password" {
		var err error
		if password, err = readSecret(e.stdin); err != nil {
			return err
		}
	}
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	sctx := system(ctx)
	switch sub {
	case "add":
		var rs []access.Role
		for _, r := range strings.Split(*roles, ",") {
			if r = strings.TrimSpace(r); r != "" {
				rs = append(rs, access.Role(r))
			}
		}
		u, err := app.Auth.CreateUser(sctx, auth.NewUser{Email: *email, Name: *name, Title: *title, AgencyCode: *agencyCode, Roles: rs, Password: password})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created user %d %s\n", u.ID, u.Email)
	case "list":
		users, _, err := app.Auth.ListUsers(sctx, auth.UserFilter{Limit: 100000})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tAGENCY\tROLES\tSTATUS")
		for _, u := range users {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			rs := make([]string, len(u.Roles))
			for i, r := range u.Roles {
				rs[i] = string(r)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.AgencyCode, strings.Join(rs, ","), status)
		}
		return tw.Flush()
	default:
		u, err := app.Auth.UserByEmail(sctx, *email)
		if err != nil {
			return err
		}
		switch sub {
		case "disable", "enable":
			if err := app.Auth.SetDisabled(sctx, u.ID, sub == "disable"); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%sd %s\n", sub, u.Email)
		case "reset-password":
			if err := app.Auth.ResetPassword(sctx, u.ID, password); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "password reset for %s\n", u.Email)
		}
	}
	return nil
}

// parseTTL accepts Go durations and whole days ("90d").
func parseTTL(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err != nil || n < 1 || n > 3650 {
			return 0, usageErr("--expires: %q is not a number of days from 1 to 3650", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur <= 0 {
		return 0, usageErr("--expires: %q is not a duration such as 90d or 720h", s)
	}
	return dur, nil
}

func runToken(ctx context.Context, e cmdEnv, args []string) error {
	if len(args) == 0 {
		return usageErr("token create | list | revoke")
	}
	sub, args := args[0], args[1:]
	var c Config
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	userEmail := fs.String("user", "", "the token owner's email (create; list filters)")
	name := fs.String("name", "cli", "a name to recognise the token by (create)")
	expires := fs.String("expires", "", "lifetime, e.g. 90d or 720h; empty for none (create)")
	id := fs.Int64("id", 0, "token id (revoke)")
	switch sub {
	case "create", "list", "revoke":
	default:
		return usageErr("unknown subcommand %q: token create | list | revoke", sub)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	ttl, err := parseTTL(*expires)
	if err != nil {
		return err
	}
	if sub == "create" && *userEmail == "" {
		return usageErr("--user is required")
	}
	if sub == "revoke" && *id <= 0 {
		return usageErr("--id is required")
	}
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	sctx := system(ctx)
	switch sub {
	case "create":
		u, err := app.Auth.UserByEmail(sctx, *userEmail)
		if err != nil {
			return err
		}
		raw, _, err := app.Auth.CreateToken(sctx, u.ID, *name, ttl)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, raw)
	case "list":
		var owner int64
		if *userEmail != "" {
			u, err := app.Auth.UserByEmail(sctx, *userEmail)
			if err != nil {
				return err
			}
			owner = u.ID
		}
		toks, err := app.Auth.ListTokens(sctx, owner)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tNAME\tPREFIX\tCREATED\tEXPIRES\tSTATE")
		for _, t := range toks {
			exp, state := "never", "active"
			if t.ExpiresAt != nil {
				exp = t.ExpiresAt.Format(time.RFC3339)
			}
			if t.RevokedAt != nil {
				state = "revoked"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserEmail, t.Name, t.Prefix, t.CreatedAt.Format(time.RFC3339), exp, state)
		}
		return tw.Flush()
	case "revoke":
		if err := app.Auth.RevokeToken(sctx, *id); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked token %d\n", *id)
	}
	return nil
}

func runAudit(ctx context.Context, e cmdEnv, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageErr("audit verify")
	}
	var c Config
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	res, err := app.Audit.Verify(system(ctx))
	if err != nil {
		return err
	}
	if !res.OK {
		return fmt.Errorf("audit chain broken at row %d after %d rows: %s", res.BrokenID, res.Rows, res.Reason)
	}
	fmt.Fprintf(e.stdout, "audit chain intact: %d rows\n", res.Rows)
	return nil
}
