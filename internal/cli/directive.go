package cli

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/auth"
	"bulwark/internal/blob"
	"bulwark/internal/directive"
	"bulwark/internal/incident"
	"bulwark/internal/notify"
	"bulwark/internal/report"
	"bulwark/internal/store"
	"bulwark/internal/ui"
	"bulwark/internal/web"
)

// wireDirectives builds the subcommittee's work service and the annual
// report with a source per capability that exists. It runs after the
// other capabilities are wired. The directive clock reads a.now on each
// call, so tests that move the app's clock move it too.
func (a *App) wireDirectives() error {
	blobs, err := blob.NewLocal(env("BLOB_DIR", a.Config.Data+"/blobs"))
	if err != nil {
		return err
	}
	now := func() time.Time { return a.now() }
	a.Directives = directive.NewService(directive.Deps{DB: a.DB, Audit: a.Audit, Blobs: blobs,
		Notifier: directiveNotifier{a.Notify}, Recipients: agencyRecipients{a}, Principals: a.Auth.Principal, Now: now},
		directive.Config{BaseURL: a.Config.BaseURL})
	sources := map[string]report.Source{
		report.KeyComposition: report.CompositionSource(a.Agencies, a.Directives),
		report.KeyMeetings:    report.MeetingsSource(a.Directives),
		report.KeyDirectives:  report.DirectivesSource(a.Directives),
	}
	if a.Incidents != nil {
		sources[report.KeyIncidents] = incidentSection(a.Incidents, a.Directives.Location())
	}
	if a.Intel != nil {
		sources[report.KeyIntel] = intelSection(a.Intel, a.Directives.Location())
	}
	if a.Detect != nil {
		sources[report.KeyAlerts] = alertSection(a.Detect, a.Directives.Location())
	}
	if a.Fraud != nil {
		sources[report.KeyFraud] = report.SourceFunc(func(ctx context.Context, year int) (report.Section, error) {
			return fraudSection(ctx, a, year)
		})
	}
	if a.Systems != nil {
		sources[report.KeySystems] = report.SourceFunc(func(ctx context.Context, year int) (report.Section, error) {
			return systemsSection(ctx, a, year)
		})
	}
	body := "Tiểu ban An toàn, an ninh mạng"
	a.Reports = report.NewBuilder(body, sources, now)
	return nil
}

// directiveBodyRoutes gives the meeting document uploads (page and API)
// the attachment size limit instead of the default 1 MiB; the page form
// is streamed, so the limit bounds the request, not memory.
func (a *App) directiveBodyRoutes(mux *http.ServeMux) {
	limit := a.Directives.MaxFileSize() + 1<<16
	pages, apiRoutes := web.BodyLimit(limit)(a.UI.Routes()), web.BodyLimit(limit)(a.API.Routes())
	for _, p := range ui.DirectiveLargeBodyRoutes() {
		mux.Handle(p, pages)
	}
	mux.Handle("POST /api/v1/meetings/{id}/documents", apiRoutes)
}

// runDirectiveJobs sends deadline reminders until ctx ends.
func (a *App) runDirectiveJobs(ctx context.Context) {
	a.Directives.Watch(ctx, 30*time.Minute, func(err error) {
		if ctx.Err() == nil {
			a.Log.Warn("directive reminders", "err", err)
		}
	})
}

// directiveNotifier adapts the outbox to the interface the directive
// capability declares.
type directiveNotifier struct{ o *notify.Outbox }

func (n directiveNotifier) Notify(ctx context.Context, q store.Querier, x directive.Notification) error {
	if n.o == nil {
		return nil
	}
	return n.o.Enqueue(ctx, q, notify.Message{Event: x.Event, Emails: x.Emails, Subject: x.Subject, Text: x.Text, Payload: x.Payload})
}

// agencyRecipients are an agency's 24/7 contact address and its
// coordinators' addresses.
type agencyRecipients struct{ a *App }

func (r agencyRecipients) AgencyEmails(ctx context.Context, agencyID int64) ([]string, error) {
	sys := access.With(ctx, access.SystemPrincipal())
	ag, err := r.a.Agencies.GetAgency(sys, agencyID)
	if err != nil {
		return nil, err
	}
	var out []string
	if ag.ContactEmail != "" {
		out = append(out, ag.ContactEmail)
	}
	users, _, err := r.a.Auth.ListUsers(sys, authFilter(agencyID))
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if !u.Disabled && slices.Contains(u.Roles, access.Coordinator) && !slices.Contains(out, u.Email) {
			out = append(out, u.Email)
		}
	}
	return out, nil
}

var severityNames = map[string]string{"low": "Thấp", "medium": "Trung bình", "high": "Cao", "critical": "Khẩn cấp"}

func counts[T any](xs []T, key func(T) (string, int)) []report.KeyCount {
	out := make([]report.KeyCount, 0, len(xs))
	for _, x := range xs {
		k, n := key(x)
		out = append(out, report.KeyCount{Key: k, Count: n})
	}
	return out
}

