package auth

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// account is what login needs about a user; it holds secrets and never
// leaves the package.
type account struct {
	id, agencyID            int64
	email, name, hash       string
	disabled, totpEnabled   bool
	lockedUntil             store.Time
	totpSecret, totpPending string
	lang                    string
	roles                   []access.Role
}

func (s *Service) account(ctx context.Context, q store.Querier, where string, arg any) (account, error) {
	var a account
	err := q.QueryRow(ctx, `SELECT u.id, u.agency_id, u.email, u.name, u.password_hash, u.disabled, u.totp_enabled,
		u.locked_until, u.totp_secret, u.totp_pending, u.lang FROM users u WHERE `+where, arg).
		Scan(&a.id, &a.agencyID, &a.email, &a.name, &a.hash, &a.disabled, &a.totpEnabled, &a.lockedUntil, &a.totpSecret, &a.totpPending, &a.lang)
	if errs.Is(err, errs.NotFound) {
		return a, errs.Wrap(errs.NotFound, err, "user not found")
	}
	if err != nil {
		return a, fmt.Errorf("auth: read account: %w", err)
	}
	us := []User{{ID: a.id}}
	if err := loadRoles(ctx, q, us); err != nil {
		return a, err
	}
	a.roles = us[0].Roles
	return a, nil
}

// entry is an audit row about the account itself (login events happen
// before there is a principal in ctx).
func (a account) entry(action, ip, detail string) audit.Entry {
	return audit.Entry{Action: action, ActorUserID: a.id, Actor: a.email, AgencyID: a.agencyID,
		ObjectType: "user", ObjectID: strconv.FormatInt(a.id, 10), IP: ip, Detail: detail}
}

// errWrongLogin is the one answer to an unknown email and a wrong
// password alike, so the form cannot be used to find accounts.
func errWrongLogin() error { return errs.E(errs.Unauthorized, "wrong email or password") }

func (s *Service) lockedErr(until time.Time) error {
	return errs.E(errs.RateLimited, "account locked, try again after %s", until.In(s.cfg.Location).Format("15:04"))
}

// checkLocked refuses (and records) an attempt on a locked account.
func (s *Service) checkLocked(ctx context.Context, a account, ip string) error {
	if a.lockedUntil.Valid && a.lockedUntil.Time.After(s.now()) {
		_ = s.log.Write(ctx, a.entry("login.failed", ip, "account locked"))
		return s.lockedErr(a.lockedUntil.Time)
	}
	return nil
}

// reserve counts an attempt as failed before checking it, so concurrent
// guesses cannot slip past the limit; success resets the count. An expired
// lock is cleared here. It returns the count including this attempt.
func (s *Service) reserve(ctx context.Context, a account, ip string) (int, error) {
	now := s.clock()
	var n int
	err := s.db.QueryRow(ctx, `UPDATE users SET
			failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= ? THEN 1 ELSE failed_logins + 1 END,
			locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= ? THEN NULL ELSE locked_until END
		WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?)
		RETURNING failed_logins`, now, now, a.id, now).Scan(&n)
	if errs.Is(err, errs.NotFound) {
		// Locked by a concurrent attempt since we read the account.
		var until store.Time
		if err := s.db.QueryRow(ctx, `SELECT locked_until FROM users WHERE id = ?`, a.id).Scan(&until); err != nil {
			return 0, fmt.Errorf("auth: read lock: %w", err)
		}
		if !until.Valid {
			return 0, errs.E(errs.Unavailable, "please try again")
		}
		_ = s.log.Write(ctx, a.entry("login.failed", ip, "account locked"))
		return 0, s.lockedErr(until.Time)
	}
	if err != nil {
		return 0, fmt.Errorf("auth: count attempt: %w", err)
	}
	if n > s.cfg.MaxFailures {
		// Concurrent attempts went past the limit before the one that
		// reached it wrote the lock: refuse without checking anything.
		until := s.clock().Add(s.cfg.LockFor)
		if _, err := s.db.Exec(ctx, `UPDATE users SET locked_until = ? WHERE id = ? AND locked_until IS NULL`, until, a.id); err != nil {
			return 0, fmt.Errorf("auth: lock account: %w", err)
		}
		_ = s.log.Write(ctx, a.entry("login.failed", ip, "account locked"))
		return 0, s.lockedErr(until)
	}
	return n, nil
}

