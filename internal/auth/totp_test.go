package auth

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pquerna/otp/totp"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

func (f *fixture) code(secret string) string {
	f.t.Helper()
	c, err := totp.GenerateCode(secret, f.clock())
	if err != nil {
		f.t.Fatalf("GenerateCode: %v", err)
	}
	return c
}

// enrol runs BeginTOTP and ConfirmTOTP for u and returns the secret and
// the recovery codes.
func (f *fixture) enrol(u User) (string, []string) {
	f.t.Helper()
	ctx := f.as(u)
	secret, link, err := f.svc.BeginTOTP(ctx)
	if err != nil {
		f.t.Fatalf("BeginTOTP: %v", err)
	}
	lu, err := url.Parse(link)
	if err != nil || lu.Scheme != "otpauth" || lu.Query().Get("secret") != secret || lu.Query().Get("issuer") != "Bulwark" ||
		!strings.Contains(lu.Path, u.Email) {
		f.t.Fatalf("otpauth URL %q (%v)", link, err)
	}
	codes, err := f.svc.ConfirmTOTP(ctx, f.code(secret))
	if err != nil {
		f.t.Fatalf("ConfirmTOTP: %v", err)
	}
	return secret, codes
}

func TestTOTPEnrolAndLogin(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{MaxFailures: 6})
		u := f.user("mai@so.gov.vn", agDoST, access.Analyst)
		ctx := context.Background()

		// A code from the wrong secret, or before Begin, does not enable.
		if _, err := f.svc.ConfirmTOTP(f.as(u), "123456"); !errs.Is(err, errs.Invalid) {
			t.Errorf("ConfirmTOTP before Begin = %v, want Invalid", err)
		}
		secret, _, err := f.svc.BeginTOTP(f.as(u))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := f.svc.GetUser(f.sys, u.ID); got.TOTPEnabled {
			t.Error("TOTP enabled by BeginTOTP alone")
		}
		wrong := f.code("JBSWY3DPEHPK3PXP")
		if _, err := f.svc.ConfirmTOTP(f.as(u), wrong); errs.FieldOf(err) != "code" {
			t.Errorf("ConfirmTOTP(wrong) = %v, want code field error", err)
		}
		codes, err := f.svc.ConfirmTOTP(f.as(u), f.code(secret))
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != RecoveryCodes || len(codes[0]) != 19 {
			t.Fatalf("recovery codes = %q", codes)
		}
		if got, _ := f.svc.GetUser(f.sys, u.ID); !got.TOTPEnabled {
			t.Error("TOTP not enabled after ConfirmTOTP")
		}
		if n, _ := f.svc.RecoveryCodesLeft(f.as(u)); n != RecoveryCodes {
			t.Errorf("RecoveryCodesLeft = %d", n)
		}

		// Password login now yields an MFA-pending session.
		f.advance(30 * time.Second)
		res, err := f.svc.Login(ctx, u.Email, testPassword, "192.0.2.5", "Chrome")
		if err != nil || !res.NeedTOTP || !res.Session.MFAPending {
			t.Fatalf("Login = %+v, %v; want NeedTOTP", res, err)
		}
		sess, p, err := f.svc.Authenticate(ctx, res.Session.ID)
		if err != nil || p != nil || !sess.MFAPending {
			t.Errorf("Authenticate(pending) = %+v, %v, %v; want MFAPending, nil principal, nil error", sess, p, err)
		}
		code := f.code(secret)
		full, err := f.svc.CompleteTOTP(ctx, res.Session.ID, code)
		if err != nil {
			t.Fatalf("CompleteTOTP = %v", err)
		}
		if full.ID == res.Session.ID || full.MFAPending {
			t.Errorf("CompleteTOTP session = %+v; want a new full session", full)
		}
		if _, p, err := f.svc.Authenticate(ctx, full.ID); err != nil || p == nil || p.UserID != u.ID {
			t.Errorf("Authenticate(full) = %v, %v", p, err)
		}
		if _, _, err := f.svc.Authenticate(ctx, res.Session.ID); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("pending session after completion = %v, want gone", err)
		}
		if _, err := f.svc.CompleteTOTP(ctx, full.ID, code); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("CompleteTOTP on a full session = %v, want Unauthorized", err)
		}

		// Replay: the same code in the same window is refused.
		res, _ = f.svc.Login(ctx, u.Email, testPassword, "", "")
		if _, err := f.svc.CompleteTOTP(ctx, res.Session.ID, code); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("replayed code = %v, want Unauthorized", err)
		}
		// So is the previous window's code once a later one was used.
		f.advance(30 * time.Second)
		if _, err := f.svc.CompleteTOTP(ctx, res.Session.ID, f.code(secret)); err != nil {
			t.Errorf("next window's code = %v", err)
		}

		// Recovery codes work once each, typed in any case and spacing.
		res, _ = f.svc.Login(ctx, u.Email, testPassword, "", "")
		if _, err := f.svc.CompleteTOTP(ctx, res.Session.ID, " "+strings.ToUpper(codes[3])+" "); err != nil {
			t.Errorf("recovery code = %v", err)
		}
		res, _ = f.svc.Login(ctx, u.Email, testPassword, "", "")
		if _, err := f.svc.CompleteTOTP(ctx, res.Session.ID, codes[3]); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("reused recovery code = %v, want Unauthorized", err)
		}
		if _, err := f.svc.CompleteTOTP(ctx, res.Session.ID, strings.ReplaceAll(codes[4], "-", "")); err != nil {
			t.Errorf("recovery code without dashes = %v", err)
		}
		if n, _ := f.svc.RecoveryCodesLeft(f.as(u)); n != RecoveryCodes-2 {
			t.Errorf("RecoveryCodesLeft = %d, want %d", n, RecoveryCodes-2)
		}

		// A pending session expires after a few minutes.
		res, _ = f.svc.Login(ctx, u.Email, testPassword, "", "")
		f.advance(pendingTTL + time.Second)
		if _, err := f.svc.CompleteTOTP(ctx, res.Session.ID, f.code(secret)); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("CompleteTOTP after pending expiry = %v, want Unauthorized", err)
		}

		// Wrong codes count toward the lock, and so do password steps
		// not yet completed: the right password alone must not buy more
		// guesses. MaxFailures is 6; the expired login above counted 1,
		// this one 2, so the fourth wrong code locks.
		res, _ = f.svc.Login(ctx, u.Email, testPassword, "", "")
		for i := 1; i <= 4; i++ {
			_, err := f.svc.CompleteTOTP(ctx, res.Session.ID, "000000")
			if want := map[bool]errs.Kind{true: errs.RateLimited, false: errs.Unauthorized}[i == 4]; errs.KindOf(err) != want {
				t.Errorf("wrong code %d = %v, want kind %v", i, err, want)
			}
		}
		if _, err := f.svc.CompleteTOTP(ctx, res.Session.ID, f.code(secret)); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("right code on a locked account's pending session = %v, want Unauthorized (session ended)", err)
		}
		if _, err := f.svc.Login(ctx, u.Email, testPassword, "", ""); !errs.Is(err, errs.RateLimited) {
			t.Errorf("Login while locked = %v, want RateLimited", err)
		}

		logins := 0
		for _, e := range f.auditRows() {
			if e.Action == "login" {
				logins++
				if e.Detail != "password+totp" && e.Detail != "password+recovery code" {
					t.Errorf("login audit detail %q", e.Detail)
				}
			}
		}
		if logins != 4 {
			t.Errorf("%d login rows, want 4", logins)
		}
	})
}

