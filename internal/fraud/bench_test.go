package fraud_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/fraud"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// benchDBs runs fn on each engine.
func benchDBs(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, storetest.Postgres(b)) })
}

func benchService(db *store.DB) *fraud.Service {
	return fraud.New(fraud.Deps{DB: db, Audit: audit.New(db, time.Now)}, fraud.Config{LookupBurst: 1 << 30, LookupInterval: time.Nanosecond})
}

// seedSubjects files n staff reports, each naming a distinct phone, URL
// and account (3n subjects).
func seedSubjects(b *testing.B, svc *fraud.Service, n int) {
	b.Helper()
	ctx := access.With(context.Background(), access.SystemPrincipal())
	for i := range n {
		in := fraud.ReportInput{Channel: fraud.ChannelCall, Identifiers: []fraud.Identifier{
			{Kind: fraud.KindPhone, Value: fmt.Sprintf("091%07d", i)},
			{Kind: fraud.KindURL, Value: fmt.Sprintf("https://login.scam-%d.com.vn/dang-nhap", i)},
			{Kind: fraud.KindAccount, Bank: "VCB", Value: fmt.Sprintf("%013d", i)},
		}}
		if _, err := svc.File(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup measures the public look-up (normalise with ioc.DetectAll,
// then one indexed query on lookup_key) against a baseline that searches
// the raw values with LIKE, as a naive implementation would.
func BenchmarkLookup(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		svc := benchService(db)
		const n = 2000
		seedSubjects(b, svc, n)
		ctx := context.Background()
		queries := []string{"0910001234", "+84 910 001 999", "https://a.scam-77.com.vn/x", "0000000001500", "0987654321"}
		b.Run("indexed", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := svc.Lookup(ctx, queries[i%len(queries)], "bench"); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
		b.Run("baseline-like-scan", func(b *testing.B) {
			i := 0
			for b.Loop() {
				q := queries[i%len(queries)]
				rows, err := db.Query(ctx, `SELECT kind, value, status FROM fraud_subjects WHERE value LIKE ?`, "%"+q[len(q)-6:]+"%")
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
	})
}

// BenchmarkSubmit measures storing one report naming three identifiers
// (normalisation, subject upserts, links, audit row) in one transaction.
func BenchmarkSubmit(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		svc := benchService(db)
		ctx := access.With(context.Background(), access.SystemPrincipal())
		i := 0
		for b.Loop() {
			in := fraud.ReportInput{Channel: fraud.ChannelCall, Identifiers: []fraud.Identifier{
				{Kind: fraud.KindPhone, Value: fmt.Sprintf("098%07d", i%500)},
				{Kind: fraud.KindURL, Value: fmt.Sprintf("https://x%d.example.com/a", i%300)},
				{Kind: fraud.KindAccount, Bank: "MB", Value: fmt.Sprintf("%010d", i%700)},
			}}
			if _, err := svc.File(ctx, in); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
	})
}

// BenchmarkCanonical measures normalising one identifier of each kind.
func BenchmarkCanonical(b *testing.B) {
	for _, id := range []fraud.Identifier{
		{Kind: fraud.KindPhone, Value: "84-912-345-678"},
		{Kind: fraud.KindURL, Value: "hxxps://secure.vietcombank-xacthuc[.]com/login?id=7"},
		{Kind: fraud.KindAccount, Bank: "vcb", Value: "0011 0012 34567"},
		{Kind: fraud.KindSocial, Value: "https://www.facebook.com/Some.Page?ref=share"},
	} {
		b.Run(string(id.Kind), func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := fraud.Canonical(id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBlocklistRPZ renders the RPZ zone of confirmed domains.
func BenchmarkBlocklistRPZ(b *testing.B) {
	db := storetest.SQLite(b)
	svc := benchService(db)
	seedSubjects(b, svc, 1000)
	ctx := access.With(context.Background(), access.SystemPrincipal())
	if _, err := db.Exec(ctx, `UPDATE fraud_subjects SET status = 'confirmed', confirmed_at = updated_at WHERE kind = 'domain'`); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		bl, err := svc.Blocklist(ctx, fraud.BlocklistRPZ)
		if err != nil || bl.Entries != 1000 {
			b.Fatal(err, bl.Entries)
		}
	}
}
