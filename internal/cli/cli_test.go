package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs a command with stdin and returns stdout; a non-zero exit is
// an error carrying stderr.
func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	if code != 0 {
		return out.String(), errors.New(strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func TestCLIUserAndAudit(t *testing.T) {
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "bulwark.db")
	common := []string{"--data", data, "--database", db, "--log-level", "error"}
	if _, err := runCLI(t, "", append([]string{"migrate", "up"}, common...)...); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	st, err := runCLI(t, "", append([]string{"migrate", "status"}, common...)...)
	if err != nil || !strings.Contains(st, "0001") || strings.Contains(st, "pending") {
		t.Fatalf("migrate status = %q, %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(data, "bulwark.db")); err != nil {
		t.Fatalf("migrate did not use the --data folder: %v", err)
	}
	// An agency to put users in, through the service.
	e := &testEnv{}
	_ = e
	app, err := NewApp(context.Background(), Config{Data: data, Database: db, Argon2: cheapArgon}, newLogger(&bytes.Buffer{}, "error"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demoAccounts(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	app.Close()

	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
		wantOut string
	}{
		{"add user", "một mật khẩu rất dài\n", []string{"user", "add", "--email", "Moi@Demo.Bulwark.VN", "--name", "Người Mới", "--agency", "HTP", "--role", "reporter,viewer"}, "", "created user"},
		{"add duplicate", "một mật khẩu rất dài\n", []string{"user", "add", "--email", "moi@demo.bulwark.vn", "--name", "X", "--agency", "HTP", "--role", "viewer"}, "already", ""},
		{"add without password", "", []string{"user", "add", "--email", "a@b.vn", "--name", "X", "--agency", "HTP", "--role", "viewer"}, "no password", ""},
		{"add weak password", "123456\n", []string{"user", "add", "--email", "a@b.vn", "--name", "X", "--agency", "HTP", "--role", "viewer"}, "password", ""},
		{"add unknown agency", "một mật khẩu rất dài\n", []string{"user", "add", "--email", "a@b.vn", "--name", "X", "--agency", "NOPE", "--role", "viewer"}, "agency", ""},
		{"list", "", []string{"user", "list"}, "", "moi@demo.bulwark.vn"},
		{"disable", "", []string{"user", "disable", "--email", "moi@demo.bulwark.vn"}, "", "disabled"},
		{"reset password", "bầu trời xanh thẳm 2026\n", []string{"user", "reset-password", "--email", "moi@demo.bulwark.vn"}, "", "password reset"},
		{"token for unknown user", "", []string{"token", "create", "--user", "ghost@x.vn"}, "not found", ""},
		{"token bad expiry", "", []string{"token", "create", "--user", "admin@demo.bulwark.vn", "--expires", "soon"}, "expires", ""},
		{"token list", "", []string{"token", "list"}, "", "ID"},
		{"audit verify", "", []string{"audit", "verify"}, "", "audit chain intact"},
		{"unknown subcommand", "", []string{"user", "fly"}, "usage", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, tt.args...), common...)
			out, err := runCLI(t, tt.stdin, args...)
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(strings.ToLower(err.Error()), tt.wantErr)):
				t.Errorf("bulwark %v: err = %v, want one mentioning %q", tt.args, err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Errorf("bulwark %v: %v", tt.args, err)
			case tt.wantErr != "" && strings.Count(err.Error(), "\n") > 0:
				t.Errorf("error is not one line: %q", err)
			case !strings.Contains(out, tt.wantOut):
				t.Errorf("bulwark %v printed %q, want %q", tt.args, out, tt.wantOut)
			}
		})
	}

	// Tamper with the audit log: verify must fail and name the row.
	app, err = NewApp(context.Background(), Config{Data: data, Database: db}, newLogger(&bytes.Buffer{}, "error"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB.Exec(context.Background(), `UPDATE audit_log SET actor = 'someone else' WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	app.Close()
	_, err = runCLI(t, "", append([]string{"audit", "verify"}, common...)...)
	if err == nil || !strings.Contains(err.Error(), "row 3") {
		t.Errorf("audit verify after tampering = %v, want failure at row 3", err)
	}
}

func TestCLIUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), nil, strings.NewReader(""), &out, &errb); code != 2 || !strings.Contains(errb.String(), "serve") {
		t.Errorf("no args: code %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := Run(context.Background(), []string{"frobnicate"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("unknown command: code %d", code)
	}
	out.Reset()
	if code := Run(context.Background(), []string{"version"}, strings.NewReader(""), &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "bulwark ") {
		t.Errorf("version: code %d, out %q", code, out.String())
	}
}
