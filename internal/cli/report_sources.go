package cli

import (
	"context"
	"fmt"
	"time"

	"bulwark/internal/detect"
	"bulwark/internal/intel"
	"bulwark/internal/report"
)

// monthCounts turns twelve monthly counts into the report's key counts.
func monthCounts(m [12]int) []report.KeyCount {
	out := make([]report.KeyCount, 12)
	for i, n := range m {
		out[i] = report.KeyCount{Key: fmt.Sprintf("Tháng %d", i+1), Count: n}
	}
	return out
}

// intelSection is the annual report's section on indicators shared and
// sightings, from threat intelligence's yearly figures.
func intelSection(svc *intel.Service, loc *time.Location) report.Source {
	return report.SourceFunc(func(ctx context.Context, year int) (report.Section, error) {
		f, err := svc.Year(ctx, year, loc)
		if err != nil {
			return report.Section{}, err
		}
		s := report.Section{Facts: []report.Fact{
			{Label: "Lượt chia sẻ dấu hiệu xâm phạm", Value: report.Count(f.Entries)},
			{Label: "Dấu hiệu xâm phạm khác nhau", Value: report.Count(f.Indicators)},
			{Label: "Cơ quan tham gia chia sẻ", Value: report.Count(f.Agencies)},
			{Label: "Lượt phát hiện (sightings)", Value: report.Count(f.Sightings)},
		}}
		if f.Entries == 0 {
			return s, nil
		}
		var tlp []report.KeyCount
		for _, c := range f.ByTLP {
			tlp = append(tlp, report.KeyCount{Key: "TLP:" + c.Key, Count: c.Count})
		}
		t1, c1 := report.Breakdown("Chia sẻ theo nhãn TLP", "Nhãn", tlp, nil)
		t2, c2 := report.Breakdown("Chia sẻ theo tháng", "Tháng", monthCounts(f.ByMonth), nil)
		s.Tables, s.Charts = []report.Table{t1, t2}, []report.Chart{c2, c1}
		return s, nil
	})
}

// alertSection is the annual report's section on alerts raised by
// detection, from its yearly figures.
func alertSection(svc *detect.Service, loc *time.Location) report.Source {
	return report.SourceFunc(func(ctx context.Context, year int) (report.Section, error) {
		f, err := svc.Year(ctx, year, loc)
		if err != nil {
			return report.Section{}, err
		}
		s := report.Section{Facts: []report.Fact{
			{Label: "Số cảnh báo", Value: report.Count(f.Alerts)},
			{Label: "Sự kiện khớp", Value: report.Count(int(f.Hits))},
			{Label: "Chuyển thành sự cố", Value: report.Count(f.Promoted)},
			{Label: "Loại bỏ (báo động giả)", Value: report.Count(f.Dismissed)},
		}}
		if f.Alerts == 0 {
			return s, nil
		}
		conv := func(in []detect.KeyCount) []report.KeyCount {
			out := make([]report.KeyCount, len(in))
			for i, c := range in {
				out[i] = report.KeyCount{Key: c.Key, Count: c.Count}
			}
			return out
		}
		t1, c1 := report.Breakdown("Cảnh báo theo mức độ", "Mức độ", conv(f.BySeverity), severityNames)
		t2, _ := report.Breakdown("Cảnh báo theo nguồn phát hiện", "Nguồn", conv(f.ByKind), map[string]string{"sigma": "Luật Sigma", "indicator": "Dấu hiệu xâm phạm"})
		t3, c3 := report.Breakdown("Cảnh báo theo tháng", "Tháng", monthCounts(f.ByMonth), nil)
		s.Tables, s.Charts = []report.Table{t1, t2, t3}, []report.Chart{c3, c1}
		return s, nil
	})
}
