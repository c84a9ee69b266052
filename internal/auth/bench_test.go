package auth

import (
	"context"
	"testing"

	"bulwark/internal/access"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// BenchmarkHashPassword measures one argon2id hash, which is what a login
// costs in CPU and memory: the production cost and the test cost.
func BenchmarkHashPassword(b *testing.B) {
	for _, c := range []struct {
		name string
		p    Argon2
	}{
		{"default-64MiB-t1-p2", DefaultArgon2()},
		{"test-8KiB", testArgon2},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := HashPassword("Sông Hồng chảy qua 36 phố", c.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	for b.Loop() {
		_ = CheckPassword("ngựa phi đường xa 1975", 12, "an@so.gov.vn", "Nguyễn Văn An")
	}
}

// BenchmarkAuthenticate measures the per-request cost of a session cookie
// and of an API token on each engine (the hot path of every request).
func BenchmarkAuthenticate(b *testing.B) {
	for _, eng := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{
		{"sqlite", func(tb testing.TB) *store.DB { return storetest.SQLite(tb) }},
		{"postgres", func(tb testing.TB) *store.DB { return storetest.Postgres(tb) }},
	} {
		b.Run(eng.name, func(b *testing.B) {
			f := newFixture(b, eng.open(b), Config{})
			u := f.user("mai@so.gov.vn", agDoST, access.Analyst)
			res, err := f.svc.Login(context.Background(), u.Email, testPassword, "", "")
			if err != nil {
				b.Fatal(err)
			}
			raw, _, err := f.svc.CreateToken(f.sys, u.ID, "bench", 0)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.Run("session", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := f.svc.Authenticate(ctx, res.Session.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("token", func(b *testing.B) {
				for b.Loop() {
					if _, err := f.svc.AuthenticateToken(ctx, raw); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("session-parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, _, err := f.svc.Authenticate(ctx, res.Session.ID); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}
