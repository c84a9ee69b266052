// Package report assembles the subcommittee's annual evaluation report for
// a chosen year from the data: the composition of the subcommittee, the
// meetings held, the directives and their completion per agency, and the
// other capabilities' figures (incidents, indicators and sightings,
// alerts, fraud, information systems, training). Each capability hands its
// figures over through the one-method Source interface declared here; a
// capability that is not there yet gives no Source, and its section says
// so instead of showing zeros. The report renders as PDF (embedded DejaVu
// font, so Vietnamese text survives extraction), as an XLSX workbook with
// one sheet per section, and as data for the HTML page.
//
// The report is written in Vietnamese, the language of the province's
// official documents.
package report

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
)

// Fact is one "label: value" line of a section.
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Table is a titled grid; every row has len(Columns) cells.
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Chart is a bar chart of one series.
type Chart struct {
	ID     string    `json:"id"`
	Title  string    `json:"title"`
	Label  string    `json:"label"`
	Labels []string  `json:"labels"`
	Values []float64 `json:"values"`
}

// Section is one part of the report. Available is false when the
// capability that would fill it does not exist yet; Note then says so.
type Section struct {
	Key       string  `json:"key"`
	Title     string  `json:"title"`
	Available bool    `json:"available"`
	Note      string  `json:"note,omitempty"`
	Facts     []Fact  `json:"facts"`
	Tables    []Table `json:"tables"`
	Charts    []Chart `json:"charts"`
}

// Empty reports whether the section carries no figure at all.
func (s Section) Empty() bool { return len(s.Facts) == 0 && len(s.Tables) == 0 && len(s.Charts) == 0 }

