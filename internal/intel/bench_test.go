package intel

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"

	"bulwark/internal/access"
	"bulwark/internal/sharedtest"
	"bulwark/internal/store"
)

// generated writes n distinct indicators as CSV "type,value,tags": a
// realistic mix of domains, URLs, IPv4 addresses and SHA-256 hashes.
func generated(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		for i := range n {
			switch i % 4 {
			case 0:
				fmt.Fprintf(bw, "domain,bad-%d.example-%d.vn,gen\n", i, i%97)
			case 1:
				fmt.Fprintf(bw, "url,http://host-%d.example.com/p/%d?id=%d,gen\n", i%5000, i, i)
			case 2:
				fmt.Fprintf(bw, "ipv4,%d.%d.%d.%d,gen\n", 11+i>>24&0x7f, i>>16&0xff, i>>8&0xff, i&0xff)
			case 3:
				fmt.Fprintf(bw, "sha256,%064x,gen\n", uint64(i)*0x9e3779b97f4a7c15)
			}
		}
		bw.Flush()
		pw.Close()
	}()
	return pr
}

// dbBytes is the size of the SQLite files in dir.
func dbBytes(dir string) int64 {
	var n int64
	matches, _ := filepath.Glob(filepath.Join(dir, "*.db*"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func openBenchDB(b *testing.B) (*store.DB, string) {
	dir := b.TempDir()
	db, err := store.Open(b.Context(), filepath.Join(dir, "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	return db, dir
}

// BenchmarkImportGenerated imports generated indicators into a fresh
// SQLite database per iteration and reports the rate and the database
// size per million indicators. Run the million with
// go test -run XXX -bench 'ImportGenerated/n=1000000' -benchtime 1x ./internal/intel/
func BenchmarkImportGenerated(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var rate, perM float64
			for b.Loop() {
				b.StopTimer()
				db, dir := openBenchDB(b)
				f := newFixture(b, db)
				b.StartTimer()
				start := time.Now()
				j, err := f.svc.ImportReader(f.sysCtx, generated(n), 0, ImportOptions{Format: FormatCSV, TLP: access.Green,
					CSV: CSVMapping{Type: "1", Value: "2", Tags: "3"}})
				if err != nil || j.Created != int64(n) {
					b.Fatalf("import = %+v, %v", j, err)
				}
				el := time.Since(start)
				b.StopTimer()
				if _, err := db.Exec(b.Context(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
					b.Fatal(err)
				}
				rate = float64(n) / el.Seconds()
				perM = float64(dbBytes(dir)) / float64(n) * 1e6 / (1 << 20)
				// The hot query at this size: the first page of a filtered list.
				qs := time.Now()
				if _, err := f.svc.List(f.as("B"), Filter{Type: "domain", Tag: "gen", Limit: 50}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(time.Since(qs).Microseconds()), "list_µs")
				qs = time.Now()
				if _, err := f.svc.List(f.as("B"), Filter{Query: "bad-4242.example-71.vn"}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(time.Since(qs).Microseconds()), "search_µs")
				b.StartTimer()
			}
			b.ReportMetric(rate, "indicators/s")
			b.ReportMetric(perM, "MiB/1M")
		})
	}
}

// maltrail converts the maltrail static trails (indicator, family,
// category) to CSV "value,family": ports are cut from ip:port trails and
// bare host/path trails get a scheme so they are URLs.
func maltrail(r io.Reader, limit int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		bw := bufio.NewWriterSize(pw, 1<<20)
		n := 0
		for sc.Scan() {
			v, fam, _ := strings.Cut(sc.Text(), "\t")
			if v == "indicator" || v == "" {
				continue
			}
			fam, _, _ = strings.Cut(fam, "\t")
			if i := strings.LastIndexByte(v, ':'); i > 0 && !strings.Contains(v, "/") && strings.Count(v, ".") == 3 {
				v = v[:i]
			}
			if strings.Contains(v, "/") && !strings.Contains(v, "://") {
				v = "http://" + v
			}
			fmt.Fprintf(bw, "%s\t%s\n", strings.ReplaceAll(v, "\"", ""), strings.ReplaceAll(fam, "\"", ""))
			n++
			if limit > 0 && n >= limit {
				break
			}
		}
		bw.Flush()
		pw.CloseWithError(sc.Err())
	}()
	return pr
}

func openMaltrail(tb testing.TB) io.Reader {
	path := filepath.Join(sharedtest.Dir(tb, "maltrail"), "maltrail-static-iocs.tsv.xz")
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	zr, err := xz.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		tb.Fatal(err)
	}
	return zr
}

var maltrailCSV = CSVMapping{Value: "1", Tags: "2", Comma: "\t"}

// TestMaltrailSlice imports the first 3000 maltrail trails: every line is
// accounted for as created, merged or rejected with a reason.
func TestMaltrailSlice(t *testing.T) {
	r := openMaltrail(t)
	f := newFixture(t, openSQLiteForTest(t))
	j, err := f.svc.ImportReader(f.sysCtx, maltrail(r, 3000), 0, ImportOptions{Format: FormatCSV, TLP: access.Green, Source: "maltrail", CSV: maltrailCSV})
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusDone || j.Items != 3000 || j.Created+j.Merged+j.Rejected != 3000 || j.Created < 2500 {
		t.Errorf("maltrail slice = %d items, %d created, %d merged, %d rejected; want 3000 accounted for, most created\n%+v", j.Items, j.Created, j.Merged, j.Rejected, j.Problems[:min(5, len(j.Problems))])
	}
}

// BenchmarkImportMaltrail imports all 1.85 million maltrail trails.
func BenchmarkImportMaltrail(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		db, dir := openBenchDB(b)
		f := newFixture(b, db)
		r := openMaltrail(b)
		b.StartTimer()
		start := time.Now()
		j, err := f.svc.ImportReader(f.sysCtx, maltrail(r, 0), 0, ImportOptions{Format: FormatCSV, TLP: access.Green, Source: "maltrail", CSV: maltrailCSV})
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		b.StopTimer()
		db.Exec(b.Context(), `PRAGMA wal_checkpoint(TRUNCATE)`)
		b.ReportMetric(float64(j.Items)/el.Seconds(), "lines/s")
		b.ReportMetric(float64(j.Created), "created")
		b.ReportMetric(float64(j.Rejected), "rejected")
		b.ReportMetric(float64(dbBytes(dir))/(1<<20), "MiB")
		b.StartTimer()
	}
}