// delay is the wait before checking attempt number n: none for the first
// SlowDownAfter attempts, then half a second doubling up to maxDelay.
func delay(n int) time.Duration {
	prior := n - 1
	if prior < SlowDownAfter {
		return 0
	}
	shift := prior - SlowDownAfter
	if shift > 8 {
		return maxDelay
	}
	return min(maxDelay, (500*time.Millisecond)<<shift)
}

func (s *Service) slowDown(ctx context.Context, n int) error {
	if d := delay(n); d > 0 {
		if err := s.cfg.Sleep(ctx, d); err != nil {
			return fmt.Errorf("auth: login delay: %w", err)
		}
	}
	return nil
}

// verify checks pw against hash in constant time; an empty or malformed
// hash verifies the dummy instead so the answer takes as long.
func (s *Service) verify(pw, hash string) bool {
	if len(pw) > MaxPasswordBytes {
		return false
	}
	if hash == "" {
		_, _ = VerifyPassword(pw, s.dummyHash())
		return false
	}
	ok, err := VerifyPassword(pw, hash)
	if err != nil {
		_, _ = VerifyPassword(pw, s.dummyHash())
		return false
	}
	return ok
}

// failed records a failed attempt number n; at MaxFailures it locks the
// account (ending its pending second-factor sessions) and returns the
// RateLimited error to give back, otherwise nil.
func (s *Service) failed(ctx context.Context, a account, n int, ip, detail string) error {
	if n < s.cfg.MaxFailures {
		if err := s.log.Write(ctx, a.entry("login.failed", ip, fmt.Sprintf("%s (failure %d of %d)", detail, n, s.cfg.MaxFailures))); err != nil {
			return fmt.Errorf("auth: record failed login: %w", err)
		}
		return nil
	}
	until := s.clock().Add(s.cfg.LockFor)
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET locked_until = ? WHERE id = ?`, until, a.id); err != nil {
			return fmt.Errorf("auth: lock account: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND mfa_pending`, a.id); err != nil {
			return fmt.Errorf("auth: end pending sessions: %w", err)
		}
		if err := s.log.Record(ctx, tx, a.entry("login.failed", ip, fmt.Sprintf("%s (failure %d of %d)", detail, n, s.cfg.MaxFailures))); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, a.entry("account.locked", ip, "locked until "+until.Format(time.RFC3339)))
	})
	if err != nil {
		return err
	}
	return s.lockedErr(until)
}

// Session is a browser session. ID is the raw cookie value and is set only
// when the session is created (the store keeps its SHA-256 alone); CSRF is
// the token forms must echo.
type Session struct {
	ID         string
	CSRF       string
	UserID     int64
	MFAPending bool
	ExpiresAt  time.Time
}

// LoginResult is the outcome of a password login.
type LoginResult struct {
	Session Session
	// NeedTOTP: the session is MFA-pending; ask for a code and call
	// CompleteTOTP.
	NeedTOTP bool
	// NeedEnrol: policy requires TOTP but the user has none; the UI must
	// send them to enrolment (BeginTOTP, ConfirmTOTP).
	NeedEnrol bool
	// Lang is the interface language saved with the account ("vi" unless
	// the user chose "en"); the UI restores it on a device that has no
	// choice of its own yet.
	Lang string
}

