package auth

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// Token is an API token as listed; the raw value is shown only once, by
// CreateToken.
type Token struct {
	ID         int64
	UserID     int64
	UserEmail  string
	Name       string
	Prefix     string // the first characters of the raw token, to recognise it
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TokenPrefix starts every raw API token, so leaked tokens are easy to
// spot by secret scanners.
const TokenPrefix = "bwk_"

const (
	tokenLen     = len(TokenPrefix) + 43 // 32 random bytes, base64url
	shownPrefix  = len(TokenPrefix) + 8
	tokenColumns = `t.id, t.user_id, u.email, t.name, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`
	tokenFrom    = ` FROM api_tokens t JOIN users u ON u.id = t.user_id`
)

// validToken reports whether raw has the shape CreateToken gives, so junk
// is refused before it is hashed and looked up.
func validToken(raw string) bool {
	rest, ok := strings.CutPrefix(raw, TokenPrefix)
	return ok && len(raw) == tokenLen && validSessionID(rest)
}

func scanToken(r scanner) (Token, error) {
	var t Token
	var created, exp, used, revoked store.Time
	if err := r.Scan(&t.ID, &t.UserID, &t.UserEmail, &t.Name, &t.Prefix, &created, &exp, &used, &revoked); err != nil {
		return t, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = created.Time, exp.Ptr(), used.Ptr(), revoked.Ptr()
	return t, nil
}

// CreateToken makes an API token for a user (access.CanManageToken: the
// user themselves or an admin) and returns the raw token, shown once, and
// its record. ttl 0 means no expiry; at most MaxTokenTTL. The owner must be
// an enabled account. Records "token.create".
func (s *Service) CreateToken(ctx context.Context, userID int64, name string, ttl time.Duration) (string, Token, error) {
	p, err := caller(ctx)
	if err != nil {
		return "", Token{}, err
	}
	if !access.CanManageToken(p, userID) {
		return "", Token{}, s.log.Denied(ctx, "create API tokens for another user", "user", strconv.FormatInt(userID, 10))
	}
	name, err = text("name", name, MaxTokenNameLen, true)
	if err != nil {
		return "", Token{}, err
	}
	if ttl < 0 || ttl > MaxTokenTTL {
		return "", Token{}, errs.Field("ttl", "expiry must be between 0 (never) and %d days", int(MaxTokenTTL/(24*time.Hour)))
	}
	raw := TokenPrefix + randomString(32)
	now := s.clock()
	var exp *time.Time
	if ttl > 0 {
		e := now.Add(ttl)
		exp = &e
	}
	var t Token
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := s.account(ctx, tx, "u.id = ?", userID)
		if err != nil {
			return err
		}
		if a.disabled {
			return errs.E(errs.Invalid, "the account is disabled")
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, userID, name, raw[:shownPrefix], sha256Hex(raw), now, store.NullTime(exp)).Scan(&id)
		if err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		t = Token{ID: id, UserID: userID, UserEmail: a.email, Name: name, Prefix: raw[:shownPrefix], CreatedAt: now, ExpiresAt: exp}
		detail := fmt.Sprintf("owner=%s name=%q expires=never", a.email, name)
		if exp != nil {
			detail = fmt.Sprintf("owner=%s name=%q expires=%s", a.email, name, exp.Format(time.RFC3339))
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "token.create", ObjectType: "api_token", ObjectID: strconv.FormatInt(id, 10), Detail: detail})
	})
	if err != nil {
		return "", Token{}, err
	}
	return raw, t, nil
}

// ListTokens lists a user's tokens, revoked and expired ones included,
// newest first (access.CanManageToken). userID 0 lists everyone's and is
// for admins only.
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]Token, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + tokenColumns + tokenFrom
	var args []any
	switch {
	case userID == 0 && !p.Has(access.Admin):
		return nil, s.log.Denied(ctx, "list everyone's API tokens", "api_token", "")
	case userID != 0 && !access.CanManageToken(p, userID):
		return nil, s.log.Denied(ctx, "list another user's API tokens", "user", strconv.FormatInt(userID, 10))
	case userID != 0:
		q += ` WHERE t.user_id = ?`
		args = append(args, userID)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY t.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes a token at once (access.CanManageToken on its
// owner). Revoking a revoked token changes nothing and records nothing.
// Records "token.revoke".
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	oid := strconv.FormatInt(id, 10)
	t, err := scanToken(s.db.QueryRow(ctx, `SELECT `+tokenColumns+tokenFrom+` WHERE t.id = ?`, id))
	if errs.Is(err, errs.NotFound) {
		if !p.Has(access.Admin) {
			// Do not tell other users which token ids exist.
			return s.log.Denied(ctx, "revoke this API token", "api_token", oid)
		}
		return errs.Wrap(errs.NotFound, err, "token not found")
	}
	if err != nil {
		return fmt.Errorf("auth: read token: %w", err)
	}
	if !access.CanManageToken(p, t.UserID) {
		return s.log.Denied(ctx, "revoke this API token", "api_token", oid)
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, s.clock(), id)
		if err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "token.revoke", ObjectType: "api_token", ObjectID: oid,
			Detail: fmt.Sprintf("owner=%s name=%q", t.UserEmail, t.Name)})
	})
}

// AuthenticateToken resolves a raw API token to its owner's principal.
// Malformed, unknown, revoked and expired tokens and disabled owners all
// give the same errs.Unauthorized. Use is written back to last_used_at at
// most once a minute.
func (s *Service) AuthenticateToken(ctx context.Context, raw string) (*access.Principal, error) {
	bad := errs.E(errs.Unauthorized, "invalid, expired or revoked API token")
	if !validToken(raw) {
		return nil, bad
	}
	var id int64
	var exp, used, revoked store.Time
	var pr principalRow
	err := s.db.QueryRow(ctx, `SELECT t.id, t.expires_at, t.last_used_at, t.revoked_at, `+principalColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN agencies a ON a.id = u.agency_id WHERE t.token_hash = ?`, sha256Hex(raw)).
		Scan(append([]any{&id, &exp, &used, &revoked}, pr.dest()...)...)
	if errs.Is(err, errs.NotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read token: %w", err)
	}
	now := s.clock()
	if revoked.Valid || (exp.Valid && !now.Before(exp.Time)) {
		return nil, bad
	}
	p, err := pr.finish(ctx, s.db)
	if errs.Is(err, errs.Unauthorized) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if !used.Valid || now.Sub(used.Time) >= touchEvery {
		if _, err := s.db.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now, id); err != nil {
			return nil, fmt.Errorf("auth: touch token: %w", err)
		}
	}
	return p, nil
}
