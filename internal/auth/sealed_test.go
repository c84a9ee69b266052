package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/sealed"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestTOTPSecretSealed checks that TOTP seeds never sit in the database in
// clear when a key is configured, that seeds stored in clear before keep
// working and are sealed at their next use, and that another key cannot
// open them.
func TestTOTPSecretSealed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box, err := sealed.New([]byte(strings.Repeat("s", sealed.KeySize)))
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, db, Config{MaxFailures: 6, Secrets: box})
		ctx := context.Background()
		stored := func(u User) (secret, pending string) {
			t.Helper()
			if err := db.QueryRow(ctx, `SELECT totp_secret, totp_pending FROM users WHERE id = ?`, u.ID).Scan(&secret, &pending); err != nil {
				t.Fatal(err)
			}
			return secret, pending
		}

		u := f.user("lan@so.gov.vn", agDoST, access.Analyst)
		secret, _, err := f.svc.BeginTOTP(f.as(u))
		if err != nil {
			t.Fatal(err)
		}
		if _, p := stored(u); !sealed.Sealed(p) || strings.Contains(p, secret) {
			t.Fatalf("pending seed stored as %q: not sealed", p)
		}
		if _, err := f.svc.ConfirmTOTP(f.as(u), f.code(secret)); err != nil {
			t.Fatalf("ConfirmTOTP with a sealed pending seed: %v", err)
		}
		if s, p := stored(u); !sealed.Sealed(s) || strings.Contains(s, secret) || p != "" {
			t.Fatalf("enabled seed stored as %q (pending %q): not sealed", s, p)
		}
		f.advance(30 * time.Second)
		res, err := f.svc.Login(ctx, u.Email, testPassword, "", "")
		if err != nil || !res.NeedTOTP {
			t.Fatalf("Login = %+v, %v", res, err)
		}
		if _, err := f.svc.CompleteTOTP(ctx, res.Session.ID, f.code(secret)); err != nil {
			t.Fatalf("CompleteTOTP with a sealed seed: %v", err)
		}

		// A seed written in clear before a key existed still works, and
		// is sealed once used.
		v := f.user("hoa@so.gov.vn", agDoST, access.Analyst)
		const legacy = "JBSWY3DPEHPK3PXP"
		if _, err := db.Exec(ctx, `UPDATE users SET totp_secret = ?, totp_enabled = TRUE WHERE id = ?`, legacy, v.ID); err != nil {
			t.Fatal(err)
		}
		f.advance(30 * time.Second)
		res, err = f.svc.Login(ctx, v.Email, testPassword, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CompleteTOTP(ctx, res.Session.ID, f.code(legacy)); err != nil {
			t.Fatalf("CompleteTOTP with a seed in clear: %v", err)
		}
		s, _ := stored(v)
		if !sealed.Sealed(s) {
			t.Fatalf("seed in clear not sealed after use: %q", s)
		}
		if got, err := box.Open(totpPurpose(v.ID), s); err != nil || got != legacy {
			t.Errorf("resealed seed opens to %q, %v", got, err)
		}
		// Bound to its row: copied to another user it does not open.
		if _, err := box.Open(totpPurpose(u.ID), s); err == nil {
			t.Error("a seed sealed for one user opens for another")
		}

		// A server with another key cannot use the seeds: the login fails
		// as an internal error (logged), not as a wrong code.
		other, _ := sealed.New([]byte(strings.Repeat("o", sealed.KeySize)))
		g := &Service{db: db, log: f.log, cfg: Config{MaxFailures: 6, Secrets: other, Argon2: testArgon2, Sleep: func(context.Context, time.Duration) error { return nil }}.withDefaults(), now: f.clock}
		f.advance(30 * time.Second)
		res, err = g.Login(ctx, u.Email, testPassword, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.CompleteTOTP(ctx, res.Session.ID, f.code(secret)); err == nil || errs.KindOf(err) != errs.Internal {
			t.Errorf("CompleteTOTP under another key = %v, want an internal error", err)
		}
	})
}
