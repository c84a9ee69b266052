package index

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"bulwark/internal/sharedtest"
)

// sharedTestdata returns the path of ../shared/testdata/<rel> seen from the
// repository root. It skips the test when the file is absent, unless
// BULWARK_TEST_SHARED=required, where it fails.
func sharedTestdata(tb testing.TB, rel string) string { return sharedtest.Dir(tb, rel) }

// maltrailRow is one usable row of the maltrail static trails.
type maltrailRow struct {
	kind  Kind
	value string
}

// readMaltrail reads up to limit rows (0 = all) of the xz-compressed
// maltrail TSV and turns them into indicator values: ip:port becomes the IP,
// "[v6]:port" the IPv6 address, schemeless URLs get "http://", bare paths
// ("/x.apk", matched by maltrail against any host) are skipped. It returns
// the rows and how many were skipped (bare paths, unusable values). A value listed again (the same IP
// with another port, the same domain under another family) is kept once,
// as the intelligence store would hold it.
func readMaltrail(tb testing.TB, limit int) ([]maltrailRow, int) {
	tb.Helper()
	f, err := os.Open(sharedTestdata(tb, "maltrail/maltrail-static-iocs.tsv.xz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := xz.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		tb.Fatalf("xz: %v", err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var rows []maltrailRow
	seen := make(map[maltrailRow]bool)
	skipped, read := 0, 0
	for sc.Scan() {
		if limit > 0 && read >= limit {
			break
		}
		read++
		v, _, _ := strings.Cut(sc.Text(), "\t")
		if r, ok := maltrailIndicator(v); ok {
			if !seen[r] {
				seen[r] = true
				rows = append(rows, r)
			}
		} else {
			skipped++
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		tb.Fatalf("read maltrail: %v", err)
	}
	return rows, skipped
}

func maltrailIndicator(v string) (maltrailRow, bool) {
	switch {
	case v == "" || v[0] == '/' || v[0] == '#':
		return maltrailRow{}, false
	case strings.Contains(v, "://"):
		return maltrailRow{KindURL, v}, true
	case strings.HasPrefix(v, "["):
		if a, ok := ParseIP(v); ok {
			return maltrailRow{ipKind(a), a.String()}, true
		}
		return maltrailRow{}, false
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return maltrailRow{KindCIDR, p.Masked().String()}, true
	}
	if strings.Contains(v, "/") {
		return maltrailRow{KindURL, "http://" + v}, true
	}
	host, _, _ := strings.Cut(v, ":") // "1.2.3.4:80", "1.2.3.4:22:443", "host:port"
	if a, err := netip.ParseAddr(host); err == nil {
		return maltrailRow{ipKind(a), a.String()}, true
	}
	if d, ok := NormalizeDomain(host); ok {
		return maltrailRow{KindDomain, d}, true
	}
	return maltrailRow{}, false
}

func ipKind(a netip.Addr) Kind {
	if a.Unmap().Is4() {
		return KindIPv4
	}
	return KindIPv6
}

// readZeekQueries returns the DNS query names of the Zeek sample, as events
// carry them.
func readZeekQueries(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(sharedTestdata(tb, "zeek-wrccdc2018/dns.sample10k.ndjson.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	dec := json.NewDecoder(zr)
	for {
		var ev struct {
			Query string `json:"query"`
		}
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			tb.Fatalf("zeek dns: %v", err)
		}
		if ev.Query != "" {
			out = append(out, ev.Query)
		}
	}
	return out
}
