package directive

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/directive/ical"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// A calendar feed lets a person subscribe to their agency's deadlines in
// a calendar application, which can send neither a session cookie nor an
// Authorization header: the feed's address carries a secret instead. The
// secret is shown once when created; only its SHA-256 is stored. The feed
// reads with its owner's rights as they are at each fetch (a disabled
// account, a changed agency or role take effect at once) and can do
// nothing but read the calendar.

// FeedTokenPrefix starts every feed secret (so a leaked one is recognisable).
const FeedTokenPrefix = "bcal_"

// feedTouchEvery bounds how often a fetch writes last_used_at.
const feedTouchEvery = time.Hour

// Feed describes the caller's calendar feed (never its secret).
type Feed struct {
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

var feedEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newFeedToken() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return FeedTokenPrefix + strings.ToLower(feedEncoding.EncodeToString(b[:]))
}

// validFeedToken checks the shape before any database work.
func validFeedToken(t string) bool {
	rest, ok := strings.CutPrefix(t, FeedTokenPrefix)
	if !ok || len(rest) != 32 {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func feedHash(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// feedOwner is the signed-in person a feed belongs to: the system and
// other non-personal principals have none.
func feedOwner(ctx context.Context) (*access.Principal, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.System || p.UserID == 0 {
		return nil, errs.E(errs.Invalid, "a calendar feed belongs to a person")
	}
	return p, nil
}

// CalendarFeed returns the caller's feed, or nil when they have none.
func (s *Service) CalendarFeed(ctx context.Context) (*Feed, error) {
	p, err := feedOwner(ctx)
	if err != nil {
		return nil, err
	}
	var f Feed
	var used store.Time
	err = s.db.QueryRow(ctx, `SELECT created_at, last_used_at FROM calendar_feeds WHERE user_id = ?`, p.UserID).Scan(&f.CreatedAt, &used)
	if errs.Is(err, errs.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("directive: calendar feed: %w", err)
	}
	f.CreatedAt, f.LastUsedAt = f.CreatedAt.UTC(), used.Ptr()
	return &f, nil
}

// CreateCalendarFeed gives the caller a new feed secret, replacing (and so
// revoking) the previous one. The secret is returned only here.
func (s *Service) CreateCalendarFeed(ctx context.Context) (string, error) {
	p, err := feedOwner(ctx)
	if err != nil {
		return "", err
	}
	token := newFeedToken()
	err = s.transact(ctx, func(tx *store.Tx) error {
		now := s.stamp()
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at, last_used_at = NULL`,
			p.UserID, feedHash(token), now); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "calendar.feed.create", ObjectType: "user", ObjectID: fmt.Sprint(p.UserID)})
	})
	if err != nil {
		return "", fmt.Errorf("directive: create calendar feed: %w", err)
	}
	return token, nil
}

// RevokeCalendarFeed stops the caller's feed; revoking none is no error.
func (s *Service) RevokeCalendarFeed(ctx context.Context) error {
	p, err := feedOwner(ctx)
	if err != nil {
		return err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM calendar_feeds WHERE user_id = ?`, p.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "calendar.feed.revoke", ObjectType: "user", ObjectID: fmt.Sprint(p.UserID)})
	})
	if err != nil {
		return fmt.Errorf("directive: revoke calendar feed: %w", err)
	}
	return nil
}

// FeedCalendar is the calendar a feed secret opens, without a login: its
// owner's agency's deadlines (those the owner may see) and the meetings,
// read with the owner's current rights. A malformed, unknown or revoked
// secret and a disabled owner all give the same errs.Unauthorized.
func (s *Service) FeedCalendar(ctx context.Context, token, host string) (ical.Calendar, error) {
	bad := errs.E(errs.Unauthorized, "unknown or revoked calendar feed")
	if !validFeedToken(token) {
		return ical.Calendar{}, bad
	}
	if s.principals == nil {
		return ical.Calendar{}, errs.E(errs.Unavailable, "calendar feeds are not available")
	}
	var userID int64
	var used store.Time
	err := s.db.QueryRow(ctx, `SELECT user_id, last_used_at FROM calendar_feeds WHERE token_hash = ?`, feedHash(token)).Scan(&userID, &used)
	if errs.Is(err, errs.NotFound) {
		return ical.Calendar{}, bad
	}
	if err != nil {
		return ical.Calendar{}, fmt.Errorf("directive: calendar feed: %w", err)
	}
	p, err := s.principals(ctx, userID)
	if errs.Is(err, errs.Unauthorized) {
		return ical.Calendar{}, bad
	}
	if err != nil {
		return ical.Calendar{}, err
	}
	if now := s.stamp(); !used.Valid || now.Sub(used.Time) >= feedTouchEvery {
		if _, err := s.db.Exec(ctx, `UPDATE calendar_feeds SET last_used_at = ? WHERE user_id = ?`, now, userID); err != nil {
			return ical.Calendar{}, fmt.Errorf("directive: calendar feed: %w", err)
		}
	}
	return s.Calendar(access.With(ctx, p), 0, host)
}
