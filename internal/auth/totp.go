package auth

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/sealed"
	"bulwark/internal/store"
)

// TOTP settings: what every authenticator app understands.
const (
	totpPeriod = 30
	totpSkew   = 1
	// recoveryLen is the length of a recovery code without dashes: 16
	// base32 letters, 80 random bits, so SHA-256 storage is enough.
	recoveryLen = 16
)

// RecoveryCodes is how many recovery codes ConfirmTOTP hands out.
const RecoveryCodes = 10

var hotpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPRequired reports whether policy obliges u to use TOTP: Require2FA is
// on and u is an admin or a coordinator.
func (s *Service) TOTPRequired(u User) bool { return s.totpRequired(u.Roles) }

func (s *Service) totpRequired(roles []access.Role) bool {
	return s.cfg.Require2FA && (slices.Contains(roles, access.Admin) || slices.Contains(roles, access.Coordinator))
}

// BeginTOTP starts enrolment for the caller: a new secret is stored as
// pending (TOTP is not enabled and an existing one keeps working) and
// returned with its otpauth:// URL for a QR code. Records "totp.begin".
func (s *Service) BeginTOTP(ctx context.Context) (secret, otpauthURL string, err error) {
	p, err := self(ctx, "two-factor enrolment")
	if err != nil {
		return "", "", err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.Issuer, AccountName: p.Email, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", fmt.Errorf("auth: generate TOTP secret: %w", err)
	}
	stored, err := s.cfg.Secrets.Seal(totpPurpose(p.UserID), key.Secret())
	if err != nil {
		return "", "", fmt.Errorf("auth: seal TOTP secret: %w", err)
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_pending = ?, updated_at = ? WHERE id = ?`, stored, s.clock(), p.UserID); err != nil {
			return fmt.Errorf("auth: store pending TOTP: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "totp.begin", ObjectType: "user", ObjectID: strconv.FormatInt(p.UserID, 10)})
	})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// totpPurpose binds a sealed TOTP seed to its user's row.
func totpPurpose(userID int64) string { return "totp:" + strconv.FormatInt(userID, 10) }

// openTOTP reads a stored TOTP seed (sealed, or in clear from before a key
// was configured). A seed that does not open means the key file changed:
// the user cannot pass the second factor until an admin resets it, and the
// cause is logged without the value.
func (s *Service) openTOTP(userID int64, stored string) (string, error) {
	secret, err := s.cfg.Secrets.Open(totpPurpose(userID), stored)
	if err != nil {
		return "", fmt.Errorf("auth: TOTP secret of user %d does not open (was the key file replaced?): %w", userID, err)
	}
	return secret, nil
}

// resealTOTP seals a seed still stored in clear, once it has just been
// used successfully. Failure only leaves it in clear until next time.
func (s *Service) resealTOTP(ctx context.Context, userID int64, stored, secret string) {
	if s.cfg.Secrets == nil || sealed.Sealed(stored) {
		return
	}
	v, err := s.cfg.Secrets.Seal(totpPurpose(userID), secret)
	if err != nil {
		return
	}
	_, _ = s.db.Exec(ctx, `UPDATE users SET totp_secret = ? WHERE id = ? AND totp_secret = ?`, v, userID, stored)
}

// isTOTPCode reports whether code is six ASCII digits.
func isTOTPCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// totpStep returns the 30-second step at which code is valid for secret,
// looking one step either side of now for clock skew.
func totpStep(secret, code string, now time.Time) (int64, bool) {
	if !isTOTPCode(code) || secret == "" {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	found, at := false, int64(0)
	// Check every candidate so the time taken does not say which matched.
	for st := cur - totpSkew; st <= cur+totpSkew; st++ {
		if st < 0 {
			continue
		}
		ok, err := hotp.ValidateCustom(code, uint64(st), secret, hotpOpts)
		if err == nil && ok && !found {
			found, at = true, st
		}
	}
	return at, found
}

// useTOTP accepts code for the user's secret once: the step it belongs to
// must be later than the last accepted one, and recording it is a single
// conditional update, so two requests cannot both use the same code.
func (s *Service) useTOTP(ctx context.Context, q store.Querier, userID int64, secret, code string) (bool, error) {
	st, ok := totpStep(secret, code, s.now())
	if !ok {
		return false, nil
	}
	res, err := q.Exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, st, userID, st)
	if err != nil {
		return false, fmt.Errorf("auth: record TOTP use: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("auth: record TOTP use: %w", err)
	}
	return n == 1, nil
}

// normRecovery turns what the user typed into the stored form: lower case
// without dashes and spaces; ok is false when it cannot be a code.
func normRecovery(code string) (string, bool) {
	if len(code) > maxCodeLen {
		return "", false
	}
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ':
		case 'a' <= r && r <= 'z', '2' <= r && r <= '7':
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	if b.Len() != recoveryLen {
		return "", false
	}
	return b.String(), true
}

// useRecovery marks one unused recovery code of the user as used, in one
// conditional update so it works once only.
func (s *Service) useRecovery(ctx context.Context, userID int64, code string) (bool, error) {
	c, ok := normRecovery(code)
	if !ok {
		return false, nil
	}
	res, err := s.db.Exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		s.clock(), userID, sha256Hex(c))
	if err != nil {
		return false, fmt.Errorf("auth: use recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("auth: use recovery code: %w", err)
	}
	return n == 1, nil
}

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newRecoveryCode() (display, stored string) {
	b := make([]byte, recoveryLen*5/8)
	_, _ = rand.Read(b)
	c := strings.ToLower(recoveryEncoding.EncodeToString(b))
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16], c
}

// ConfirmTOTP checks a code from the pending secret, enables TOTP with it
// and returns RecoveryCodes fresh recovery codes (shown once, stored
// hashed; earlier codes stop working). Records "totp.enable".
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	p, err := self(ctx, "two-factor enrolment")
	if err != nil {
		return nil, err
	}
	code = strings.TrimSpace(code)
	if len(code) > maxCodeLen {
		return nil, errs.Field("code", "too long")
	}
	a, err := s.account(ctx, s.db, "u.id = ?", p.UserID)
	if err != nil {
		return nil, err
	}
	if a.totpPending == "" {
		return nil, errs.E(errs.Invalid, "start two-factor enrolment first")
	}
	pending, err := s.openTOTP(a.id, a.totpPending)
	if err != nil {
		return nil, err
	}
	st, ok := totpStep(pending, code, s.now())
	if !ok {
		return nil, errs.Field("code", "wrong code; check that your phone's clock is right and try the next code")
	}
	display := make([]string, RecoveryCodes)
	stored := make([]string, RecoveryCodes)
	for i := range display {
		display[i], stored[i] = newRecoveryCode()
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET totp_secret = totp_pending, totp_pending = '', totp_enabled = TRUE,
			totp_last_step = ?, updated_at = ? WHERE id = ? AND totp_pending = ? AND totp_last_step < ?`,
			st, s.clock(), a.id, a.totpPending, st)
		if err != nil {
			return fmt.Errorf("auth: enable TOTP: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Field("code", "this code was already used or enrolment restarted; try the next code")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, a.id); err != nil {
			return fmt.Errorf("auth: replace recovery codes: %w", err)
		}
		for _, c := range stored {
			if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, a.id, sha256Hex(c)); err != nil {
				return fmt.Errorf("auth: store recovery code: %w", err)
			}
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "totp.enable", ObjectType: "user", ObjectID: strconv.FormatInt(a.id, 10)})
	})
	if err != nil {
		return nil, err
	}
	return display, nil
}

