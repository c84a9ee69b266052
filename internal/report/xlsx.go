package report

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// SheetNames are the short worksheet names of the sections.
var SheetNames = map[string]string{
	KeyComposition: "Thành phần", KeyMeetings: "Cuộc họp", KeyDirectives: "Nhiệm vụ", KeyIncidents: "Sự cố",
	KeyIntel: "IoC", KeyAlerts: "Cảnh báo", KeyFraud: "Lừa đảo", KeySystems: "Hệ thống thông tin", KeyTraining: "Đào tạo",
}

// SheetName is the worksheet name of section s, the i-th: its number and
// short name (its title when it has none) cut to Excel's 31 characters,
// without the characters Excel refuses in sheet names.
func SheetName(i int, s Section) string {
	t := SheetNames[s.Key]
	if t == "" {
		t = s.Title
	}
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]'`, r) {
			return -1
		}
		return r
	}, fmt.Sprintf("%d. %s", i+1, t))
	if r := []rune(name); len(r) > 30 {
		name = string(r[:30])
	}
	return strings.TrimSpace(name)
}

// WriteXLSX writes r as a workbook: a cover sheet, then one sheet per
// section with its facts, tables, and the data of its charts with a native
// bar chart.
func WriteXLSX(w io.Writer, r Report) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"E6ECF4"}, Pattern: 1}})
	title, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	const cover = "Báo cáo"
	if err := f.SetSheetName("Sheet1", cover); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	_ = f.SetCellValue(cover, "A1", r.Title)
	_ = f.SetCellStyle(cover, "A1", "A1", title)
	_ = f.SetCellValue(cover, "A2", r.Body)
	_ = f.SetCellValue(cover, "A3", "Lập lúc "+r.GeneratedAt.Format("2006-01-02 15:04")+" UTC")
	for i, s := range r.Sections {
		_ = f.SetCellValue(cover, cell(1, 5+i), SheetName(i, s))
		if !s.Available {
			_ = f.SetCellValue(cover, cell(2, 5+i), "chưa có chức năng")
		}
	}
	_ = f.SetColWidth(cover, "A", "A", 50)

	for i, s := range r.Sections {
		sh := SheetName(i, s)
		if _, err := f.NewSheet(sh); err != nil {
			return fmt.Errorf("report: xlsx sheet %q: %w", sh, err)
		}
		_ = f.SetColWidth(sh, "A", "A", 45)
		_ = f.SetColWidth(sh, "B", "I", 18)
		row := 1
		_ = f.SetCellValue(sh, cell(1, row), fmt.Sprintf("%d. %s", i+1, s.Title))
		_ = f.SetCellStyle(sh, cell(1, row), cell(1, row), title)
		row += 2
		if s.Note != "" {
			_ = f.SetCellValue(sh, cell(1, row), s.Note)
			row += 2
		}
		for _, ft := range s.Facts {
			_ = f.SetCellValue(sh, cell(1, row), ft.Label)
			_ = f.SetCellValue(sh, cell(2, row), number(ft.Value))
			row++
		}
		if len(s.Facts) > 0 {
			row++
		}
		for _, t := range s.Tables {
			_ = f.SetCellValue(sh, cell(1, row), t.Title)
			_ = f.SetCellStyle(sh, cell(1, row), cell(1, row), bold)
			row++
			for j, c := range t.Columns {
				_ = f.SetCellValue(sh, cell(j+1, row), c)
			}
			_ = f.SetCellStyle(sh, cell(1, row), cell(len(t.Columns), row), head)
			row++
			for _, rr := range t.Rows {
				for j, c := range rr {
					_ = f.SetCellValue(sh, cell(j+1, row), number(c))
				}
				row++
			}
			row++
		}
		for ci, c := range s.Charts {
			if len(c.Values) == 0 {
				continue
			}
			_ = f.SetCellValue(sh, cell(1, row), c.Title)
			_ = f.SetCellStyle(sh, cell(1, row), cell(1, row), bold)
			row++
			first := row
			for j, v := range c.Values {
				_ = f.SetCellValue(sh, cell(1, row), label(c.Labels, j))
				_ = f.SetCellValue(sh, cell(2, row), v)
				row++
			}
			ref := func(col string) string { return fmt.Sprintf("'%s'!$%s$%d:$%s$%d", sh, col, first, col, row-1) }
			if err := f.AddChart(sh, cell(4, first-1), &excelize.Chart{
				Type:      excelize.Bar,
				Series:    []excelize.ChartSeries{{Name: strconv.Quote(c.Label), Categories: ref("A"), Values: ref("B")}},
				Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: c.Title}}},
				Legend:    excelize.ChartLegend{Position: "none"},
				Dimension: excelize.ChartDimension{Width: 560, Height: uint(max(220, 28*len(c.Values)+90))},
			}); err != nil {
				return fmt.Errorf("report: xlsx chart %d of %q: %w", ci, sh, err)
			}
			row += max(2, 14-len(c.Values))
		}
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	return nil
}

func cell(col, row int) string {
	s, _ := excelize.CoordinatesToCellName(col, row)
	return s
}

// number turns a whole number written the Vietnamese way ("1.234") back
// into a number for the spreadsheet; other text stays text, and text that
// would start a formula is prefixed with an apostrophe.
func number(s string) any {
	if groupedInt.MatchString(s) {
		if n, err := strconv.ParseInt(strings.ReplaceAll(s, ".", ""), 10, 64); err == nil {
			return n
		}
	}
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

var groupedInt = regexp.MustCompile(`^(0|[1-9][0-9]{0,2}(\.[0-9]{3}){0,5})$`)
