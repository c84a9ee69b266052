package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

func TestLoginFailuresAndLockout(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{MaxFailures: 5, LockFor: 15 * time.Minute})
		u := f.user("mai@so.gov.vn", agDoST, access.Analyst)
		ctx := context.Background()

		// Unknown email and wrong password look the same.
		_, errUnknown := f.svc.Login(ctx, "nobody@so.gov.vn", testPassword, "192.0.2.9", "ua")
		_, errWrong := f.svc.Login(ctx, "MAI@so.gov.vn", "wrong password here", "192.0.2.9", "ua")
		for _, err := range []error{errUnknown, errWrong} {
			if !errs.Is(err, errs.Unauthorized) || errs.Message(err) != "wrong email or password" {
				t.Errorf("Login failure = %v, want Unauthorized \"wrong email or password\"", err)
			}
		}
		// Failures 2..4 of 5: no delay until 3 failures are behind.
		for i := 2; i <= 4; i++ {
			if _, err := f.svc.Login(ctx, u.Email, "wrong password here", "", ""); !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("failure %d = %v", i, err)
			}
		}
		if diff := cmp.Diff([]time.Duration{500 * time.Millisecond}, f.takeSleeps()); diff != "" {
			t.Errorf("sleeps before failure 4 (-want +got):\n%s", diff)
		}
		// Failure 5 locks; the message names the local time (UTC+7).
		_, err := f.svc.Login(ctx, u.Email, "wrong password here", "", "")
		wantUntil := f.now.Add(15 * time.Minute).In(time.FixedZone("", 7*3600)).Format("15:04")
		if !errs.Is(err, errs.RateLimited) || !strings.Contains(errs.Message(err), "account locked, try again after "+wantUntil) {
			t.Fatalf("failure 5 = %v, want RateLimited until %s", err, wantUntil)
		}
		if diff := cmp.Diff([]time.Duration{time.Second}, f.takeSleeps()); diff != "" {
			t.Errorf("sleeps before failure 5 (-want +got):\n%s", diff)
		}
		got, _ := f.svc.GetUser(f.sys, u.ID)
		if got.LockedUntil == nil {
			t.Error("GetUser.LockedUntil = nil while locked")
		}
		// The right password does not open a locked account.
		if _, err := f.svc.Login(ctx, u.Email, testPassword, "", ""); !errs.Is(err, errs.RateLimited) {
			t.Errorf("right password while locked = %v, want RateLimited", err)
		}
		// After LockFor, the right password works and the count restarts.
		f.advance(15*time.Minute + time.Second)
		res, err := f.svc.Login(ctx, u.Email, testPassword, "", "")
		if err != nil {
			t.Fatalf("Login after lock expiry = %v", err)
		}
		if res.NeedTOTP || res.NeedEnrol || res.Session.MFAPending || len(res.Session.ID) != 43 {
			t.Errorf("LoginResult = %+v", res)
		}
		if _, err := f.svc.Login(ctx, u.Email, "wrong password here", "", ""); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("first failure after success = %v, want Unauthorized", err)
		}
		if s := f.takeSleeps(); len(s) != 0 {
			t.Errorf("sleeps after a reset count = %v, want none", s)
		}
		// Admin reset clears a lock.
		for range 5 {
			_, _ = f.svc.Login(ctx, u.Email, "wrong password here", "", "")
		}
		if err := f.svc.ResetPassword(f.sys, u.ID, "một mật khẩu mới rất dài"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Login(ctx, u.Email, "một mật khẩu mới rất dài", "", ""); err != nil {
			t.Errorf("Login after reset = %v", err)
		}

		want := []string{"login.failed", "login.failed", "login.failed", "login.failed", "login.failed",
			"login.failed", "account.locked", "login.failed", "login",
			"login.failed", "login.failed", "login.failed", "login.failed", "login.failed", "account.locked", "login.failed",
			"user.password_reset", "login"}
		var got2 []string
		for _, e := range f.auditRows() {
			if e.Action != "user.create" {
				got2 = append(got2, e.Action)
			}
		}
		if diff := cmp.Diff(want, got2); diff != "" {
			t.Errorf("audit (-want +got):\n%s", diff)
		}
		rows := f.auditRows()
		if rows[1].Actor != "nobody@so.gov.vn" || rows[1].IP != "192.0.2.9" || rows[1].Detail != "unknown email" {
			t.Errorf("unknown-email audit row = %+v", rows[1])
		}
	})
}

