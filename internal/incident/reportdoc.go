package incident

import (
	"fmt"
	"io"
	"strings"
	"time"

	"bulwark/internal/pdfdoc"
)

// ReportDoc lays out a report of the series as a document: the fields the
// rules ask for, in Vietnamese, the language of the official text.
func ReportDoc(inc Incident, r Report, loc *time.Location, place string) pdfdoc.Doc {
	signed, _ := time.ParseInLocation("2006-01-02", r.SignedOn, loc)
	det := ""
	if r.DetectedAt != nil {
		det = r.DetectedAt.In(loc).Format("15:04 02/01/2006")
	}
	sections := []pdfdoc.Section{
		{Heading: "Đơn vị báo cáo", Fields: []pdfdoc.Field{
			{Label: "Tên đơn vị", Value: r.ReporterOrg}, {Label: "Người liên hệ", Value: r.ReporterPerson}, {Label: "Liên lạc", Value: r.ReporterContact}}},
		{Heading: "Hệ thống thông tin bị sự cố", Fields: []pdfdoc.Field{
			{Label: "Tên hệ thống", Value: r.SystemName}, {Label: "Tên miền, địa chỉ IP", Value: r.SystemAddress},
			{Label: "Đơn vị vận hành", Value: r.Operator}, {Label: "Chủ quản hệ thống", Value: r.SystemOwner},
			{Label: "Nhà cung cấp hạ tầng", Value: r.Provider}}},
		{Heading: "Thông tin sự cố", Fields: []pdfdoc.Field{
			{Label: "Thời điểm phát hiện", Value: det}, {Label: "Loại sự cố", Value: r.IncidentType},
			{Label: "Mức độ", Value: severityVI[inc.Severity]}, {Label: "Sự cố nghiêm trọng", Value: yesNoVI(inc.Serious)},
			{Label: "Mô tả, dấu hiệu", Value: r.Symptoms}}},
		{Heading: "Đánh giá", Fields: []pdfdoc.Field{
			{Label: "Mức độ thiệt hại", Value: r.Harm}, {Label: "Phạm vi lan rộng", Value: r.Spread}, {Label: "Ảnh hưởng đến hoạt động", Value: r.Impact}}},
		{Heading: "Xử lý", Fields: []pdfdoc.Field{
			{Label: "Biện pháp đã, đang thực hiện", Value: r.Measures}, {Label: "Đơn vị hỗ trợ", Value: r.Helpers}, {Label: "Kết quả", Value: r.Results}}},
		{Heading: "Kiến nghị, đề xuất", Text: orDash(r.Recommendations)},
	}
	return pdfdoc.Doc{
		IssuerLines: []string{strings.ToUpper(inc.Owner.NameVI)},
		Place:       place,
		Date:        signed,
		Title:       ReportTitleVI[r.Kind],
		Subtitle:    fmt.Sprintf("Sự cố %s: %s", inc.Ref, inc.Title),
		Sections:    sections,
		SignerTitle: r.SignerTitle,
		Signer:      r.Signer,
		Footer:      fmt.Sprintf("%s · TLP:%s · PAP:%s", inc.Ref, inc.TLP, inc.PAP),
	}
}

// WriteReportPDF writes the report as PDF.
func (s *Service) WriteReportPDF(w io.Writer, inc Incident, r Report) error {
	return pdfdoc.Write(w, ReportDoc(inc, r, s.loc, s.cfg.Place))
}

var severityVI = map[Severity]string{SeverityLow: "Thấp", SeverityMedium: "Trung bình", SeverityHigh: "Cao", SeverityCritical: "Khẩn cấp"}

func yesNoVI(b bool) string {
	if b {
		return "Có"
	}
	return "Không"
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
