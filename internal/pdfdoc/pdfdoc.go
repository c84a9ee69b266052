// Package pdfdoc lays out Bulwark's printable documents (the reports of the
// incident series) as PDF with an embedded Unicode font, so Vietnamese text
// is drawn and extracted intact on any reader, on a closed network too.
// It knows nothing of incidents: callers hand it a Doc.
package pdfdoc

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"bulwark/internal/fonts"
)

// Doc is a document in the shape of a Vietnamese administrative text: the
// issuing body on the left and the national motto on the right, place and
// date, a title, numbered sections, then the signer.
type Doc struct {
	IssuerLines []string // e.g. the agency's name, upper case
	Number      string   // document number, e.g. "Số: 12/BC-CAT"
	Place       string   // e.g. "Bình An"
	Date        time.Time
	Title       string
	Subtitle    string
	Sections    []Section
	SignerTitle string
	Signer      string
	Footer      string
	// Created stamps the PDF's metadata; zero leaves it out, which keeps
	// the output reproducible.
	Created time.Time
}

// Section is a heading with its text; Fields are label/value lines.
type Section struct {
	Heading string
	Fields  []Field
	Text    string
}

// Field is one "label: value" line.
type Field struct {
	Label, Value string
}

// maxText bounds what one document carries; longer values are cut with
// a note, so a report can never grow a PDF without end.
const maxText = 50_000

const family = "dejavu"

// Write renders d as PDF to w.
func Write(w io.Writer, d Doc) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.AddUTF8FontFromBytes(family, "", fonts.Regular)
	pdf.AddUTF8FontFromBytes(family, "B", fonts.Bold)
	pdf.SetMargins(20, 15, 15)
	pdf.SetAutoPageBreak(true, 18)
	pdf.SetTitle(d.Title, true)
	pdf.SetCreator("Bulwark", true)
	if !d.Created.IsZero() {
		pdf.SetCreationDate(d.Created)
	}
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(family, "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s   %d/{nb}", clip(d.Footer, 200), pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	// Heading block: issuer left, motto right.
	const half = 87.5
	top := pdf.GetY()
	pdf.SetFont(family, "B", 10)
	for _, l := range d.IssuerLines {
		pdf.CellFormat(half, 5, clip(l, 200), "", 2, "C", false, 0, "")
	}
	if d.Number != "" {
		pdf.SetFont(family, "", 10)
		pdf.CellFormat(half, 6, clip(d.Number, 200), "", 2, "C", false, 0, "")
	}
	leftEnd := pdf.GetY()
	pdf.SetY(top)
	pdf.SetX(20 + half)
	pdf.SetFont(family, "B", 10)
	pdf.CellFormat(half, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", 2, "C", false, 0, "")
	pdf.CellFormat(half, 5, "Độc lập - Tự do - Hạnh phúc", "", 2, "C", false, 0, "")
	if !d.Date.IsZero() {
		pdf.SetFont(family, "", 10)
		date := fmt.Sprintf("ngày %d tháng %d năm %d", d.Date.Day(), int(d.Date.Month()), d.Date.Year())
		if d.Place != "" {
			date = clip(d.Place, 100) + ", " + date
		} else {
			date = "N" + date[1:]
		}
		pdf.CellFormat(half, 7, date, "", 2, "C", false, 0, "")
	}
	pdf.SetY(max(leftEnd, pdf.GetY()) + 8)

	pdf.SetFont(family, "B", 14)
	pdf.MultiCell(0, 7, clip(d.Title, 500), "", "C", false)
	if d.Subtitle != "" {
		pdf.SetFont(family, "", 11)
		pdf.MultiCell(0, 6, clip(d.Subtitle, 500), "", "C", false)
	}
	pdf.Ln(5)

	for i, s := range d.Sections {
		pdf.SetFont(family, "B", 11)
		pdf.MultiCell(0, 6, fmt.Sprintf("%d. %s", i+1, clip(s.Heading, 300)), "", "L", false)
		pdf.SetFont(family, "", 10.5)
		for _, f := range s.Fields {
			v := strings.TrimSpace(f.Value)
			if v == "" {
				v = "—"
			}
			pdf.MultiCell(0, 5.5, clip(f.Label, 300)+": "+clip(v, maxText), "", "L", false)
		}
		if s.Text != "" {
			pdf.MultiCell(0, 5.5, clip(s.Text, maxText), "", "L", false)
		}
		pdf.Ln(2)
	}

	pdf.Ln(6)
	pdf.SetX(20 + half)
	pdf.SetFont(family, "B", 10.5)
	pdf.MultiCell(half, 5.5, clip(strings.ToUpper(d.SignerTitle), 300), "", "C", false)
	pdf.Ln(18)
	pdf.SetX(20 + half)
	pdf.MultiCell(half, 5.5, clip(d.Signer, 300), "", "C", false)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("pdfdoc: layout: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("pdfdoc: write: %w", err)
	}
	return nil
}

// clip cuts s to at most n runes and drops characters the font cannot
// place (control characters other than line breaks).
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + " […]"
	}
	return s
}