func TestLoginInputLimits(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), Config{})
	u := f.user("mai@so.gov.vn", agDoST, access.Analyst)
	ctx := context.Background()
	if _, err := f.svc.Login(ctx, strings.Repeat("a", 300)+"@x.vn", "x", "", ""); errs.FieldOf(err) != "email" {
		t.Errorf("Login long email = %v, want email field error", err)
	}
	if _, err := f.svc.Login(ctx, "", "x", "", ""); errs.FieldOf(err) != "email" {
		t.Errorf("Login empty email = %v, want email field error", err)
	}
	if _, err := f.svc.Login(ctx, u.Email, strings.Repeat("x", 5000), "", ""); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("Login huge password = %v, want Unauthorized", err)
	}
	// A password typed into the email box is not written to the audit log.
	if _, err := f.svc.Login(ctx, "Sông Hồng 1975!", "x", "", ""); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("Login junk email = %v", err)
	}
	res, err := f.svc.Login(ctx, u.Email, testPassword, strings.Repeat("9", 200), strings.Repeat("Mozilla ", 500))
	if err != nil {
		t.Fatalf("Login with long ip and user agent = %v", err)
	}
	var ip, ua string
	if err := f.db.QueryRow(ctx, `SELECT ip, user_agent FROM sessions WHERE id = ?`, sha256Hex(res.Session.ID)).Scan(&ip, &ua); err != nil {
		t.Fatal(err)
	}
	if len(ip) != maxIPLen || len(ua) != maxUserAgentLen {
		t.Errorf("stored ip %d bytes, user agent %d bytes; want clipped to %d and %d", len(ip), len(ua), maxIPLen, maxUserAgentLen)
	}
	for _, e := range f.auditRows() {
		if strings.Contains(e.Actor, "Sông") {
			t.Errorf("audit row %+v records what was typed into the email box", e)
		}
	}
}

