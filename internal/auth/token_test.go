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

func TestTokens(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{})
		admin := f.user("admin@bulwark.vn", agStanding, access.Admin)
		mai := f.user("mai@so.gov.vn", agDoST, access.Analyst)
		binh := f.user("binh@so.gov.vn", agDoST, access.Analyst)
		ctx := context.Background()

		creates := []struct {
			name      string
			ctx       context.Context
			owner     int64
			tokenName string
			ttl       time.Duration
			wantKind  errs.Kind
			wantField string
		}{
			{"own", f.as(mai), mai.ID, "sensor tường lửa", 0, 0, ""},
			{"own with expiry", f.as(mai), mai.ID, "tạm thời", time.Hour, 0, ""},
			{"admin for another", f.as(admin), binh.ID, "ingest", 0, 0, ""},
			{"for another denied", f.as(mai), binh.ID, "x", 0, errs.Forbidden, ""},
			{"anonymous", ctx, mai.ID, "x", 0, errs.Unauthorized, ""},
			{"no name", f.as(mai), mai.ID, " ", 0, errs.Invalid, "name"},
			{"long name", f.as(mai), mai.ID, strings.Repeat("x", 101), 0, errs.Invalid, "name"},
			{"negative ttl", f.as(mai), mai.ID, "x", -time.Second, errs.Invalid, "ttl"},
			{"ttl too long", f.as(mai), mai.ID, "x", MaxTokenTTL + time.Hour, errs.Invalid, "ttl"},
			{"unknown owner", f.as(admin), 9999, "x", 0, errs.NotFound, ""},
		}
		raws := map[string]string{}
		toks := map[string]Token{}
		for _, tt := range creates {
			t.Run(tt.name, func(t *testing.T) {
				raw, tok, err := f.svc.CreateToken(tt.ctx, tt.owner, tt.tokenName, tt.ttl)
				if tt.wantKind != 0 {
					if errs.KindOf(err) != tt.wantKind || errs.FieldOf(err) != tt.wantField {
						t.Errorf("CreateToken = %v, want kind %v field %q", err, tt.wantKind, tt.wantField)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !validToken(raw) || !strings.HasPrefix(raw, tok.Prefix) || len(tok.Prefix) != 12 || tok.UserID != tt.owner {
					t.Errorf("CreateToken = %q, %+v", raw, tok)
				}
				if (tok.ExpiresAt != nil) != (tt.ttl > 0) {
					t.Errorf("ExpiresAt = %v for ttl %v", tok.ExpiresAt, tt.ttl)
				}
				raws[tt.name], toks[tt.name] = raw, tok
			})
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = ? OR prefix = ?`, raws["own"], raws["own"]).Scan(&n); err != nil || n != 0 {
			t.Errorf("raw token stored (%d, %v)", n, err)
		}

		p, err := f.svc.AuthenticateToken(ctx, raws["own"])
		if err != nil || p.UserID != mai.ID || !p.Has(access.Analyst) {
			t.Fatalf("AuthenticateToken = %+v, %v", p, err)
		}
		lastUsed := func(id int64) *time.Time {
			var lu store.Time
			if err := db.QueryRow(ctx, `SELECT last_used_at FROM api_tokens WHERE id = ?`, id).Scan(&lu); err != nil {
				t.Fatal(err)
			}
			return lu.Ptr()
		}
		first := f.now
		f.advance(20 * time.Second)
		_, _ = f.svc.AuthenticateToken(ctx, raws["own"])
		if lu := lastUsed(toks["own"].ID); lu == nil || !lu.Equal(first) {
			t.Errorf("last_used_at = %v, want %v (written at most once a minute)", lu, first)
		}
		f.advance(time.Minute)
		_, _ = f.svc.AuthenticateToken(ctx, raws["own"])
		if lu := lastUsed(toks["own"].ID); lu == nil || !lu.Equal(f.now) {
			t.Errorf("last_used_at = %v, want %v", lu, f.now)
		}

		// Listing.
		names := func(ts []Token) []string {
			var out []string
			for _, t := range ts {
				out = append(out, t.Name)
			}
			return out
		}
		list, err := f.svc.ListTokens(f.as(mai), mai.ID)
		if diff := cmp.Diff([]string{"tạm thời", "sensor tường lửa"}, names(list)); diff != "" || err != nil {
			t.Errorf("ListTokens(own) %v (-want +got):\n%s", err, diff)
		}
		if _, err := f.svc.ListTokens(f.as(mai), binh.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("ListTokens(other) = %v, want Forbidden", err)
		}
		if _, err := f.svc.ListTokens(f.as(mai), 0); !errs.Is(err, errs.Forbidden) {
			t.Errorf("ListTokens(all) by analyst = %v, want Forbidden", err)
		}
		all, err := f.svc.ListTokens(f.as(admin), 0)
		if err != nil || len(all) != 3 || all[0].UserEmail != binh.Email {
			t.Errorf("ListTokens(all) by admin = %+v, %v", all, err)
		}

		// Expiry.
		if _, err := f.svc.AuthenticateToken(ctx, raws["own with expiry"]); err != nil {
			t.Errorf("unexpired token = %v", err)
		}
		f.advance(time.Hour)
		if _, err := f.svc.AuthenticateToken(ctx, raws["own with expiry"]); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("expired token = %v, want Unauthorized", err)
		}

		// Revocation: not by others, by the owner, idempotent.
		if err := f.svc.RevokeToken(f.as(binh), toks["own"].ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("RevokeToken by another = %v, want Forbidden", err)
		}
		if err := f.svc.RevokeToken(f.as(binh), 9999); !errs.Is(err, errs.Forbidden) {
			t.Errorf("RevokeToken unknown by non-admin = %v, want Forbidden", err)
		}
		if err := f.svc.RevokeToken(f.as(admin), 9999); !errs.Is(err, errs.NotFound) {
			t.Errorf("RevokeToken unknown by admin = %v, want NotFound", err)
		}
		for range 2 {
			if err := f.svc.RevokeToken(f.as(mai), toks["own"].ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.AuthenticateToken(ctx, raws["own"]); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("revoked token = %v, want Unauthorized", err)
		}
		list, _ = f.svc.ListTokens(f.as(mai), mai.ID)
		if list[1].RevokedAt == nil {
			t.Errorf("revoked token listed without RevokedAt: %+v", list[1])
		}

		// A disabled owner's tokens stop working, and come back on enable.
		if _, err := f.svc.AuthenticateToken(ctx, raws["admin for another"]); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetDisabled(f.sys, binh.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AuthenticateToken(ctx, raws["admin for another"]); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("disabled owner's token = %v, want Unauthorized", err)
		}
		if _, _, err := f.svc.CreateToken(f.sys, binh.ID, "x", 0); !errs.Is(err, errs.Invalid) {
			t.Errorf("CreateToken for disabled = %v, want Invalid", err)
		}

		for _, bad := range []string{"", "bwk_", "bwk_" + strings.Repeat("A", 43), raws["own"][:46], "xyz_" + raws["own"][4:], raws["own"] + "A"} {
			if _, err := f.svc.AuthenticateToken(ctx, bad); !errs.Is(err, errs.Unauthorized) {
				t.Errorf("AuthenticateToken(%q) = %v, want Unauthorized", bad, err)
			}
		}
		want := []string{"token.create", "token.create", "token.create", "token.revoke"}
		if diff := cmp.Diff(want, f.actions("token.")); diff != "" {
			t.Errorf("audit (-want +got):\n%s", diff)
		}
	})
}

func FuzzValidToken(f *testing.F) {
	f.Add("bwk_" + randomString(32))
	f.Add(randomString(32))
	f.Add("bwk_")
	f.Add("bwk_" + strings.Repeat("é", 22))
	f.Fuzz(func(t *testing.T, s string) {
		if validToken(s) {
			if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
				t.Fatalf("validToken(%q) accepted a wrong shape", s)
			}
		}
		if validSessionID(s) && len(s) != 43 {
			t.Fatalf("validSessionID(%q) accepted a wrong length", s)
		}
	})
}
