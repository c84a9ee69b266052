package fraud

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"

	"bulwark/internal/access"
	"bulwark/internal/errs"
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
}

// importColumns are the accepted header names. kind and value are
// required; the others optional.
var importColumns = []string{"kind", "value", "bank", "account_name", "channel", "scam_type", "occurred_on", "amount", "narrative"}

// ImportCSV files one report per CSV row (e.g. a telecom's list of
// reported numbers), as staff intake with the crime-prevention legal basis.
// The first row is the header (any order of importColumns; kind and value
// required). A bad row is reported and skipped; the others are stored.
// progress, when not nil, is called after each row. Limits: MaxImportBytes
// and MaxImportRows.
func (s *Service) ImportCSV(ctx context.Context, r io.Reader, progress func(done int)) (ImportResult, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	if !access.CanFileFraudReport(p) {
		return ImportResult{}, s.log.Denied(ctx, "fraud.report.import", "fraud_report", "")
	}
	lr := &io.LimitedReader{R: r, N: MaxImportBytes + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return ImportResult{}, errs.Field("file", "the CSV file has no header row")
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
	if _, ok := col["kind"]; !ok {
		return ImportResult{}, errs.Field("file", "the header must name the columns kind and value")
	}
	if _, ok := col["value"]; !ok {
		return ImportResult{}, errs.Field("file", "the header must name the columns kind and value")
	}
	res := ImportResult{Rows: []ImportRow{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if lr.N <= 0 {
			return res, errs.E(errs.TooLarge, "the file is larger than %d MB; split it", MaxImportBytes>>20)
		}
		if len(res.Rows) >= MaxImportRows {
			return res, errs.E(errs.TooLarge, "at most %d rows per import; split the file", MaxImportRows)
		}
		row := ImportRow{Line: line}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				row.Line = pe.Line
			}
			row.Error = "malformed CSV line"
			res.Rows, res.Failed = append(res.Rows, row), res.Failed+1
			continue
		}
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
				row.Field, row.Error = "amount", "must be a whole number of đồng"
				res.Rows, res.Failed = append(res.Rows, row), res.Failed+1
				continue
			}
			in.Amount = n
		}
		pr, err := prepare(in, s.now(), false)
		if err == nil {
			var rc Receipt
			rc, err = s.store(ctx, pr, SourceImport, BasisCrimePrevention, p)
			row.TrackingCode = rc.TrackingCode
		}
		if err != nil {
			if errs.KindOf(err) == errs.Internal {
				return res, err
			}
			row.Field, row.Error = strings.Replace(errs.FieldOf(err), "identifiers[0].", "", 1), errs.Message(err)
			res.Failed++
		} else {
			row.OK = true
			res.Imported++
		}
		res.Rows = append(res.Rows, row)
		if progress != nil {
			progress(len(res.Rows))
		}
	}
	return res, nil
}