// Login checks an email and password and opens a session. An unknown
// email and a wrong password give the same errs.Unauthorized "wrong email
// or password" and cost the same hashing. Each failed attempt is counted
// against the account: from the fourth on, the attempt waits first
// (Config.Sleep, growing), and at MaxFailures the account locks for
// LockFor (errs.RateLimited "account locked, try again after HH:MM").
// Failures are recorded as "login.failed", locks as "account.locked".
//
// On success the session is always new (a fresh random ID, never one the
// browser brought), so the web layer should also Logout the session of
// the cookie it is replacing. With TOTP enabled the session is
// MFA-pending (NeedTOTP) until CompleteTOTP; otherwise "login" is recorded.
// ip and userAgent are stored with the session, clipped to sane sizes.
func (s *Service) Login(ctx context.Context, email, password, ip, userAgent string) (LoginResult, error) {
	ip, userAgent = clip(ip, maxIPLen), clip(userAgent, maxUserAgentLen)
	e, err := lookupEmail(email)
	if err != nil {
		return LoginResult{}, err
	}
	a, err := s.account(ctx, s.db, "u.email = ?", e)
	if errs.Is(err, errs.NotFound) {
		s.verify(password, "")
		actor := "(invalid email)"
		if ne, err := normEmail(e); err == nil {
			actor = ne
		}
		if err := s.log.Write(ctx, audit.Entry{Action: "login.failed", Actor: actor, IP: ip, Detail: "unknown email"}); err != nil {
			return LoginResult{}, fmt.Errorf("auth: record failed login: %w", err)
		}
		return LoginResult{}, errWrongLogin()
	}
	if err != nil {
		return LoginResult{}, err
	}
	if err := s.checkLocked(ctx, a, ip); err != nil {
		return LoginResult{}, err
	}
	n, err := s.reserve(ctx, a, ip)
	if err != nil {
		return LoginResult{}, err
	}
	if err := s.slowDown(ctx, n); err != nil {
		return LoginResult{}, err
	}
	if !s.verify(password, a.hash) {
		if err := s.failed(ctx, a, n, ip, "wrong password"); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, errWrongLogin()
	}
	if a.disabled {
		_ = s.log.Write(ctx, a.entry("login.failed", ip, "account disabled"))
		return LoginResult{}, errs.E(errs.Unauthorized, "this account is disabled")
	}
	var rehash string
	if needsRehash(a.hash, s.cfg.Argon2) {
		rehash, _ = HashPassword(password, s.cfg.Argon2)
	}
	var res LoginResult
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		now := s.clock()
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?`, a.id, now); err != nil {
			return fmt.Errorf("auth: purge sessions: %w", err)
		}
		if rehash != "" {
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, rehash, a.id, a.hash); err != nil {
				return fmt.Errorf("auth: upgrade password hash: %w", err)
			}
		}
		if a.totpEnabled {
			// The failure count is not reset until the second factor
			// passes: otherwise each right password would buy a fresh
			// round of code guesses.
			sess, err := s.newSession(ctx, tx, a.id, true, ip, userAgent)
			res = LoginResult{Session: sess, NeedTOTP: true, Lang: a.lang}
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0, last_login_at = ? WHERE id = ?`, now, a.id); err != nil {
			return fmt.Errorf("auth: record login: %w", err)
		}
		sess, err := s.newSession(ctx, tx, a.id, false, ip, userAgent)
		if err != nil {
			return err
		}
		res = LoginResult{Session: sess, NeedEnrol: s.totpRequired(a.roles), Lang: a.lang}
		return s.log.Record(ctx, tx, a.entry("login", ip, "password"))
	})
	if err != nil {
		return LoginResult{}, err
	}
	return res, nil
}

// newSession inserts a session with fresh random ID and CSRF token.
func (s *Service) newSession(ctx context.Context, tx *store.Tx, userID int64, pending bool, ip, userAgent string) (Session, error) {
	now := s.clock()
	exp := now.Add(min(s.cfg.SessionTTL, s.cfg.SessionMaxAge))
	if pending {
		exp = now.Add(pendingTTL)
	}
	sess := Session{ID: randomString(32), CSRF: randomString(32), UserID: userID, MFAPending: pending, ExpiresAt: exp}
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, csrf_token, mfa_pending, created_at, last_seen_at, expires_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, sha256Hex(sess.ID), userID, sess.CSRF, pending, now, now, exp, ip, userAgent)
	if err != nil {
		return Session{}, fmt.Errorf("auth: create session: %w", err)
	}
	return sess, nil
}

