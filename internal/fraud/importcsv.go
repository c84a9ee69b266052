package fraud

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// ImportRow is the result of one CSV line.
type ImportRow struct {
	Line         int    `json:"line"`
	OK           bool   `json:"ok"`
	TrackingCode string `json:"tracking_code,omitempty"`
	Field        string `json:"field,omitempty"`
	Error        string `json:"error,omitempty"`
}

// ImportResult is the per-row report of an import.
type ImportResult struct {
	Rows     []ImportRow `json:"rows"`
	Imported int         `json:"imported"`
	Failed   int         `json:"failed"`
	// Stopped says why the import ended before the end of the file (too
	// large, upload cut); the rows listed were processed all the same.
	Stopped string `json:"stopped,omitempty"`
}

// ImportSummary counts the rows of an import whose per-row results went
// to a callback (ImportCSVRows).
type ImportSummary struct {
	Imported int `json:"imported"`
	Failed   int `json:"failed"`
}

// importColumns are the accepted header names. kind and value are
// required; the others optional.
var importColumns = []string{"kind", "value", "bank", "account_name", "channel", "scam_type", "occurred_on", "amount", "narrative"}

// importBatch is how many rows are stored per transaction: one commit
// (and on PostgreSQL one advisory lock) per row made a large file slow.
const importBatch = 200

// ImportCSV files one report per CSV row and returns every row's result
// (see ImportCSVRows; this form keeps the whole report in memory, which
// suits pages and small files). progress, when not nil, is called with
// the number of rows done.
func (s *Service) ImportCSV(ctx context.Context, r io.Reader, progress func(done int)) (ImportResult, error) {
	res := ImportResult{Rows: []ImportRow{}}
	sum, err := s.ImportCSVRows(ctx, r, func(row ImportRow) error {
		res.Rows = append(res.Rows, row)
		if progress != nil {
			progress(len(res.Rows))
		}
		return nil
	})
	res.Imported, res.Failed = sum.Imported, sum.Failed
	return res, err
}

// ImportCSVRows files one report per CSV row (e.g. a telecom's list of
// reported numbers), as staff intake with the crime-prevention legal
// basis, reading the file row by row: memory does not grow with the file.
// The first row is the header (any order of importColumns; kind and value
// required). A bad row is reported and skipped; the others are stored,
// importBatch rows per transaction. emit receives each row's result in
// file order once its batch is stored; an error from emit stops the
// import. A file over Config.MaxImportBytes stops with errs.TooLarge after
// the rows before the limit (which are stored and reported).
func (s *Service) ImportCSVRows(ctx context.Context, r io.Reader, emit func(ImportRow) error) (ImportSummary, error) {
	var sum ImportSummary
	p, err := access.Require(ctx)
	if err != nil {
		return sum, err
	}
	if !access.CanFileFraudReport(p) {
		return sum, s.log.Denied(ctx, "fraud.report.import", "fraud_report", "")
	}
	max := s.cfg.MaxImportBytes
	lr := &io.LimitedReader{R: r, N: max + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return sum, errs.Field("file", "the CSV file has no header row")
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		for _, c := range importColumns {
			if h == c {
				col[c] = i
			}
		}
	}
	_, hasKind := col["kind"]
	_, hasValue := col["value"]
	if !hasKind || !hasValue {
		return sum, errs.Field("file", "the header must name the columns kind and value")
	}

	// pending holds the rows read since the last commit, in file order;
	// the prepared ones are stored together, then all are emitted.
	type pendingRow struct {
		row  ImportRow
		prep *prepared
	}
	var pending []pendingRow
	stored := 0
	flush := func() error {
		if stored > 0 {
			now := s.stamp()
			err := s.transact(ctx, func(tx *store.Tx) error {
				var first, last int64
				for i := range pending {
					if pending[i].prep == nil {
						continue
					}
					code := newTrackingCode()
					id, err := s.insertReport(ctx, tx, *pending[i].prep, SourceImport, BasisCrimePrevention, p, code, now)
					if err != nil {
						return fmt.Errorf("line %d: %w", pending[i].row.Line, err)
					}
					if first == 0 {
						first = id
					}
					last = id
					pending[i].row.TrackingCode = code
				}
				// One audit entry per batch: the import is one act of one
				// person; the entry names the reports' id range.
				return s.record(ctx, tx, "fraud.report.import", "fraud_report", first,
					fmt.Sprintf("source=import reports=%d ids=%d-%d", stored, first, last))
			})
			if err != nil {
				return fmt.Errorf("fraud: import: %w", err)
			}
		}
		for _, pr := range pending {
			if pr.prep != nil {
				pr.row.OK = true
				sum.Imported++
			} else {
				sum.Failed++
			}
			if err := emit(pr.row); err != nil {
				return err
			}
		}
		pending, stored = pending[:0], 0
		return nil
	}
	now := s.now()
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if lr.N <= 0 {
			if ferr := flush(); ferr != nil {
				return sum, ferr
			}
			return sum, errs.E(errs.TooLarge, "the file is larger than %d MB; split it", max>>20)
		}
		row := ImportRow{}
		if err == nil {
			// FieldPos panics after a failed Read: ask only on success.
			row.Line, _ = cr.FieldPos(0)
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				// The upload itself failed (connection cut, body limit).
				if ferr := flush(); ferr != nil {
					return sum, ferr
				}
				return sum, errs.Wrap(errs.Invalid, err, "the file could not be read to its end")
			}
			row.Line, row.Error = pe.Line, "malformed CSV line"
			pending = append(pending, pendingRow{row: row})
		} else if prep, field, msg := s.importRow(rec, col, now); prep == nil {
			row.Field, row.Error = field, msg
			pending = append(pending, pendingRow{row: row})
		} else {
			pending = append(pending, pendingRow{row: row, prep: prep})
			stored++
		}
		if len(pending) >= importBatch {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	return sum, flush()
}

// importRow turns one CSV record into a prepared report, or says which
// field is wrong and why.
func (s *Service) importRow(rec []string, col map[string]int, now time.Time) (*prepared, string, string) {
	get := func(c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	in := ReportInput{Channel: Channel(get("channel")), ScamType: get("scam_type"), OccurredOn: get("occurred_on"), Narrative: get("narrative"),
		Identifiers: []Identifier{{Kind: IdentifierKind(get("kind")), Value: get("value"), Bank: get("bank"), AccountName: get("account_name")}}}
	if in.Channel == "" {
		in.Channel = ChannelOther
	}
	if a := get("amount"); a != "" {
		n, err := strconv.ParseInt(strings.NewReplacer(".", "", ",", "", " ", "").Replace(a), 10, 64)
		if err != nil {
			return nil, "amount", "must be a whole number of đồng"
		}
		in.Amount = n
	}
	pr, err := prepare(in, now, false)
	if err != nil {
		return nil, strings.Replace(errs.FieldOf(err), "identifiers[0].", "", 1), errs.Message(err)
	}
	return &pr, "", ""
}