func TestTOTPPolicy(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{Require2FA: true})
		admin := f.user("admin@bulwark.vn", agStanding, access.Admin)
		coord := f.user("coord@so.gov.vn", agDoST, access.Coordinator)
		analyst := f.user("analyst@so.gov.vn", agDoST, access.Analyst)
		ctx := context.Background()

		tests := []struct {
			name      string
			u         User
			wantEnrol bool
		}{
			{"admin", admin, true},
			{"coordinator", coord, true},
			{"analyst", analyst, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := f.svc.TOTPRequired(tt.u); got != tt.wantEnrol {
					t.Errorf("TOTPRequired = %v, want %v", got, tt.wantEnrol)
				}
				res, err := f.svc.Login(ctx, tt.u.Email, testPassword, "", "")
				if err != nil || res.NeedEnrol != tt.wantEnrol || res.NeedTOTP {
					t.Errorf("Login = %+v, %v; want NeedEnrol %v", res, err, tt.wantEnrol)
				}
			})
		}
		f.enrol(coord)
		f.enrol(analyst)
		res, err := f.svc.Login(ctx, coord.Email, testPassword, "", "")
		if err != nil || !res.NeedTOTP || res.NeedEnrol {
			t.Errorf("enrolled coordinator Login = %+v, %v", res, err)
		}

		// A coordinator may not turn off what policy requires; an analyst
		// may; an admin may for others; nobody else may for others.
		if err := f.svc.DisableTOTP(f.as(coord), coord.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("coordinator disables own TOTP = %v, want Forbidden", err)
		}
		if err := f.svc.DisableTOTP(f.as(analyst), coord.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("analyst disables coordinator's TOTP = %v, want Forbidden", err)
		}
		if err := f.svc.DisableTOTP(f.as(analyst), 9999); !errs.Is(err, errs.Forbidden) {
			t.Errorf("analyst disables unknown user's TOTP = %v, want Forbidden", err)
		}
		if err := f.svc.DisableTOTP(f.as(analyst), analyst.ID); err != nil {
			t.Errorf("analyst disables own TOTP = %v", err)
		}
		if err := f.svc.DisableTOTP(f.as(admin), coord.ID); err != nil {
			t.Errorf("admin disables coordinator's TOTP = %v", err)
		}
		for _, u := range []User{coord, analyst} {
			got, _ := f.svc.GetUser(f.sys, u.ID)
			if got.TOTPEnabled {
				t.Errorf("%s still has TOTP", u.Email)
			}
			var n int
			_ = db.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?`, u.ID).Scan(&n)
			if n != 0 {
				t.Errorf("%s keeps %d recovery codes", u.Email, n)
			}
		}
		if _, _, err := f.svc.BeginTOTP(f.sys); !errs.Is(err, errs.Invalid) {
			t.Errorf("BeginTOTP as system = %v, want Invalid", err)
		}
		want := []string{"totp.begin", "totp.enable", "totp.begin", "totp.enable", "totp.disable", "totp.disable"}
		if diff := cmp.Diff(want, f.actions("totp.")); diff != "" {
			t.Errorf("audit (-want +got):\n%s", diff)
		}
	})
}

func TestTOTPStep(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	at := time.Date(2026, 5, 4, 10, 0, 15, 0, time.UTC)
	step := at.Unix() / 30
	tests := []struct {
		name     string
		codeAt   time.Time
		wantOK   bool
		wantStep int64
	}{
		{"now", at, true, step},
		{"30s ago (skew)", at.Add(-30 * time.Second), true, step - 1},
		{"30s ahead (skew)", at.Add(30 * time.Second), true, step + 1},
		{"60s ago", at.Add(-60 * time.Second), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _ := totp.GenerateCode(secret, tt.codeAt)
			st, ok := totpStep(secret, code, at)
			if ok != tt.wantOK || st != tt.wantStep {
				t.Errorf("totpStep = %d, %v; want %d, %v", st, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦"} {
		if _, ok := totpStep(secret, bad, at); ok {
			t.Errorf("totpStep(%q) accepted", bad)
		}
	}
}

func FuzzNormRecovery(f *testing.F) {
	for _, s := range []string{"abcd-efgh-ijkl-mnop", "ABCD EFGH IJKL MNOP", "", "----", "abcd-efgh-ijkl-mno1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := normRecovery(s)
		if !ok {
			return
		}
		if len(c) != recoveryLen || strings.Trim(c, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("normRecovery(%q) = %q", s, c)
		}
	})
}
