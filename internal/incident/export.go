package incident

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// exportColumns are the columns of CSV and XLSX exports: the CSV header
// (for machines) and the XLSX header (for people, in Vietnamese).
var exportColumns = []struct{ key, vi string }{
	{"ref", "Số hiệu"}, {"title", "Tiêu đề"}, {"category", "Phân loại"}, {"severity", "Mức độ"}, {"serious", "Sự cố nghiêm trọng"},
	{"tlp", "TLP"}, {"pap", "PAP"}, {"status", "Trạng thái"}, {"owner_agency", "Đơn vị báo cáo"}, {"lead_agency", "Đơn vị chủ trì"},
	{"detected_at", "Phát hiện lúc"}, {"reported_at", "Báo cáo lúc"}, {"acknowledged_at", "Tiếp nhận lúc"}, {"contained_at", "Ngăn chặn lúc"},
	{"resolved_at", "Kết thúc ứng phó lúc"}, {"closed_at", "Đóng lúc"}, {"next_due_at", "Thời hạn tiếp theo"}, {"overdue", "Quá hạn"},
}

func exportRow(inc Incident, loc *time.Location) []string {
	t := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.In(loc).Format("2006-01-02 15:04")
	}
	yes := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	return []string{inc.Ref, inc.Title, inc.Category, string(inc.Severity), yes(inc.Serious), string(inc.TLP), string(inc.PAP),
		string(inc.Status), inc.Owner.Code, inc.Lead.Code, t(&inc.DetectedAt), t(&inc.ReportedAt), t(inc.AcknowledgedAt),
		t(inc.ContainedAt), t(inc.ResolvedAt), t(inc.ClosedAt), t(inc.NextDueAt), yes(inc.Overdue)}
}

// defuse keeps a spreadsheet from reading a cell as a formula (CSV
// injection): text starting with = + - @ or a control character gets a
// leading apostrophe.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes incidents as CSV (UTF-8, header row, times in the
// province's zone), with formula-looking cells defused.
func WriteCSV(w io.Writer, list []Incident, loc *time.Location) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(exportColumns))
	for i, c := range exportColumns {
		head[i] = c.key
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("incident: csv: %w", err)
	}
	for _, inc := range list {
		row := exportRow(inc, loc)
		for i := range row {
			row[i] = defuse(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("incident: csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes incidents as an XLSX workbook with a Vietnamese header.
// Cells are written as text, so nothing is evaluated as a formula.
func WriteXLSX(w io.Writer, list []Incident, loc *time.Location) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Sự cố"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("incident: xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("incident: xlsx: %w", err)
	}
	head := make([]any, len(exportColumns))
	for i, c := range exportColumns {
		head[i] = c.vi
	}
	if err := sw.SetRow("A1", head); err != nil {
		return fmt.Errorf("incident: xlsx: %w", err)
	}
	for n, inc := range list {
		row := exportRow(inc, loc)
		vals := make([]any, len(row))
		for i, v := range row {
			vals[i] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(cell, vals); err != nil {
			return fmt.Errorf("incident: xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("incident: xlsx: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("incident: xlsx: %w", err)
	}
	return nil
}