// validSessionID reports whether s has the shape of an ID newSession makes:
// 32 bytes in unpadded base64url. Anything else is refused before it
// reaches the database.
func validSessionID(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func errSessionExpired() error {
	return errs.E(errs.Unauthorized, "your session has ended, please log in again")
}

type sessionRow struct {
	userID            int64
	csrf              string
	pending           bool
	created, lastSeen store.Time
	expires           store.Time
	ip, userAgent     string
}

func (s *Service) readSession(ctx context.Context, q store.Querier, hash string) (sessionRow, error) {
	var r sessionRow
	err := q.QueryRow(ctx, `SELECT user_id, csrf_token, mfa_pending, created_at, last_seen_at, expires_at, ip, user_agent
		FROM sessions WHERE id = ?`, hash).
		Scan(&r.userID, &r.csrf, &r.pending, &r.created, &r.lastSeen, &r.expires, &r.ip, &r.userAgent)
	if errs.Is(err, errs.NotFound) {
		return r, errSessionExpired()
	}
	if err != nil {
		return r, fmt.Errorf("auth: read session: %w", err)
	}
	return r, nil
}

// Authenticate resolves a session cookie. A valid, unexpired session gives
// the Session (ID empty) and the user's principal; an MFA-pending one gives
// the Session with MFAPending set and a nil principal, and no error; an
// unknown, expired or malformed one, or a disabled user, errs.Unauthorized.
// Use slides the idle expiry (written at most once a minute), never past
// SessionMaxAge from the login.
func (s *Service) Authenticate(ctx context.Context, sessionID string) (Session, *access.Principal, error) {
	if !validSessionID(sessionID) {
		return Session{}, nil, errSessionExpired()
	}
	hash := sha256Hex(sessionID)
	var csrf string
	var pending bool
	var created, lastSeen, expires store.Time
	var pr principalRow
	err := s.db.QueryRow(ctx, `SELECT s.csrf_token, s.mfa_pending, s.created_at, s.last_seen_at, s.expires_at, `+principalColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN agencies a ON a.id = u.agency_id WHERE s.id = ?`, hash).
		Scan(append([]any{&csrf, &pending, &created, &lastSeen, &expires}, pr.dest()...)...)
	if errs.Is(err, errs.NotFound) {
		return Session{}, nil, errSessionExpired()
	}
	if err != nil {
		return Session{}, nil, fmt.Errorf("auth: read session: %w", err)
	}
	now := s.clock()
	if !now.Before(expires.Time) {
		_, _ = s.db.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, hash)
		return Session{}, nil, errSessionExpired()
	}
	sess := Session{CSRF: csrf, UserID: pr.p.UserID, MFAPending: pending, ExpiresAt: expires.Time}
	if pending {
		return sess, nil, nil
	}
	p, err := pr.finish(ctx, s.db)
	if err != nil {
		return Session{}, nil, err
	}
	if now.Sub(lastSeen.Time) >= touchEvery {
		exp := now.Add(s.cfg.SessionTTL)
		if maxExp := created.Time.Add(s.cfg.SessionMaxAge); exp.After(maxExp) {
			exp = maxExp
		}
		if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`, now, exp, hash); err != nil {
			return Session{}, nil, fmt.Errorf("auth: touch session: %w", err)
		}
		sess.ExpiresAt = exp
	}
	return sess, p, nil
}

// Logout ends a session and records "logout". An unknown or malformed
// session ID is not an error: the browser is logged out either way.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	if !validSessionID(sessionID) {
		return nil
	}
	hash := sha256Hex(sessionID)
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		r, err := s.readSession(ctx, tx, hash)
		if errs.Is(err, errs.Unauthorized) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, hash); err != nil {
			return fmt.Errorf("auth: logout: %w", err)
		}
		a, err := s.account(ctx, tx, "u.id = ?", r.userID)
		if err != nil {
			return err
		}
		return s.log.Record(ctx, tx, a.entry("logout", "", ""))
	})
}

// PurgeSessions deletes expired sessions and returns how many; a
// background job calls it (Login also purges the user's own).
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, s.clock())
	if err != nil {
		return 0, fmt.Errorf("auth: purge sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
