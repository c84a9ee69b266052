package report

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"

	"bulwark/internal/fonts"
)

const family = "DejaVu"

// maxRows bounds the rows of one table in the printed report; the XLSX
// workbook carries them all.
const maxRows = 300

// WritePDF renders r as an A4 PDF with the embedded DejaVu font: a heading
// in the administrative style, then each section with its figures, tables
// and bar charts.
func WritePDF(w io.Writer, r Report) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.AddUTF8FontFromBytes(family, "", fonts.Regular)
	pdf.AddUTF8FontFromBytes(family, "B", fonts.Bold)
	pdf.SetMargins(18, 15, 15)
	pdf.SetAutoPageBreak(true, 18)
	pdf.SetTitle(r.Title, true)
	pdf.SetCreator("Bulwark", true)
	pdf.SetCreationDate(r.GeneratedAt)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(family, "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s   %d/{nb}", clip(r.Title, 120), pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	width, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	usable := width - left - right

	top := pdf.GetY()
	pdf.SetFont(family, "B", 9.5)
	pdf.MultiCell(usable*0.45, 5, clip(strings.ToUpper(r.Body), 120), "", "C", false)
	leftEnd := pdf.GetY()
	pdf.SetXY(left+usable*0.45, top)
	pdf.CellFormat(usable*0.55, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", 2, "C", false, 0, "")
	pdf.CellFormat(usable*0.55, 5, "Độc lập - Tự do - Hạnh phúc", "", 2, "C", false, 0, "")
	pdf.SetXY(left, max(leftEnd, pdf.GetY())+8)
	pdf.SetFont(family, "B", 14)
	pdf.MultiCell(0, 7, strings.ToUpper(clip(r.Title, 300)), "", "C", false)
	pdf.SetFont(family, "", 9)
	pdf.MultiCell(0, 5, "Lập tự động từ dữ liệu Bulwark lúc "+r.GeneratedAt.Format("2006-01-02 15:04")+" UTC", "", "C", false)
	pdf.Ln(4)

	for i, s := range r.Sections {
		pdf.SetFont(family, "B", 12)
		pdf.MultiCell(0, 7, fmt.Sprintf("%d. %s", i+1, clip(s.Title, 200)), "", "L", false)
		pdf.SetFont(family, "", 10)
		if s.Note != "" {
			pdf.SetTextColor(90, 90, 90)
			pdf.MultiCell(0, 5.5, clip(s.Note, 1000), "", "L", false)
			pdf.SetTextColor(0, 0, 0)
		}
		for _, f := range s.Facts {
			pdf.MultiCell(0, 5.5, "– "+clip(f.Label, 200)+": "+clip(f.Value, 1000), "", "L", false)
		}
		for _, c := range s.Charts {
			drawChart(pdf, c, left, usable)
		}
		for _, t := range s.Tables {
			drawTable(pdf, t, usable)
		}
		pdf.Ln(3)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("report: pdf layout: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("report: write pdf: %w", err)
	}
	return nil
}

// drawChart draws horizontal bars, one per label, scaled to the largest
// value, with the value at the end of each bar.
func drawChart(pdf *fpdf.Fpdf, c Chart, left, usable float64) {
	if len(c.Values) == 0 {
		return
	}
	n := min(len(c.Values), 30)
	need := 8 + float64(n)*6
	_, h := pdf.GetPageSize()
	if pdf.GetY()+need > h-20 {
		pdf.AddPage()
	}
	pdf.Ln(1)
	pdf.SetFont(family, "B", 9.5)
	pdf.MultiCell(0, 5, clip(c.Title, 200), "", "L", false)
	pdf.SetFont(family, "", 8.5)
	peak := 0.0
	for _, v := range c.Values[:n] {
		peak = max(peak, v)
	}
	labelW, barMax := 55.0, usable-55-20
	for i := 0; i < n; i++ {
		y := pdf.GetY()
		pdf.SetX(left)
		pdf.CellFormat(labelW, 5, clip(label(c.Labels, i), 40), "", 0, "R", false, 0, "")
		wbar := 0.0
		if peak > 0 {
			wbar = barMax * c.Values[i] / peak
		}
		pdf.SetFillColor(37, 99, 160)
		if wbar > 0 {
			pdf.Rect(left+labelW+2, y+0.8, wbar, 3.6, "F")
		}
		pdf.SetXY(left+labelW+3+wbar, y)
		pdf.CellFormat(18, 5, trimFloat(c.Values[i]), "", 1, "L", false, 0, "")
	}
	pdf.Ln(2)
}

func label(ls []string, i int) string {
	if i < len(ls) {
		return ls[i]
	}
	return ""
}

func trimFloat(v float64) string {
	if v == float64(int64(v)) {
		return Count(int(v))
	}
	return fmt.Sprintf("%.1f", v)
}

// columnWidths gives each column at least its longest word and shares
// the rest of the page in proportion to what each column would need to
// keep its cells on one line.
func columnWidths(pdf *fpdf.Fpdf, cols []string, rows [][]string, usable float64) []float64 {
	const pad = 5.0 // SplitText keeps a cell margin on each side, and so does the cell
	full, word := make([]float64, len(cols)), make([]float64, len(cols))
	measure := func(i int, c string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont(family, style, 8.5)
		c = clip(c, 500)
		full[i] = max(full[i], min(pdf.GetStringWidth(c)+pad, usable*0.45))
		for _, w := range strings.Fields(c) {
			word[i] = max(word[i], min(pdf.GetStringWidth(w)+pad, usable*0.3))
		}
	}
	for i, c := range cols {
		measure(i, c, true)
	}
	for _, r := range rows {
		for i := range cols {
			if i < len(r) {
				measure(i, r[i], false)
			}
		}
	}
	sumFull, sumWord := sumOf(full), sumOf(word)
	out := make([]float64, len(cols))
	switch {
	case sumFull <= usable:
		for i := range out {
			out[i] = full[i] * usable / sumFull
		}
	case sumWord >= usable:
		for i := range out {
			out[i] = word[i] * usable / sumWord
		}
	default:
		k := (usable - sumWord) / (sumFull - sumWord)
		for i := range out {
			out[i] = word[i] + (full[i]-word[i])*k
		}
	}
	return out
}

// drawTable draws a grid, wrapping cells onto several lines.
func drawTable(pdf *fpdf.Fpdf, t Table, usable float64) {
	if len(t.Columns) == 0 {
		return
	}
	pdf.Ln(1)
	pdf.SetFont(family, "B", 9.5)
	pdf.MultiCell(0, 5, clip(t.Title, 200), "", "L", false)
	rows := t.Rows
	if len(rows) > maxRows {
		rows = rows[:maxRows]
	}
	widths := columnWidths(pdf, t.Columns, rows, usable)
	row := func(cells []string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont(family, style, 8.5)
		lines := 1
		split := make([][]string, len(widths))
		for i := range widths {
			c := ""
			if i < len(cells) {
				c = clip(cells[i], 500)
			}
			split[i] = pdf.SplitText(c, widths[i]-2)
			if len(split[i]) == 0 {
				split[i] = []string{""}
			}
			lines = max(lines, len(split[i]))
		}
		h := float64(lines)*4.5 + 1.5
		_, ph := pdf.GetPageSize()
		if pdf.GetY()+h > ph-20 {
			pdf.AddPage()
			pdf.SetFont(family, style, 8.5)
		}
		x, y := pdf.GetXY()
		for i, w := range widths {
			if bold {
				pdf.SetFillColor(230, 236, 244)
				pdf.Rect(x, y, w, h, "FD")
			} else {
				pdf.Rect(x, y, w, h, "D")
			}
			for j, l := range split[i] {
				pdf.SetXY(x+1, y+0.8+float64(j)*4.5)
				pdf.CellFormat(w-2, 4.5, l, "", 0, "L", false, 0, "")
			}
			x += w
		}
		pdf.SetXY(pdf.GetX()-sumOf(widths), y+h)
		left, _, _, _ := pdf.GetMargins()
		pdf.SetX(left)
	}
	row(t.Columns, true)
	for _, r := range rows {
		row(r, false)
	}
	if len(t.Rows) > maxRows {
		pdf.SetFont(family, "", 8.5)
		pdf.MultiCell(0, 5, fmt.Sprintf("… và %s dòng khác (xem bản XLSX).", Count(len(t.Rows)-maxRows)), "", "L", false)
	}
	pdf.Ln(2)
}

func sumOf(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// clip cuts s to n runes and drops what the font cannot place: control
// characters (line breaks become spaces) and invalid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}