// DisableTOTP turns off TOTP for a user and deletes their recovery codes.
// Users may do it for themselves unless policy requires TOTP for their
// role; admins may do it for anyone else (a lost phone). Records
// "totp.disable".
func (s *Service) DisableTOTP(ctx context.Context, userID int64) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	id := strconv.FormatInt(userID, 10)
	u, err := s.getUser(ctx, s.db, "u.id = ?", userID)
	if err != nil {
		if errs.Is(err, errs.NotFound) && !access.CanManageUsers(p) {
			return s.log.Denied(ctx, "turn off two-factor sign-in for another user", "user", id)
		}
		return err
	}
	switch {
	case p.UserID == userID && s.TOTPRequired(u):
		return s.log.Denied(ctx, "turn off two-factor sign-in, which your role requires", "user", id)
	case p.UserID != userID && !access.CanManageUsers(p):
		return s.log.Denied(ctx, "turn off two-factor sign-in for another user", "user", id)
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_enabled = FALSE, totp_secret = '', totp_pending = '', updated_at = ? WHERE id = ?`,
			s.clock(), userID); err != nil {
			return fmt.Errorf("auth: disable TOTP: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("auth: delete recovery codes: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "totp.disable", ObjectType: "user", ObjectID: id, Detail: "email=" + u.Email})
	})
}

// RecoveryCodesLeft returns how many unused recovery codes the caller has,
// so the UI can suggest new ones when few remain.
func (s *Service) RecoveryCodesLeft(ctx context.Context) (int, error) {
	p, err := self(ctx, "recovery codes")
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, p.UserID).Scan(&n); err != nil {
		return 0, fmt.Errorf("auth: count recovery codes: %w", err)
	}
	return n, nil
}

func errPendingExpired() error {
	return errs.E(errs.Unauthorized, "your sign-in has expired, please log in again")
}

// CompleteTOTP finishes a login whose session is MFA-pending: code is a
// six-digit TOTP code (each usable once) or one of the recovery codes
// (single use). On success the pending session is deleted and a NEW full
// session returned (rotation), "login" recorded. Wrong codes count toward
// the lockout like wrong passwords.
func (s *Service) CompleteTOTP(ctx context.Context, sessionID, code string) (Session, error) {
	code = strings.TrimSpace(code)
	if len(code) > maxCodeLen {
		return Session{}, errs.Field("code", "too long")
	}
	if !validSessionID(sessionID) {
		return Session{}, errPendingExpired()
	}
	hash := sha256Hex(sessionID)
	r, err := s.readSession(ctx, s.db, hash)
	if errs.Is(err, errs.Unauthorized) || (err == nil && (!r.pending || !s.now().Before(r.expires.Time))) {
		return Session{}, errPendingExpired()
	}
	if err != nil {
		return Session{}, err
	}
	a, err := s.account(ctx, s.db, "u.id = ?", r.userID)
	if err != nil {
		return Session{}, err
	}
	if a.disabled || !a.totpEnabled {
		return Session{}, errPendingExpired()
	}
	if err := s.checkLocked(ctx, a, r.ip); err != nil {
		return Session{}, err
	}
	n, err := s.reserve(ctx, a, r.ip)
	if err != nil {
		return Session{}, err
	}
	if err := s.slowDown(ctx, n); err != nil {
		return Session{}, err
	}
	method := "password+totp"
	var ok bool
	if isTOTPCode(code) {
		var secret string
		if secret, err = s.openTOTP(a.id, a.totpSecret); err != nil {
			return Session{}, err
		}
		if ok, err = s.useTOTP(ctx, s.db, a.id, secret, code); ok && err == nil {
			s.resealTOTP(ctx, a.id, a.totpSecret, secret)
		}
	} else {
		method = "password+recovery code"
		ok, err = s.useRecovery(ctx, a.id, code)
	}
	if err != nil {
		return Session{}, err
	}
	if !ok {
		if err := s.failed(ctx, a, n, r.ip, "wrong second-factor code"); err != nil {
			return Session{}, err
		}
		return Session{}, errs.E(errs.Unauthorized, "wrong code")
	}
	var sess Session
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ? AND mfa_pending`, hash)
		if err != nil {
			return fmt.Errorf("auth: end pending session: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errPendingExpired() // finished by a concurrent request
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0, last_login_at = ? WHERE id = ?`, s.clock(), a.id); err != nil {
			return fmt.Errorf("auth: record login: %w", err)
		}
		if sess, err = s.newSession(ctx, tx, a.id, false, r.ip, r.userAgent); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, a.entry("login", r.ip, method))
	})
	if err != nil {
		return Session{}, err
	}
	return sess, nil
}
