package incident_test

import (
	"fmt"
	"testing"
	"time"

	"bulwark/internal/incident"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// BenchmarkListAndSearch measures the hot queries of the incident list on
// both engines over 1,000 incidents: a page of the list, full-text search,
// the overdue filter, and filing an incident.
func BenchmarkListAndSearch(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			w := newWorld(b, engine.open(b))
			ctx := w.as("reporter")
			words := []string{"giao diện", "mã độc", "lừa đảo", "từ chối dịch vụ", "lộ dữ liệu"}
			start := time.Now()
			const n = 1000
			for i := range n {
				in := defacement(w)
				in.Title = fmt.Sprintf("Sự cố %d: %s trên hệ thống %d", i, words[i%len(words)], i%37)
				in.Severity = incident.Severities[i%4]
				if _, err := w.svc.Create(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: filing %d incidents took %v (%.0f µs each)", engine.name, n, time.Since(start), float64(time.Since(start).Microseconds())/n)
			coord := w.as("coord")
			for _, q := range []struct {
				name string
				f    incident.Filter
			}{
				{"page", incident.Filter{Limit: 50}},
				{"search", incident.Filter{Query: "ma doc", Limit: 50}},
				{"search-prefix-2-words", incident.Filter{Query: "tu choi", Limit: 50}},
				{"overdue", incident.Filter{Overdue: true, Limit: 50}},
				{"severity+category", incident.Filter{Severity: incident.SeverityHigh, Category: "information-content-security", Limit: 50}},
			} {
				b.Run(q.name, func(b *testing.B) {
					for b.Loop() {
						if _, _, err := w.svc.List(coord, q.f); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			b.Run("list-as-outsider", func(b *testing.B) {
				tel := w.as("telecom")
				for b.Loop() {
					if _, _, err := w.svc.List(tel, incident.Filter{Limit: 50}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
