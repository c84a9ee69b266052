package fraud_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/fraud"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// generatedCSV writes n rows, every 100th one bad, into a pipe so the
// file is never whole in memory; a row naming an already seen number adds
// to its subject.
func generatedCSV(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		fmt.Fprint(pw, "kind,value,channel,scam_type,amount,narrative\n")
		for i := range n {
			if i%100 == 99 {
				fmt.Fprintf(pw, "phone,+84 000 %d,call,,,\n", i)
				continue
			}
			fmt.Fprintf(pw, "phone,09%08d,sms,investment,%d,\"Tin nhắn mời đầu tư, dòng %d\"\n", i%5000, 1000*(i%7), i)
		}
		pw.Close()
	}()
	return pr
}

// TestImportCSVRowsStreams: a file larger than one batch is stored in
// batches with every row reported once, in file order; a file over the
// configured limit stops with TooLarge after the rows before the limit,
// which are stored and reported.
func TestImportCSVRowsStreams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		const rows = 2_000
		start := time.Now()
		next, bad := 2, 0
		sum, err := w.svc.ImportCSVRows(w.as("analyst"), generatedCSV(rows), func(r fraud.ImportRow) error {
			if r.Line != next {
				t.Fatalf("row for line %d, want line %d", r.Line, next)
			}
			next++
			if !r.OK {
				bad++
				if r.Field != "value" || r.TrackingCode != "" {
					t.Errorf("bad row %+v", r)
				}
			} else if !strings.HasPrefix(r.TrackingCode, "LD-") {
				t.Errorf("row %d has no tracking code", r.Line)
			}
			return nil
		})
		t.Logf("%d rows in %v (%.0f rows/s)", rows, time.Since(start), rows/time.Since(start).Seconds())
		if err != nil || sum.Imported != rows-rows/100 || sum.Failed != rows/100 || bad != rows/100 || next != rows+2 {
			t.Fatalf("ImportCSVRows = %+v, %v (rows seen %d, bad %d)", sum, err, next-2, bad)
		}
		var stored int
		if err := db.QueryRow(w.as("analyst"), `SELECT COUNT(*) FROM fraud_reports WHERE source = 'import'`).Scan(&stored); err != nil || stored != sum.Imported {
			t.Errorf("stored %d import reports (%v), want %d", stored, err, sum.Imported)
		}
		sb, err := w.svc.SubjectByValue(w.as("analyst"), fraud.KindPhone, "+84900000007")
		if err != nil || sb.ReportCount != 1 || sb.AmountTotal != 0 {
			t.Errorf("subject of row 7 = %+v, %v", sb, err)
		}

		// A 4 KiB limit: the rows that fit are stored, then TooLarge.
		small := fraud.New(fraud.Deps{DB: db, Audit: w.log, Now: w.clock.Now}, fraud.Config{MaxImportBytes: 4 << 10})
		n := 0
		sum, err = small.ImportCSVRows(w.as("analyst"), generatedCSV(1000), func(fraud.ImportRow) error { n++; return nil })
		if !errs.Is(err, errs.TooLarge) || n == 0 || n > 4<<10/40 || sum.Imported+sum.Failed != n {
			t.Errorf("over the limit: %+v, %v after %d rows", sum, err, n)
		}
	})
}

// FuzzImportCSVRows: whatever the file, the importer answers every row it
// read once, in file order, with a tracking code exactly for the stored
// ones, and never fails with an internal error (bad input is a per-row
// result or a clear refusal).
func FuzzImportCSVRows(f *testing.F) {
	w := newWorld(f, storetest.SQLite(f))
	for _, s := range []string{
		"kind,value\nphone,0912345678\n",
		"\ufeffvalue,kind,amount\n0912 345 678,phone,\"1.000\"\nx,y,z\n",
		"kind,value\n\"unterminated\n",
		"kind,value,bank\naccount,0011001234567,VCB\nurl,https://u:p@x.example,\n",
		"kind,value\nphone\n,,,,,,,,,,,,\n",
		"a,b\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		last, rows := 0, 0
		sum, err := w.svc.ImportCSVRows(w.as("analyst"), bytes.NewReader(data), func(r fraud.ImportRow) error {
			rows++
			if r.Line < last {
				t.Fatalf("row for line %d after line %d", r.Line, last)
			}
			last = r.Line
			if r.OK != (r.TrackingCode != "") || (!r.OK && r.Error == "") {
				t.Fatalf("row %+v", r)
			}
			return nil
		})
		if err != nil && errs.KindOf(err) == errs.Internal {
			t.Fatalf("ImportCSVRows(%q) = %v", data, err)
		}
		if sum.Imported+sum.Failed != rows {
			t.Fatalf("summary %+v for %d rows", sum, rows)
		}
	})
}
