package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestAuditHasNoSecrets runs every flow that handles a secret and then
// checks no audit row contains any of them, and that the chain verifies.
func TestAuditHasNoSecrets(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{Require2FA: true})
		ctx := audit.WithClientIP(context.Background(), "198.51.100.4")
		admin := f.user("admin@bulwark.vn", agStanding, access.Admin)
		u := f.user("mai@so.gov.vn", agDoST, access.Coordinator)
		secrets := []string{testPassword}

		const wrongPW = "Hà Nội mùa thu 2026 sai"
		_, _ = f.svc.Login(ctx, u.Email, wrongPW, "", "")
		_, _ = f.svc.Login(ctx, wrongPW, wrongPW, "", "")
		secrets = append(secrets, wrongPW)

		totpSecret, codes := f.enrol(u)
		secrets = append(secrets, totpSecret)
		for _, c := range codes {
			secrets = append(secrets, c, strings.ReplaceAll(c, "-", ""), sha256Hex(strings.ReplaceAll(c, "-", "")))
		}
		res, err := f.svc.Login(ctx, u.Email, testPassword, "198.51.100.4", "Firefox")
		if err != nil {
			t.Fatal(err)
		}
		f.advance(30 * time.Second) // the enrolment code's window is spent
		code := f.code(totpSecret)
		_, _ = f.svc.CompleteTOTP(ctx, res.Session.ID, "999999")
		full, err := f.svc.CompleteTOTP(ctx, res.Session.ID, code)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, res.Session.ID, sha256Hex(res.Session.ID), full.ID, sha256Hex(full.ID), full.CSRF, code)

		const newPW = "Thuyền về bến cũ năm xưa"
		me := WithSessionID(access.With(ctx, mustPrincipal(t, f, u)), full.ID)
		if err := f.svc.ChangePassword(me, testPassword, newPW); err != nil {
			t.Fatal(err)
		}
		const resetPW = "Cầu Long Biên lúc bình minh"
		if err := f.svc.ResetPassword(f.as(admin), u.ID, resetPW); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, newPW, resetPW)

		raw, tok, err := f.svc.CreateToken(f.as(u), u.ID, "sensor", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, raw); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RevokeToken(f.as(admin), tok.ID); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, raw, raw[4:], sha256Hex(raw))
		res2, _ := f.svc.Login(ctx, admin.Email, testPassword, "", "")
		_ = f.svc.Logout(ctx, res2.Session.ID)
		secrets = append(secrets, res2.Session.ID, res2.Session.CSRF)

		rows := f.auditRows()
		if len(rows) != 14 {
			t.Fatalf("%d audit rows, want 14", len(rows))
		}
		for _, e := range rows {
			fields := strings.Join([]string{e.Actor, e.Action, e.ObjectType, e.ObjectID, e.IP, e.Detail}, "\x00")
			for _, s := range secrets {
				if strings.Contains(fields, s) {
					t.Errorf("audit row %d (%s) contains a secret: %+v", e.ID, e.Action, e)
				}
			}
			if e.Action == "login" && e.IP != "198.51.100.4" {
				t.Errorf("login row IP = %q", e.IP)
			}
		}
		v, err := f.log.Verify(f.sys)
		if err != nil || !v.OK {
			t.Errorf("audit chain = %+v, %v", v, err)
		}
	})
}

func mustPrincipal(t *testing.T, f *fixture, u User) *access.Principal {
	t.Helper()
	p, err := f.svc.Principal(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
