package index_test

import (
	"fmt"
	"time"

	"bulwark/internal/detect/index"
)

func Example() {
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	// Built in the background from a snapshot of the shared indicators.
	b := index.NewBuilder(index.Options{
		Now:         func() time.Time { return now },
		Members:     []int64{1, 2, 3},
		CallingCode: "84",
	})
	for _, ind := range []index.Indicator{
		{ID: 101, Kind: index.KindDomain, Value: "evil.example", Audience: index.Everyone()},               // TLP:CLEAR
		{ID: 102, Kind: index.KindCIDR, Value: "198.51.100.0/24", Audience: index.Members()},               // TLP:GREEN
		{ID: 103, Kind: index.KindURL, Value: "http://shop.example/pay", Audience: index.Agencies(2)},      // TLP:AMBER+STRICT of agency 2
		{ID: 104, Kind: index.KindPhone, Value: "+84912345678", Audience: index.Everyone(), Revoked: true}, // left out
	} {
		if err := b.Add(ind); err != nil {
			fmt.Println(err)
		}
	}
	var h index.Holder
	h.Store(b.Build())

	// On the hot path: one Load per batch, a reused buffer per worker.
	ix := h.Load()
	var buf []index.Match
	buf = ix.MatchDomain("CDN.Evil.Example.", 1, buf[:0])
	fmt.Println(buf)
	buf = ix.Match(index.KindIPv4, "198.51.100.7:443", 1, buf[:0])
	fmt.Println(buf)
	url := "HTTP://shop.example:80/pay#x"
	buf = ix.MatchURL(url, 1, buf[:0]) // agency 1 may not use 103
	buf = ix.MatchHost(index.URLHost(url), 1, buf)
	fmt.Println(buf)
	buf = ix.MatchURL(url, 2, buf[:0])
	fmt.Println(buf)
	fmt.Println(ix.Stats().Loaded, ix.Stats().Excluded)
	// Output:
	// [{101 domain}]
	// [{102 cidr}]
	// []
	// [{103 url}]
	// 3 1
}
