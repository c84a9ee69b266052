package agency_test

import (
	"fmt"
	"testing"

	"bulwark/internal/agency"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// BenchmarkDirectory measures the directory's hot reads on both engines
// with a national-scale directory: 2,000 agencies, a body of 60 seats.
func BenchmarkDirectory(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", func(tb testing.TB) *store.DB { return storetest.SQLite(tb) }}, {"postgres", storetest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			db := engine.open(b)
			s := agency.NewService(db, nil, nil)
			ctx := system()
			const n = 2000
			for i := range n {
				if _, err := s.CreateAgency(ctx, agency.AgencyInput{Code: fmt.Sprintf("AG%05d", i),
					NameVI: fmt.Sprintf("Ủy ban nhân dân xã Hòa Phước %d", i), NameEN: fmt.Sprintf("Commune %d", i),
					Kind: agency.Kinds[1+i%(len(agency.Kinds)-1)]}); err != nil {
					b.Fatal(err)
				}
			}
			body, err := s.CreateBody(ctx, agency.Body{Code: "TB", NameVI: "Tiểu ban", Kind: agency.BodySubcommittee})
			if err != nil {
				b.Fatal(err)
			}
			for i := range 60 {
				m := agency.Membership{BodyID: body.ID, PersonName: fmt.Sprintf("Nguyễn Văn %d", i), AgencyID: int64(1 + i),
					Role: agency.RoleMember, From: "2024-01-01"}
				if i%3 == 0 {
					m.To = "2024-12-31"
				}
				if _, err := s.Appoint(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
			for _, c := range []struct {
				name string
				f    agency.AgencyFilter
			}{
				{"list-page", agency.AgencyFilter{Limit: 50, Offset: 500}},
				{"list-kind", agency.AgencyFilter{Kind: agency.KindBank, Limit: 50}},
				{"search-folded", agency.AgencyFilter{Query: "hoa phuoc 19", Limit: 50}},
				{"search-miss", agency.AgencyFilter{Query: "không có", Limit: 50}},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if _, _, err := s.ListAgencies(ctx, c.f); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			b.Run("composition", func(b *testing.B) {
				for b.Loop() {
					ms, err := s.Composition(ctx, body.ID, "2025-06-01")
					if err != nil || len(ms) != 40 {
						b.Fatalf("Composition = %d, %v", len(ms), err)
					}
				}
			})
		})
	}
}