func TestSessions(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{SessionTTL: time.Hour, SessionMaxAge: 3 * time.Hour})
		u := f.user("mai@so.gov.vn", agDoST, access.Analyst)
		ctx := context.Background()
		res, err := f.svc.Login(ctx, u.Email, testPassword, "192.0.2.1", "Firefox")
		if err != nil {
			t.Fatal(err)
		}
		sid := res.Session.ID
		if res.Session.ExpiresAt != f.now.Add(time.Hour) || res.Session.CSRF == "" || res.Session.UserID != u.ID {
			t.Errorf("new session = %+v", res.Session)
		}
		// Only the hash is stored.
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE id = ?`, sid).Scan(&n); err != nil || n != 0 {
			t.Errorf("raw session id found in the table (%d, %v)", n, err)
		}
		// Rotation: a second login gets another session.
		res2, err := f.svc.Login(ctx, u.Email, testPassword, "192.0.2.1", "Firefox")
		if err != nil || res2.Session.ID == sid || res2.Session.CSRF == res.Session.CSRF {
			t.Fatalf("second login = %+v, %v; want a different session", res2.Session, err)
		}

		sess, p, err := f.svc.Authenticate(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		want := Session{CSRF: res.Session.CSRF, UserID: u.ID, ExpiresAt: f.now.Add(time.Hour)}
		if diff := cmp.Diff(want, sess); diff != "" {
			t.Errorf("Authenticate (-want +got):\n%s", diff)
		}
		if p == nil || p.UserID != u.ID || p.Email != u.Email || !p.Has(access.Analyst) {
			t.Errorf("principal = %+v", p)
		}
		lastSeen := func() time.Time {
			var ls store.Time
			if err := db.QueryRow(ctx, `SELECT last_seen_at FROM sessions WHERE id = ?`, sha256Hex(sid)).Scan(&ls); err != nil {
				t.Fatal(err)
			}
			return ls.Time
		}
		// Within a minute nothing is written; after, expiry slides.
		start := f.now
		f.advance(30 * time.Second)
		if sess, _, _ = f.svc.Authenticate(ctx, sid); !lastSeen().Equal(start) || !sess.ExpiresAt.Equal(start.Add(time.Hour)) {
			t.Errorf("after 30s last_seen %v expires %v; want unchanged", lastSeen(), sess.ExpiresAt)
		}
		f.advance(50 * time.Minute)
		if sess, _, _ = f.svc.Authenticate(ctx, sid); !lastSeen().Equal(f.now) || !sess.ExpiresAt.Equal(f.now.Add(time.Hour)) {
			t.Errorf("after 50m last_seen %v expires %v; want slid to now+1h", lastSeen(), sess.ExpiresAt)
		}
		// Kept alive, it still ends at SessionMaxAge.
		for range 4 {
			f.advance(50 * time.Minute)
			sess, _, err = f.svc.Authenticate(ctx, sid)
		}
		if !errs.Is(err, errs.Unauthorized) {
			t.Errorf("Authenticate past max age = %+v, %v; want Unauthorized", sess, err)
		}
		// The other session was idle for over an hour: gone.
		if _, _, err := f.svc.Authenticate(ctx, res2.Session.ID); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("Authenticate idle session = %v, want Unauthorized", err)
		}
		// Logout.
		res3, _ := f.svc.Login(ctx, u.Email, testPassword, "", "")
		if err := f.svc.Logout(ctx, res3.Session.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Authenticate(ctx, res3.Session.ID); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("Authenticate after logout = %v, want Unauthorized", err)
		}
		if err := f.svc.Logout(ctx, res3.Session.ID); err != nil {
			t.Errorf("second Logout = %v, want nil", err)
		}
		for _, bad := range []string{"", "abc", strings.Repeat("A", 43), res3.Session.ID + "x", strings.Repeat("!", 43)} {
			if _, _, err := f.svc.Authenticate(ctx, bad); !errs.Is(err, errs.Unauthorized) {
				t.Errorf("Authenticate(%q) = %v, want Unauthorized", bad, err)
			}
		}
		if n, err := f.svc.PurgeSessions(ctx); err != nil || n != 0 {
			t.Errorf("PurgeSessions = %d, %v (expired ones were removed on sight)", n, err)
		}
		if diff := cmp.Diff([]string{"login", "login", "login", "logout"}, f.actions("log")); diff != "" {
			t.Errorf("audit (-want +got):\n%s", diff)
		}
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{MaxFailures: 3})
		u := f.user("mai@so.gov.vn", agDoST, access.Analyst)
		ctx := context.Background()
		a, _ := f.svc.Login(ctx, u.Email, testPassword, "", "")
		b, _ := f.svc.Login(ctx, u.Email, testPassword, "", "")
		me := WithSessionID(f.as(u), a.Session.ID)
		const newPW = "đèn đỏ ở ngã tư Hàng Bài"
		tests := []struct {
			name, old, new string
			wantKind       errs.Kind
			wantField      string
		}{
			{"weak new", testPassword, "matkhau123456", errs.Invalid, "password"},
			{"same", testPassword, testPassword, errs.Invalid, "password"},
			{"wrong old", "not my password", newPW, errs.Invalid, "old_password"},
			{"ok", testPassword, newPW, 0, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := f.svc.ChangePassword(me, tt.old, tt.new)
				if errs.KindOf(err) != tt.wantKind && !(tt.wantKind == 0 && err == nil) || errs.FieldOf(err) != tt.wantField {
					t.Errorf("ChangePassword = %v, want kind %v field %q", err, tt.wantKind, tt.wantField)
				}
			})
		}
		if _, _, err := f.svc.Authenticate(ctx, a.Session.ID); err != nil {
			t.Errorf("current session after change = %v, want kept", err)
		}
		if _, _, err := f.svc.Authenticate(ctx, b.Session.ID); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("other session after change = %v, want ended", err)
		}
		if _, err := f.svc.Login(ctx, u.Email, newPW, "", ""); err != nil {
			t.Errorf("login with new password = %v", err)
		}
		// Wrong current passwords count toward the lock.
		for range 2 {
			_ = f.svc.ChangePassword(me, "not my password", "another long phrase 42")
		}
		if err := f.svc.ChangePassword(me, "not my password", "another long phrase 42"); !errs.Is(err, errs.RateLimited) {
			t.Errorf("third wrong current password = %v, want RateLimited", err)
		}
		if err := f.svc.ChangePassword(f.sys, "a", "b"); !errs.Is(err, errs.Invalid) {
			t.Errorf("ChangePassword as system = %v, want Invalid", err)
		}
	})
}

// TestConcurrentGuesses fires many wrong passwords at once: no more than
// MaxFailures of them may be checked, the rest are refused as locked, and
// the right password sent alongside does not get in.
func TestConcurrentGuesses(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{MaxFailures: 5})
		u := f.user("mai@so.gov.vn", agDoST, access.Analyst)
		const n = 20
		results := make(chan error, n)
		for i := range n {
			go func() {
				pw := "wrong password here"
				if i == n-1 {
					pw = testPassword
				}
				_, err := f.svc.Login(context.Background(), u.Email, pw, "", "")
				results <- err
			}()
		}
		kinds := map[string]int{}
		for range n {
			err := <-results
			if err == nil {
				kinds["ok"]++
				continue
			}
			kinds[errs.KindOf(err).String()]++
		}
		t.Logf("results by kind: %v", kinds)
		// A success resets the count, so the limit holds per run of failures.
		if kinds["unauthorized"] > 5*(1+kinds["ok"]) || kinds["internal"] > 0 {
			t.Errorf("results by kind %v: want at most 5 checked (Unauthorized), the rest RateLimited", kinds)
		}
		// The right password may have been checked before the lock; after it, the account is locked.
		if _, err := f.svc.Login(context.Background(), u.Email, testPassword, "", ""); !errs.Is(err, errs.RateLimited) && kinds["ok"] == 0 {
			t.Errorf("Login after the burst = %v, want RateLimited", err)
		}
	})
}
