package directive_test

import (
	"context"
	"strings"
	"testing"

	"bulwark/internal/access"
	"bulwark/internal/auth"
	"bulwark/internal/directive"
	"bulwark/internal/directive/ical"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestCalendarFeed: a person makes a feed secret; the feed, fetched
// without a login, holds the meetings and their agency's deadlines they
// may see and nothing else; only the secret's hash is stored; a new
// secret replaces the old, revoking ends it, a disabled owner's feed
// stops; the system has no feed.
func TestCalendarFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		// Real accounts: the feed resolves its owner's rights through auth.
		users := map[string]int64{}
		for _, u := range []struct {
			name, agency string
			role         access.Role
		}{{"skhcn", "SKHCN", access.Analyst}, {"vtl", "VTL", access.Liaison}} {
			var id int64
			now := e.clock.now()
			if err := db.QueryRow(ctx, `INSERT INTO users (email, name, agency_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
				u.name+"@example.vn", u.name, e.ids[u.agency], now, now).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES (?, ?)`, id, string(u.role)); err != nil {
				t.Fatal(err)
			}
			users[u.name] = id
		}
		authSvc := auth.NewService(db, e.log, auth.Config{}, e.clock.now)
		svc := directive.NewService(directive.Deps{DB: db, Audit: e.log, Principals: authSvc.Principal, Now: e.clock.now}, directive.Config{})
		person := func(name string) context.Context {
			p, err := authSvc.Principal(ctx, users[name])
			if err != nil {
				t.Fatal(err)
			}
			return access.With(ctx, p)
		}

		m := must[directive.Meeting](t, "CreateMeeting")(svc.CreateMeeting(e.coord(), directive.MeetingInput{Title: "Họp quý I", Kind: "quarterly", HeldOn: "2026-03-05"}))
		own := must[directive.Directive](t, "Create")(svc.Create(e.coord(), directive.Input{Title: "Rà soát hệ thống cấp độ 3", Source: "meeting", MeetingID: m.ID,
			LeadAgencyCode: "SKHCN", DueOn: "2026-06-30", Visibility: directive.VisibleAssigned}))
		other := must[directive.Directive](t, "Create")(svc.Create(e.coord(), directive.Input{Title: "Siết chặt quản lý thuê bao", Source: "meeting", MeetingID: m.ID,
			LeadAgencyCode: "VTL", DueOn: "2026-04-30", Visibility: directive.VisibleAssigned}))

		if _, err := svc.CreateCalendarFeed(as(access.SystemPrincipal())); !errs.Is(err, errs.Invalid) {
			t.Errorf("feed for the system = %v, want Invalid", err)
		}
		if f, err := svc.CalendarFeed(person("skhcn")); err != nil || f != nil {
			t.Fatalf("feed before any = %+v, %v", f, err)
		}
		token, err := svc.CreateCalendarFeed(person("skhcn"))
		if err != nil || !strings.HasPrefix(token, directive.FeedTokenPrefix) || len(token) != len(directive.FeedTokenPrefix)+32 {
			t.Fatalf("CreateCalendarFeed = %q, %v", token, err)
		}
		var stored string
		if err := db.QueryRow(ctx, `SELECT token_hash FROM calendar_feeds WHERE user_id = ?`, users["skhcn"]).Scan(&stored); err != nil || stored == token || strings.Contains(stored, token[5:]) {
			t.Errorf("stored %q (%v): want a hash, not the secret", stored, err)
		}

		cal, err := svc.FeedCalendar(ctx, token, "bulwark.example")
		if err != nil {
			t.Fatal(err)
		}
		var uids []string
		for _, ev := range cal.Events {
			uids = append(uids, ev.UID)
			if strings.Contains(ev.Summary, other.Title) {
				t.Errorf("the feed of SKHCN holds VTL's directive: %q", ev.Summary)
			}
		}
		joined := strings.Join(uids, " ")
		if !strings.Contains(joined, "meeting-") || !strings.Contains(joined, "directive-task-") || len(cal.Events) != 2 {
			t.Errorf("feed events = %v, want the meeting and SKHCN's deadline (%q)", uids, own.Title)
		}
		if f, err := svc.CalendarFeed(person("skhcn")); err != nil || f == nil || f.LastUsedAt == nil {
			t.Errorf("feed after a fetch = %+v, %v; want its last use", f, err)
		}
		// Another person's secret opens their own agency's calendar only.
		vtlToken := must[string](t, "CreateCalendarFeed")(svc.CreateCalendarFeed(person("vtl")))
		vcal := must[ical.Calendar](t, "FeedCalendar")(svc.FeedCalendar(ctx, vtlToken, ""))
		for _, ev := range vcal.Events {
			if strings.Contains(ev.Summary, own.Title) {
				t.Errorf("the feed of VTL holds SKHCN's directive")
			}
		}

		for name, bad := range map[string]string{"empty": "", "shape": "bcal_x", "unknown": directive.FeedTokenPrefix + strings.Repeat("a", 32), "api token": "bwk_" + token[5:]} {
			if _, err := svc.FeedCalendar(ctx, bad, ""); !errs.Is(err, errs.Unauthorized) {
				t.Errorf("%s secret = %v, want Unauthorized", name, err)
			}
		}
		renewed := must[string](t, "CreateCalendarFeed")(svc.CreateCalendarFeed(person("skhcn")))
		if _, err := svc.FeedCalendar(ctx, token, ""); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("replaced secret = %v, want Unauthorized", err)
		}
		if _, err := svc.FeedCalendar(ctx, renewed, ""); err != nil {
			t.Errorf("new secret = %v", err)
		}
		if err := svc.RevokeCalendarFeed(person("skhcn")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FeedCalendar(ctx, renewed, ""); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("revoked secret = %v, want Unauthorized", err)
		}
		if _, err := db.Exec(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, true, users["vtl"]); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FeedCalendar(ctx, vtlToken, ""); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("feed of a disabled account = %v, want Unauthorized", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('calendar.feed.create', 'calendar.feed.revoke')`).Scan(&n); err != nil || n != 4 {
			t.Errorf("audit rows of feed changes = %d, %v; want 4", n, err)
		}
	})
}