// incidentSection turns the incident capability's figures into the
// report's section.
func incidentSection(svc *incident.Service, loc *time.Location) report.Source {
	return report.SourceFunc(func(ctx context.Context, year int) (report.Section, error) {
		from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
		f, err := svc.Figures(ctx, from, from.AddDate(1, 0, 0))
		if err != nil {
			return report.Section{}, err
		}
		s := report.Section{Facts: []report.Fact{
			{Label: "Tổng số sự cố", Value: report.Count(f.Total)},
			{Label: "Sự cố nghiêm trọng", Value: report.Count(f.Serious)},
			{Label: "Chưa đóng", Value: report.Count(f.Open)},
			{Label: "Thời gian tiếp nhận (trung vị)", Value: report.Hours(f.MedianAcknowledgeHours)},
			{Label: "Thời gian ngăn chặn (trung vị)", Value: report.Hours(f.MedianContainHours)},
			{Label: "Thời gian kết thúc (trung vị)", Value: report.Hours(f.MedianCloseHours)},
		}}
		if f.Total == 0 {
			return s, nil
		}
		kc := func(c incident.Count) (string, int) { return c.Key, c.Count }
		t1, c1 := report.Breakdown("Sự cố theo loại", "Loại", counts(f.ByCategory, kc), nil)
		t2, c2 := report.Breakdown("Sự cố theo mức độ", "Mức độ", counts(f.BySeverity, kc), severityNames)
		t3, c3 := report.Breakdown("Sự cố theo tháng", "Tháng", counts(f.ByMonth, kc), nil)
		t4, _ := report.Breakdown("Sự cố theo cơ quan", "Cơ quan", counts(f.ByAgency, kc), nil)
		s.Tables = []report.Table{t1, t2, t3, t4}
		s.Charts = []report.Chart{c3, c1, c2}
		return s, nil
	})
}

func fraudSection(ctx context.Context, a *App, year int) (report.Section, error) {
	f, err := a.Fraud.Year(ctx, year)
	if err != nil {
		return report.Section{}, err
	}
	referrals, answered := 0, 0
	outcomes := map[string]int{}
	for _, p := range f.Partners {
		referrals += p.Referrals
		answered += p.Answered
		for k, v := range p.Outcomes {
			outcomes[k] += v
		}
	}
	s := report.Section{Facts: []report.Fact{
		{Label: "Số phản ánh", Value: report.Count(f.Reports)},
		{Label: "Đối tượng đã xác minh là lừa đảo", Value: report.Count(f.Confirmed)},
		{Label: "Số tiền thiệt hại được báo (đồng)", Value: report.Count(int(f.AmountLost))},
		{Label: "Chuyển nhà mạng, ngân hàng xử lý", Value: report.Count(referrals)},
		{Label: "Đã có kết quả xử lý", Value: report.Count(answered)},
	}}
	if f.Reports == 0 && referrals == 0 {
		return s, nil
	}
	var ch, ty []report.KeyCount
	for _, c := range f.ByChannel {
		ch = append(ch, report.KeyCount{Key: c.Key, Count: c.Count})
	}
	for _, c := range f.ByScamType {
		ty = append(ty, report.KeyCount{Key: c.Key, Count: c.Count})
	}
	t1, c1 := report.Breakdown("Phản ánh theo kênh", "Kênh", ch, nil)
	t2, c2 := report.Breakdown("Phản ánh theo hình thức lừa đảo", "Hình thức", ty, nil)
	partners := report.Table{Title: "Chuyển xử lý theo đối tác", Columns: []string{"Đối tác", "Số chuyển", "Đã có kết quả", "Quá hạn", "Kết quả"}}
	for _, p := range f.Partners {
		var oc []string
		for k, v := range p.Outcomes {
			oc = append(oc, fmt.Sprintf("%s: %d", k, v))
		}
		slices.Sort(oc)
		partners.Rows = append(partners.Rows, []string{p.Name, report.Count(p.Referrals), report.Count(p.Answered), report.Count(p.Overdue), strings.Join(oc, "; ")})
	}
	s.Tables = []report.Table{t1, t2, partners}
	s.Charts = []report.Chart{c1, c2}
	return s, nil
}

func systemsSection(ctx context.Context, a *App, year int) (report.Section, error) {
	f, err := a.Systems.Annual(ctx, year)
	if err != nil {
		return report.Section{}, err
	}
	s := report.Section{Facts: []report.Fact{
		{Label: "Số hệ thống thông tin", Value: report.Count(f.Systems)},
		{Label: "Đã phê duyệt cấp độ", Value: report.Count(f.Approved)},
		{Label: "Phê duyệt trong năm", Value: report.Count(f.ApprovedInYear)},
		{Label: "Đánh giá rủi ro đến hạn / đúng hạn", Value: report.Count(f.AssessmentsDue) + " / " + report.Count(f.AssessmentsOnTime)},
		{Label: "Lỗ hổng mới / đã khắc phục / còn mở", Value: report.Count(f.FindingsNew) + " / " + report.Count(f.FindingsFixed) + " / " + report.Count(f.FindingsOpen)},
	}}
	if f.Systems == 0 {
		return s, nil
	}
	var lv []report.KeyCount
	for i := 1; i <= 5; i++ {
		lv = append(lv, report.KeyCount{Key: fmt.Sprintf("Cấp độ %d", i), Count: f.ByLevel[i]})
	}
	if f.ByLevel[0] > 0 {
		lv = append(lv, report.KeyCount{Key: "Chưa xác định", Count: f.ByLevel[0]})
	}
	t, c := report.Breakdown("Hệ thống theo cấp độ", "Cấp độ", lv, nil)
	s.Tables, s.Charts = []report.Table{t}, []report.Chart{c}
	return s, nil
}

func authFilter(agencyID int64) auth.UserFilter {
	return auth.UserFilter{AgencyID: agencyID, Limit: 500}
}