// Report is the annual evaluation report of one year.
type Report struct {
	Year        int       `json:"year"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	GeneratedAt time.Time `json:"generated_at"`
	Sections    []Section `json:"sections"`
}

// Source gives one section's figures for a year. Implementations check
// the caller themselves; a year without data is an honest empty section,
// not an error.
type Source interface {
	Section(ctx context.Context, year int) (Section, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, year int) (Section, error)

// Section calls f.
func (f SourceFunc) Section(ctx context.Context, year int) (Section, error) { return f(ctx, year) }

// Part is one section of the report in its place: its key and title, and
// its Source, nil while the capability does not exist.
type Part struct {
	Key    string
	Title  string
	Source Source
}

// The keys of the sections, in report order.
const (
	KeyComposition = "composition"
	KeyMeetings    = "meetings"
	KeyDirectives  = "directives"
	KeyIncidents   = "incidents"
	KeyIntel       = "intel"
	KeyAlerts      = "alerts"
	KeyFraud       = "fraud"
	KeySystems     = "systems"
	KeyTraining    = "training"
)

// Titles are the Vietnamese headings of the sections.
var Titles = map[string]string{
	KeyComposition: "Thành phần Tiểu ban",
	KeyMeetings:    "Các cuộc họp của Tiểu ban",
	KeyDirectives:  "Nhiệm vụ được giao và kết quả thực hiện",
	KeyIncidents:   "Sự cố an toàn thông tin mạng",
	KeyIntel:       "Chia sẻ dấu hiệu xâm phạm (IoC)",
	KeyAlerts:      "Cảnh báo tấn công mạng",
	KeyFraud:       "Phản ánh lừa đảo trực tuyến",
	KeySystems:     "Hệ thống thông tin theo cấp độ",
	KeyTraining:    "Đào tạo, tập huấn",
}

// Order is the order of the sections. Treat it as read-only.
var Order = []string{KeyComposition, KeyMeetings, KeyDirectives, KeyIncidents, KeyIntel, KeyAlerts, KeyFraud, KeySystems, KeyTraining}

// Builder assembles reports from the sources it was given.
type Builder struct {
	sources map[string]Source
	body    string
	now     func() time.Time
}

// NewBuilder returns a Builder for the body named body ("Tiểu ban An
// toàn, an ninh mạng tỉnh ..."), with the sources by key (see Order);
// keys without a source give an "not available yet" section.
func NewBuilder(body string, sources map[string]Source, now func() time.Time) *Builder {
	if now == nil {
		now = time.Now
	}
	return &Builder{sources: sources, body: body, now: now}
}

// Available lists the keys that have a source.
func (b *Builder) Available() []string {
	var out []string
	for _, k := range Order {
		if b.sources[k] != nil {
			out = append(out, k)
		}
	}
	return out
}

// Build generates the report of year for the caller (any signed-in user;
// each source counts only what the caller may see).
func (b *Builder) Build(ctx context.Context, year int) (Report, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Report{}, err
	}
	if !access.CanReadAnnualReport(p) {
		return Report{}, access.Deny("read the annual report")
	}
	if year < 2000 || year > 2100 {
		return Report{}, errs.Field("year", "must be a year from 2000 to 2100")
	}
	r := Report{Year: year, Body: b.body, GeneratedAt: b.now().UTC().Truncate(time.Second),
		Title: fmt.Sprintf("Báo cáo đánh giá kết quả công tác năm %d", year)}
	for _, k := range Order {
		src := b.sources[k]
		if src == nil {
			r.Sections = append(r.Sections, Section{Key: k, Title: Titles[k], Note: "Chức năng này chưa có trong Bulwark; phần này sẽ có số liệu khi chức năng được triển khai.",
				Facts: []Fact{}, Tables: []Table{}, Charts: []Chart{}})
			continue
		}
		s, err := src.Section(ctx, year)
		if err != nil {
			return Report{}, fmt.Errorf("report: section %s of %d: %w", k, year, err)
		}
		s.Key, s.Available = k, true
		if s.Title == "" {
			s.Title = Titles[k]
		}
		if s.Facts == nil {
			s.Facts = []Fact{}
		}
		if s.Tables == nil {
			s.Tables = []Table{}
		}
		if s.Charts == nil {
			s.Charts = []Chart{}
		}
		if s.Empty() && s.Note == "" {
			s.Note = fmt.Sprintf("Không có số liệu trong năm %d.", year)
		}
		for i := range s.Charts {
			if s.Charts[i].ID == "" {
				s.Charts[i].ID = fmt.Sprintf("chart-%s-%d", k, i+1)
			}
		}
		r.Sections = append(r.Sections, s)
	}
	return r, nil
}

// Section returns the section with key k, or a zero Section.
func (r Report) Section(k string) Section {
	for _, s := range r.Sections {
		if s.Key == k {
			return s
		}
	}
	return Section{}
}

// Count formats a whole number the Vietnamese way (1.234).
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Hours formats a duration in hours with one decimal (comma, the
// Vietnamese way), or "—" when nil.
func Hours(h *float64) string {
	if h == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f giờ", *h)
}

// Percent formats a rate in percent, or "—" when nil.
func Percent(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", *p)
}

// KeyCount is a label and a number, the shape of most breakdowns.
type KeyCount struct {
	Key   string
	Count int
}

// Breakdown turns counts into a table (label column named by what) and a
// bar chart titled title, with the labels mapped through names when they
// have a Vietnamese name there.
func Breakdown(title, what string, counts []KeyCount, names map[string]string) (Table, Chart) {
	t := Table{Title: title, Columns: []string{what, "Số lượng"}, Rows: [][]string{}}
	c := Chart{Title: title, Label: "Số lượng", Labels: []string{}, Values: []float64{}}
	for _, kc := range counts {
		name := kc.Key
		if n, ok := names[kc.Key]; ok {
			name = n
		}
		t.Rows = append(t.Rows, []string{name, Count(kc.Count)})
		c.Labels = append(c.Labels, name)
		c.Values = append(c.Values, float64(kc.Count))
	}
	return t, c
}
