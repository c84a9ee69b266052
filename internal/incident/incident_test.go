package incident_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/store"
)

// TestIssueFlow walks the issue's check: a district reports a defacement,
// the standing agency acknowledges it and gives the Department of Science
// and Technology a containment task, whose analyst sees the incident and
// completes the task; a telecom sees nothing; closing without a closing
// report is refused; with it, the incident closes.
func TestIssueFlow(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inc := w.create(t, "reporter", defacement(w))
		if inc.Ref != "SC-2026-0001" || inc.Status != incident.StatusNew || inc.Lead.Code != "CAT" || inc.Owner.Code != "TPBA" {
			t.Fatalf("created %s status %s lead %s owner %s", inc.Ref, inc.Status, inc.Lead.Code, inc.Owner.Code)
		}
		// The reporter's own analyst cannot acknowledge: that is the lead's.
		_, err := w.svc.Transition(w.as("tpba-analyst"), inc.ID, incident.StatusAcknowledged, "")
		wantKind(t, "owner acknowledges", err, errs.Forbidden)

		if _, err := w.svc.Get(w.as("skhcn"), inc.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("SKHCN sees the AMBER incident before any task: %v", err)
		}
		w.clock.Add(30 * time.Minute)
		ack, err := w.svc.Transition(w.as("coord"), inc.ID, incident.StatusAcknowledged, "Đã tiếp nhận")
		if err != nil {
			t.Fatal(err)
		}
		if ack.AcknowledgedAt == nil || !ack.AcknowledgedAt.Equal(w.clock.Now()) {
			t.Errorf("acknowledged_at = %v, want %v", ack.AcknowledgedAt, w.clock.Now())
		}
		task, err := w.svc.AddTask(w.as("coord"), inc.ID, incident.TaskInput{Title: "Ngăn chặn: cô lập máy chủ web", AgencyID: w.agencies["SKHCN"]})
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.Get(w.as("skhcn"), inc.ID)
		if err != nil {
			t.Fatalf("SKHCN with a task cannot see the incident: %v", err)
		}
		if got.Ref != inc.Ref {
			t.Fatalf("Get = %s", got.Ref)
		}
		mine, total, err := w.svc.MyTasks(w.as("skhcn"), incident.TaskFilter{})
		if err != nil || total != 1 || mine[0].ID != task.ID || mine[0].IncidentRef != inc.Ref {
			t.Fatalf("MyTasks = %+v, %d, %v", mine, total, err)
		}
		_, err = w.svc.UpdateTask(w.as("skhcn"), task.ID, incident.TaskUpdate{Status: incident.TaskDone})
		if errs.FieldOf(err) != "result" {
			t.Fatalf("done without result = %v, want a result field error", err)
		}
		if _, err := w.svc.UpdateTask(w.as("skhcn"), task.ID, incident.TaskUpdate{Status: incident.TaskDone, Result: "Đã cô lập, chuyển trang bảo trì"}); err != nil {
			t.Fatal(err)
		}
		// The telecom sees nothing: not the incident, not in lists, not its tasks.
		_, err = w.svc.Get(w.as("telecom"), inc.ID)
		wantKind(t, "telecom Get", err, errs.NotFound)
		if list, n, err := w.svc.List(w.as("telecom"), incident.Filter{}); err != nil || n != 0 || len(list) != 0 {
			t.Fatalf("telecom List = %d items, total %d, %v", len(list), n, err)
		}
		_, err = w.svc.Tasks(w.as("telecom"), inc.ID)
		wantKind(t, "telecom Tasks", err, errs.NotFound)

		_, err = w.svc.Transition(w.as("coord"), inc.ID, incident.StatusClosed, "")
		if !errors.Is(err, incident.ErrNoClosingReport) || errs.KindOf(err) != errs.Conflict {
			t.Fatalf("close without closing report = %v, want ErrNoClosingReport", err)
		}
		if !strings.Contains(errs.Message(err), "closing report") {
			t.Errorf("message %q does not say what is missing", errs.Message(err))
		}
		draft, err := w.svc.Draft(w.as("reporter"), inc.ID, incident.ReportClosing)
		if err != nil {
			t.Fatal(err)
		}
		draft.Results, draft.Signer, draft.SignerTitle = "Khôi phục giao diện, vá lỗ hổng", "Trịnh Hải Yến", "Phó Chủ tịch"
		rep, err := w.svc.AddReport(w.as("reporter"), inc.ID, draft)
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Add(time.Hour)
		closed, err := w.svc.Transition(w.as("coord"), inc.ID, incident.StatusClosed, "Đã có báo cáo kết thúc")
		if err != nil {
			t.Fatal(err)
		}
		if closed.Status != incident.StatusClosed || closed.ClosedAt == nil || closed.ResolvedAt == nil || closed.NextDueAt != nil {
			t.Errorf("closed = %s closed_at %v resolved_at %v next_due %v", closed.Status, closed.ClosedAt, closed.ResolvedAt, closed.NextDueAt)
		}
		var pdf bytes.Buffer
		_, r, err := w.svc.Report(w.as("coord"), inc.ID, rep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.WriteReportPDF(&pdf, closed, r); err != nil {
			t.Fatal(err)
		}
		text := pdfText(t, pdf.Bytes())
		for _, want := range []string{"BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ", "Trịnh Hải Yến", inc.Ref} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q", want)
			}
		}
		// The journal tells the story in order.
		j, err := w.svc.Journal(w.as("reporter"), inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var story []string
		for _, e := range j {
			switch e.Kind {
			case incident.JournalStatus:
				story = append(story, string(e.NewStatus))
			default:
				story = append(story, e.Event)
			}
		}
		want := []string{"created", "acknowledged", "task.created", "task.done", "report.closing", "closed"}
		if diff := cmp.Diff(want, story); diff != "" {
			t.Errorf("journal (-want +got):\n%s", diff)
		}
		// Views by people outside the owner agency are audited.
		if got := auditActions(t, db, "incident.view"); !containsAll(got, "skhcn@example.vn") {
			t.Errorf("incident.view audited for %v", got)
		}
		if got := auditActions(t, db, "access.denied"); !containsAll(got, "telecom@example.vn") {
			t.Errorf("access.denied audited for %v", got)
		}
		if ev := w.notes.events(); !containsAll(ev, "incident.created", "incident.assigned", "incident.status", "incident.task_done") {
			t.Errorf("notifications %v", ev)
		}
	})
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func TestVisibility(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		mk := func(tlp access.TLP, who string, people ...int64) incident.Incident {
			in := defacement(w)
			in.TLP, in.People = tlp, people
			return w.create(t, who, in)
		}
		amber := mk(access.Amber, "reporter")
		strict := mk(access.AmberStrict, "reporter")
		green := mk(access.Green, "reporter")
		red := mk(access.Red, "reporter", w.people["skhcn"].UserID)
		tests := []struct {
			who  string
			inc  incident.Incident
			sees bool
		}{
			{"reporter", amber, true}, {"tpba-viewer", amber, true}, {"coord", amber, true}, {"cat-analyst", amber, true},
			{"skhcn", amber, false}, {"telecom", amber, false},
			{"coord", strict, true}, {"skhcn", strict, false},
			{"telecom", green, true}, {"skhcn", green, true},
			{"reporter", red, true}, {"skhcn", red, true}, {"coord", red, false}, {"admin", red, false}, {"tpba-viewer", red, false},
		}
		for _, tt := range tests {
			_, err := w.svc.Get(w.as(tt.who), tt.inc.ID)
			if (err == nil) != tt.sees {
				t.Errorf("%s Get TLP:%s = %v, want sees=%t", tt.who, tt.inc.TLP, err, tt.sees)
			}
			list, _, err := w.svc.List(w.as(tt.who), incident.Filter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			inList := false
			for _, x := range list {
				inList = inList || x.ID == tt.inc.ID
			}
			if inList != tt.sees {
				t.Errorf("%s List has TLP:%s = %t, want %t", tt.who, tt.inc.TLP, inList, tt.sees)
			}
		}
		// A participating agency sees an AMBER incident; a task makes
		// AMBER+STRICT visible to the tasked agency too (need to know).
		if _, err := w.svc.SetAgencies(w.as("coord"), amber.ID, 0, []int64{w.agencies["SKHCN"]}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Get(w.as("skhcn"), amber.ID); err != nil {
			t.Errorf("participant cannot see: %v", err)
		}
		if _, err := w.svc.AddTask(w.as("coord"), strict.ID, incident.TaskInput{Title: "Phân tích", AgencyID: w.agencies["SKHCN"]}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Get(w.as("skhcn"), strict.ID); err != nil {
			t.Errorf("tasked agency cannot see: %v", err)
		}
		// A task on a RED incident does not show the incident to the
		// agency's people who are not named on it.
		if _, err := w.svc.AddTask(w.as("reporter"), red.ID, incident.TaskInput{Title: "x", AgencyID: w.agencies["VTL"]}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("reporter assigns a task = %v", err)
		}
		redCtx := access.With(context.Background(), &access.Principal{System: true})
		if _, err := w.svc.AddTask(redCtx, red.ID, incident.TaskInput{Title: "Bí mật", AgencyID: w.agencies["VTL"]}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Get(w.as("telecom"), red.ID); err == nil {
			t.Error("a task made a RED incident visible to an agency not named on it")
		}
		if tasks, n, _ := w.svc.MyTasks(w.as("telecom"), incident.TaskFilter{}); n != 0 || len(tasks) != 0 {
			t.Errorf("telecom's task list shows a RED incident's task: %+v", tasks)
		}
		// Seeing is not editing: a telecom on a GREEN incident may comment
		// but not edit or change status; a viewer may not comment.
		_, err := w.svc.Update(w.as("telecom"), green.ID, defacement(w))
		wantKind(t, "telecom edits GREEN", err, errs.Forbidden)
		_, err = w.svc.Transition(w.as("telecom"), green.ID, incident.StatusAcknowledged, "")
		wantKind(t, "telecom acknowledges GREEN", err, errs.Forbidden)
		if _, err := w.svc.Comment(w.as("telecom"), green.ID, "Nhà mạng đã chặn IP"); err != nil {
			t.Errorf("telecom comment on GREEN: %v", err)
		}
		_, err = w.svc.Comment(w.as("tpba-viewer"), amber.ID, "x")
		wantKind(t, "viewer comments", err, errs.Forbidden)
		// The reporter names the department's analyst on the RED incident:
		// the analyst sees it, the coordinator still does not.
		if err := w.svc.NamePerson(w.as("reporter"), red.ID, "TPBA-analyst@example.vn"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Get(w.as("tpba-analyst"), red.ID); err != nil {
			t.Errorf("named person cannot see the RED incident: %v", err)
		}
		if _, err := w.svc.Get(w.as("coord"), red.ID); err == nil {
			t.Error("coordinator sees a RED incident it is not named on")
		}
		if err := w.svc.NamePerson(w.as("reporter"), red.ID, "nobody@example.vn"); errs.FieldOf(err) != "email" {
			t.Errorf("naming an unknown address = %v", err)
		}
		if err := w.svc.NamePerson(w.as("coord"), red.ID, "coord@example.vn"); !errs.Is(err, errs.NotFound) {
			t.Errorf("coordinator names itself on a RED incident it cannot see = %v", err)
		}
		people, err := w.svc.NamedPeople(w.as("reporter"), red.ID)
		if err != nil || len(people) != 3 {
			t.Errorf("NamedPeople = %+v, %v", people, err)
		}
		// The liaison cannot file incidents; anonymous callers nothing.
		_, err = w.svc.Create(w.as("telecom"), defacement(w))
		wantKind(t, "liaison files", err, errs.Forbidden)
		_, _, err = w.svc.List(context.Background(), incident.Filter{})
		wantKind(t, "anonymous list", err, errs.Unauthorized)
	})
}

func TestTransitions(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a := w.create(t, "reporter", defacement(w))
		steps := []struct {
			who  string
			to   incident.Status
			kind errs.Kind // Internal: succeeds
		}{
			{"coord", incident.StatusNew, errs.Conflict},
			{"coord", incident.StatusClosed, errs.Conflict}, // acknowledge first
			{"coord", incident.StatusContained, errs.Internal},
			{"coord", incident.StatusContained, errs.Conflict}, // already
			{"tpba-analyst", incident.StatusEradicated, errs.Internal},
			{"tpba-analyst", incident.StatusRecovered, errs.Internal},
			{"tpba-analyst", incident.StatusClosed, errs.Forbidden},
			{"coord", incident.StatusRejected, errs.Conflict},
			{"coord", incident.StatusDuplicate, errs.Conflict},
			{"coord", "bogus", errs.Invalid},
		}
		for i, s := range steps {
			got, err := w.svc.Transition(w.as(s.who), a.ID, s.to, "")
			if s.kind == errs.Internal {
				if err != nil {
					t.Fatalf("step %d: %s -> %s: %v", i, s.who, s.to, err)
				}
				if got.Status != s.to {
					t.Fatalf("step %d: status %s", i, got.Status)
				}
				continue
			}
			if errs.KindOf(err) != s.kind {
				t.Errorf("step %d: %s -> %s = %v, want kind %v", i, s.who, s.to, err, s.kind)
			}
		}
		cur, _ := w.svc.Get(w.as("coord"), a.ID)
		if cur.AcknowledgedAt == nil || cur.ContainedAt == nil || cur.ResolvedAt == nil {
			t.Errorf("jumping ahead left times unset: ack %v contained %v resolved %v", cur.AcknowledgedAt, cur.ContainedAt, cur.ResolvedAt)
		}
		// Reject and reopen.
		b := w.create(t, "reporter", defacement(w))
		if _, err := w.svc.Transition(w.as("coord"), b.ID, incident.StatusRejected, "Không phải sự cố"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Transition(w.as("coord"), b.ID, incident.StatusInvestigating, "Mở lại"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMergeAndLinks(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a := w.create(t, "reporter", defacement(w))
		b := w.create(t, "reporter", defacement(w))
		if _, err := w.svc.AddObservable(w.as("reporter"), a.ID, incident.ObservableInput{Type: "domain", Value: "EVIL.example.COM"}); err != nil {
			t.Fatal(err)
		}
		_, err := w.svc.Merge(w.as("reporter"), a.ID, b.ID, "")
		wantKind(t, "reporter merges", err, errs.Forbidden)
		m, err := w.svc.Merge(w.as("coord"), a.ID, b.ID, "Trùng")
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != incident.StatusDuplicate || m.MergedIntoRef != b.Ref {
			t.Fatalf("merged = %s into %q", m.Status, m.MergedIntoRef)
		}
		_, err = w.svc.Transition(w.as("coord"), a.ID, incident.StatusInvestigating, "reopen")
		wantKind(t, "reopen merged", err, errs.Conflict)
		if !strings.Contains(errs.Message(err), b.Ref) {
			t.Errorf("reopen message %q does not name %s", errs.Message(err), b.Ref)
		}
		_, err = w.svc.Update(w.as("reporter"), a.ID, defacement(w))
		wantKind(t, "edit merged", err, errs.Conflict)
		obs, err := w.svc.Observables(w.as("coord"), b.ID)
		if err != nil || len(obs) != 1 || obs[0].Value != "evil.example.com" {
			t.Fatalf("observables of the target = %+v, %v", obs, err)
		}
		links, err := w.svc.Links(w.as("coord"), b.ID)
		if err != nil || len(links) != 1 || links[0].Ref != a.Ref {
			t.Fatalf("links = %+v, %v", links, err)
		}
		c := w.create(t, "reporter", defacement(w))
		if err := w.svc.LinkIncidents(w.as("reporter"), c.ID, b.ID, "cùng nhóm tấn công"); err != nil {
			t.Fatal(err)
		}
		if links, _ := w.svc.Links(w.as("reporter"), b.ID); len(links) != 2 {
			t.Errorf("links of b = %+v", links)
		}
	})
}

func TestObservables(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inc := w.create(t, "reporter", defacement(w))
		seen := time.Date(2026, 11, 19, 23, 0, 0, 0, time.UTC)
		tests := []struct {
			in        incident.ObservableInput
			wantValue string
			wantField string
		}{
			{in: incident.ObservableInput{Type: "ipv4", Value: "203.0.113.010"}, wantField: "value"},
			{in: incident.ObservableInput{Type: "ipv4", Value: " 203.0.113.10 "}, wantValue: "203.0.113.10"},
			{in: incident.ObservableInput{Type: "domain", Value: "Phishing.Example.VN."}, wantValue: "phishing.example.vn"},
			{in: incident.ObservableInput{Type: "sha256", Value: strings.Repeat("AB", 32), IsIndicator: true, FirstSeen: &seen}, wantValue: strings.Repeat("ab", 32)},
			{in: incident.ObservableInput{Type: "md5", Value: "xyz"}, wantField: "value"},
			{in: incident.ObservableInput{Type: "asn", Value: "AS13335"}, wantField: "type"},
			{in: incident.ObservableInput{Type: "url", Value: strings.Repeat("a", 9000)}, wantField: "value"},
			{in: incident.ObservableInput{Type: "domain", Value: "x.vn", TLP: "PURPLE"}, wantField: "tlp"},
		}
		for _, tt := range tests {
			o, err := w.svc.AddObservable(w.as("reporter"), inc.ID, tt.in)
			if tt.wantField != "" {
				if errs.FieldOf(err) != tt.wantField {
					t.Errorf("AddObservable(%s %.20q) = %v, want field %s", tt.in.Type, tt.in.Value, err, tt.wantField)
				}
				continue
			}
			if err != nil || o.Value != tt.wantValue || o.TLP != access.Amber {
				t.Errorf("AddObservable(%s %q) = %q TLP %s, %v; want %q", tt.in.Type, tt.in.Value, o.Value, o.TLP, err, tt.wantValue)
			}
		}
		if len(w.sink.got) != 1 || w.sink.got[0].Type != "sha256" || w.sink.got[0].IncidentRef != inc.Ref {
			t.Fatalf("sink got %+v", w.sink.got)
		}
		// The same value again merges: the flag is kept and seen times widen.
		later := seen.Add(5 * time.Hour)
		o, err := w.svc.AddObservable(w.as("reporter"), inc.ID, incident.ObservableInput{Type: "sha256", Value: strings.Repeat("ab", 32), LastSeen: &later})
		if err != nil || !o.IsIndicator || o.FirstSeen == nil || !o.FirstSeen.Equal(seen) || o.LastSeen == nil || !o.LastSeen.Equal(later) || o.HandedAt == nil {
			t.Errorf("merged observable = %+v, %v", o, err)
		}
		list, err := w.svc.Observables(w.as("reporter"), inc.ID)
		if err != nil || len(list) != 3 {
			t.Fatalf("Observables = %d, %v", len(list), err)
		}
		// A RED observable on an AMBER incident is hidden from those not named.
		if _, err := w.svc.AddObservable(w.as("reporter"), inc.ID, incident.ObservableInput{Type: "email", Value: "insider@example.vn", TLP: access.Red}); err != nil {
			t.Fatal(err)
		}
		if list, _ := w.svc.Observables(w.as("coord"), inc.ID); len(list) != 3 {
			t.Errorf("coordinator sees %d observables, want 3 (the RED one hidden)", len(list))
		}
		// A flagged RED observable is not handed to threat intelligence.
		if _, err := w.svc.AddObservable(w.as("reporter"), inc.ID, incident.ObservableInput{Type: "ipv4", Value: "198.51.100.9", TLP: access.Red, IsIndicator: true}); err != nil {
			t.Fatal(err)
		}
		for _, got := range w.sink.got { // the SHA-256 twice: first report, then its widened times
			if got.TLP == access.Red || got.Value == "198.51.100.9" {
				t.Errorf("RED indicator handed over: %+v", got)
			}
		}
		_, err = w.svc.AddObservable(w.as("skhcn"), inc.ID, incident.ObservableInput{Type: "ipv4", Value: "198.51.100.1"})
		wantKind(t, "outsider adds observable", err, errs.NotFound)
	})
}

func TestFiles(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inc := w.create(t, "reporter", defacement(w))
		content := bytes.Repeat([]byte("GET /wp-admin/shell.php 200\n"), 1000)
		f, err := w.svc.AddFile(w.as("reporter"), inc.ID, `C:\logs\access "log".txt`, "text/plain; charset=utf-8", "nhật ký truy cập", bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		if f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(content)) || f.Name != "access log.txt" || f.ContentType != "text/plain" {
			t.Errorf("file = %+v", f)
		}
		rc, got, err := w.svc.OpenFile(w.as("coord"), inc.ID, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		if !bytes.Equal(buf.Bytes(), content) || got.ID != f.ID {
			t.Errorf("downloaded %d bytes", buf.Len())
		}
		_, _, err = w.svc.OpenFile(w.as("telecom"), inc.ID, f.ID)
		wantKind(t, "telecom downloads", err, errs.NotFound)
		_, err = w.svc.AddFile(w.as("reporter"), inc.ID, "big.bin", "", "", bytes.NewReader(make([]byte, 1<<20+1)))
		wantKind(t, "too large", err, errs.TooLarge)
		_, err = w.svc.AddFile(w.as("reporter"), inc.ID, "../", "", "", strings.NewReader("x"))
		if errs.FieldOf(err) != "name" {
			t.Errorf("bad name = %v", err)
		}
		files, _ := w.svc.Files(w.as("reporter"), inc.ID)
		if len(files) != 1 {
			t.Errorf("Files = %d, want 1 (refused uploads leave nothing)", len(files))
		}
		if got := auditActions(t, db, "incident.file_download"); len(got) != 1 {
			t.Errorf("downloads audited %v", got)
		}
	})
}

func TestListFiltersAndSearch(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		deface := w.create(t, "reporter", defacement(w))
		in := defacement(w)
		in.Title, in.Description, in.Category, in.Severity = "Chiến dịch thư lừa đảo mạo danh Sở Tài chính", "Thư giả mạo gửi tới cán bộ", "fraud/phishing", incident.SeverityMedium
		phish := w.create(t, "reporter", in)
		in.Title, in.Category, in.Severity = "Tấn công DDoS cổng dịch vụ công", "availability/ddos", incident.SeverityCritical
		in.DetectedAt = w.clock.Now().Add(-40 * 24 * time.Hour)
		ddos := w.create(t, "reporter", in)
		ids := func(f incident.Filter) []string {
			list, total, err := w.svc.List(w.as("coord"), f)
			if err != nil {
				t.Fatalf("List(%+v): %v", f, err)
			}
			if total < len(list) {
				t.Fatalf("total %d < %d items", total, len(list))
			}
			var out []string
			for _, x := range list {
				out = append(out, x.Ref)
			}
			return out
		}
		w.clock.Add(2 * time.Hour) // the critical one misses its 1-hour acknowledgement
		tests := []struct {
			name string
			f    incident.Filter
			want []string
		}{
			{"all newest first", incident.Filter{}, []string{ddos.Ref, phish.Ref, deface.Ref}},
			{"search without diacritics", incident.Filter{Query: "giao dien"}, []string{deface.Ref}},
			{"search with diacritics, prefix", incident.Filter{Query: "lừa đả"}, []string{phish.Ref}},
			{"search the reference", incident.Filter{Query: phish.Ref}, []string{phish.Ref}},
			{"search syntax is literal", incident.Filter{Query: `"* OR NOT) AND:`}, nil},
			{"search the address", incident.Filter{Query: "tpbinhan.gov.vn"}, []string{ddos.Ref, phish.Ref, deface.Ref}},
			{"severity", incident.Filter{Severity: incident.SeverityCritical}, []string{ddos.Ref}},
			{"category class", incident.Filter{Category: "fraud"}, []string{phish.Ref}},
			{"category code", incident.Filter{Category: "availability/ddos"}, []string{ddos.Ref}},
			{"period", incident.Filter{From: w.clock.Now().Add(-10 * 24 * time.Hour)}, []string{phish.Ref, deface.Ref}},
			{"overdue", incident.Filter{Overdue: true}, []string{ddos.Ref}},
			{"agency", incident.Filter{AgencyID: w.agencies["VTL"]}, nil},
			{"page", incident.Filter{Limit: 1, Offset: 1}, []string{phish.Ref}},
			{"status open", incident.Filter{Status: "open"}, []string{ddos.Ref, phish.Ref, deface.Ref}},
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, ids(tt.f)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		}
		_, _, err := w.svc.List(w.as("coord"), incident.Filter{Category: "harmful-speech"})
		if errs.FieldOf(err) != "category" {
			t.Errorf("unknown category = %v", err)
		}
		od, n, err := w.svc.Overdue(w.as("coord"), 10)
		if err != nil || n != 1 || od[0].Ref != ddos.Ref || !od[0].Overdue || od[0].NextDueRule != "ack_critical" {
			t.Errorf("Overdue = %+v, %d, %v", od, n, err)
		}
		// Text edits are searchable at once.
		up := defacement(w)
		up.Title = "Website bị chèn mã độc đào tiền ảo"
		if _, err := w.svc.Update(w.as("reporter"), deface.ID, up); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{deface.Ref}, ids(incident.Filter{Query: "dao tien ao"})); diff != "" {
			t.Errorf("search after edit (-want +got):\n%s", diff)
		}
	})
}

func TestDeadlineRules(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		in := defacement(w)
		in.Severity = incident.SeverityCritical
		inc := w.create(t, "reporter", in)
		ds, err := w.svc.Deadlines(w.as("reporter"), inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]string{}
		for _, d := range ds {
			states[d.Rule.Code] = d.State
		}
		want := map[string]string{"report": "met", "closing_report": "pending", "ack_critical": "open", "contain_critical": "pending"}
		if diff := cmp.Diff(want, states); diff != "" {
			t.Errorf("deadlines (-want +got):\n%s", diff)
		}
		if inc.NextDueRule != "ack_critical" || inc.NextDueAt == nil || !inc.NextDueAt.Equal(inc.ReportedAt.Add(time.Hour)) {
			t.Errorf("next due %s %v", inc.NextDueRule, inc.NextDueAt)
		}
		w.clock.Add(50 * time.Minute)
		n, err := w.svc.CheckDeadlines(context.Background(), time.Hour)
		if err != nil || n != 1 {
			t.Fatalf("CheckDeadlines soon = %d, %v", n, err)
		}
		if n, _ := w.svc.CheckDeadlines(context.Background(), time.Hour); n != 0 {
			t.Errorf("second check notified again: %d", n)
		}
		w.clock.Add(20 * time.Minute)
		if n, _ := w.svc.CheckDeadlines(context.Background(), time.Hour); n != 1 {
			t.Errorf("overdue check = %d, want 1", n)
		}
		// Admins edit the rules; the next deadline follows.
		_, err = w.svc.UpdateRule(w.as("coord"), "ack_critical", 240, true)
		wantKind(t, "coordinator edits rule", err, errs.Forbidden)
		_, err = w.svc.UpdateRule(w.as("admin"), "ack_critical", 0, true)
		if errs.FieldOf(err) != "minutes" {
			t.Errorf("zero minutes = %v", err)
		}
		if _, err := w.svc.UpdateRule(w.as("admin"), "ack_critical", 240, true); err != nil {
			t.Fatal(err)
		}
		got, _ := w.svc.Get(w.as("reporter"), inc.ID)
		if got.Overdue || got.NextDueAt == nil || !got.NextDueAt.Equal(inc.ReportedAt.Add(4*time.Hour)) {
			t.Errorf("after edit: overdue %t next %v", got.Overdue, got.NextDueAt)
		}
		_, err = w.svc.UpdateRule(w.as("admin"), "nope", 10, true)
		wantKind(t, "unknown rule", err, errs.NotFound)
	})
}

func TestReferencesAreUniquePerYear(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var refs []string
		for range 3 {
			refs = append(refs, w.create(t, "reporter", defacement(w)).Ref)
		}
		w.clock.Add(45 * 24 * time.Hour) // into 2027, province time
		refs = append(refs, w.create(t, "reporter", defacement(w)).Ref)
		want := []string{"SC-2026-0001", "SC-2026-0002", "SC-2026-0003", "SC-2027-0001"}
		if diff := cmp.Diff(want, refs); diff != "" {
			t.Errorf("refs (-want +got):\n%s", diff)
		}
		id, err := w.svc.ByRef(w.as("reporter"), "sc-2026-0002")
		if err != nil || id == 0 {
			t.Errorf("ByRef = %d, %v", id, err)
		}
	})
}

func TestInputLimits(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		tests := []struct {
			name  string
			edit  func(*incident.Input)
			field string
		}{
			{"no title", func(in *incident.Input) { in.Title = " " }, "title"},
			{"long title", func(in *incident.Input) { in.Title = strings.Repeat("ă", incident.MaxTitle+1) }, "title"},
			{"title on two lines", func(in *incident.Input) { in.Title = "a\nb" }, "title"},
			{"long description", func(in *incident.Input) { in.Description = strings.Repeat("x", incident.MaxLong+1) }, "description"},
			{"harmful speech refused", func(in *incident.Input) { in.Category = "abusive-content/harmful-speech" }, "category"},
			{"bad severity", func(in *incident.Input) { in.Severity = "apocalyptic" }, "severity"},
			{"bad tlp", func(in *incident.Input) { in.TLP = "BLUE" }, "tlp"},
			{"bad pap", func(in *incident.Input) { in.PAP = "BLUE" }, "pap"},
			{"level 6", func(in *incident.Input) { in.SystemLevel = 6 }, "system_level"},
			{"bad effect", func(in *incident.Input) { in.Effects = []incident.Effect{"boredom"} }, "effects"},
			{"future detection", func(in *incident.Input) { in.DetectedAt = w.clock.Now().Add(24 * time.Hour) }, "detected_at"},
			{"no detection time", func(in *incident.Input) { in.DetectedAt = time.Time{} }, "detected_at"},
			{"control character", func(in *incident.Input) { in.Operator = "a\x1b[31m" }, "operator"},
			{"foreign owner", func(in *incident.Input) { in.OwnerAgencyID = w.agencies["SKHCN"] }, "owner_agency_id"},
			{"unknown participant", func(in *incident.Input) { in.Participants = []int64{99999} }, "participating_agency_ids"},
			{"unknown playbook", func(in *incident.Input) { in.Playbook = "nope" }, "playbook"},
		}
		for _, tt := range tests {
			in := defacement(w)
			tt.edit(&in)
			_, err := w.svc.Create(w.as("reporter"), in)
			if errs.KindOf(err) != errs.Invalid || errs.FieldOf(err) != tt.field {
				t.Errorf("%s: Create = %v, want Invalid on %s", tt.name, err, tt.field)
			}
		}
		// The serious flag is computed, never typed.
		in := defacement(w)
		in.SystemLevel, in.Effects, in.BeyondCapacity = 4, []incident.Effect{incident.EffectInterruption}, true
		if inc := w.create(t, "reporter", in); !inc.Serious {
			t.Error("level 4 + interruption + beyond capacity is not serious")
		}
		in.SystemLevel = 3
		if inc := w.create(t, "reporter", in); inc.Serious {
			t.Error("level 3 incident flagged serious")
		}
		// A coordinator files for another agency.
		in = defacement(w)
		in.OwnerAgencyID = w.agencies["TPBA"]
		if inc := w.create(t, "coord", in); inc.Owner.Code != "TPBA" {
			t.Errorf("owner = %s", inc.Owner.Code)
		}
	})
}

func TestPlaybookAndChecklist(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		pbs, err := w.svc.Playbooks(w.as("reporter"), false)
		if err != nil || len(pbs) != 6 {
			t.Fatalf("Playbooks = %d, %v", len(pbs), err)
		}
		in := defacement(w)
		in.Playbook = "defacement"
		inc := w.create(t, "reporter", in)
		tasks, err := w.svc.Tasks(w.as("reporter"), inc.ID)
		if err != nil || len(tasks) != 4 {
			t.Fatalf("Tasks = %d, %v", len(tasks), err)
		}
		if tasks[0].Agency.Code != "TPBA" || tasks[2].Agency.Code != "CAT" || tasks[0].DueAt == nil {
			t.Errorf("tasks = %+v", tasks)
		}
		items, err := w.svc.Checklist(w.as("reporter"), inc.ID)
		if err != nil || len(items) != 5 {
			t.Fatalf("Checklist = %d, %v", len(items), err)
		}
		if err := w.svc.CheckItemDone(w.as("reporter"), inc.ID, items[0].ID, true); err != nil {
			t.Fatal(err)
		}
		items, _ = w.svc.Checklist(w.as("reporter"), inc.ID)
		if !items[0].Done || items[0].DoneBy != "reporter@example.vn" {
			t.Errorf("item = %+v", items[0])
		}
		pb := pbs[0]
		pb.Tasks = append(pb.Tasks, incident.PlaybookTask{Title: "Báo cáo Bộ Công an", Agency: "lead", DueHours: 24})
		_, err = w.svc.SavePlaybook(w.as("coord"), pb)
		wantKind(t, "coordinator edits playbook", err, errs.Forbidden)
		saved, err := w.svc.SavePlaybook(w.as("admin"), pb)
		if err != nil || len(saved.Tasks) != 5 {
			t.Fatalf("SavePlaybook = %d tasks, %v", len(saved.Tasks), err)
		}
		pb.Tasks[0].Agency = "everyone"
		_, err = w.svc.SavePlaybook(w.as("admin"), pb)
		if errs.FieldOf(err) != "tasks[0].agency" {
			t.Errorf("bad task agency = %v", err)
		}
	})
}

func TestJournalKeepsEverything(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inc := w.create(t, "reporter", defacement(w))
		e, err := w.svc.Comment(w.as("reporter"), inc.ID, "Phát hiện web shell")
		if err != nil {
			t.Fatal(err)
		}
		e2, err := w.svc.EditComment(w.as("reporter"), inc.ID, e.ID, "Phát hiện hai web shell")
		if err != nil {
			t.Fatal(err)
		}
		if e2.Body != "Phát hiện hai web shell" || len(e2.Revisions) != 1 || e2.Revisions[0].Body != "Phát hiện web shell" || e2.EditedAt == nil {
			t.Errorf("edited entry = %+v", e2)
		}
		_, err = w.svc.EditComment(w.as("coord"), inc.ID, e.ID, "sửa của người khác")
		wantKind(t, "edit another's comment", err, errs.Forbidden)
		j, _ := w.svc.Journal(w.as("reporter"), inc.ID)
		_, err = w.svc.EditComment(w.as("reporter"), inc.ID, j[0].ID, "rewrite history")
		wantKind(t, "edit an event", err, errs.Conflict)
		// Editing the description keeps the previous text.
		up := defacement(w)
		up.Description = "Mô tả mới"
		if _, err := w.svc.Update(w.as("reporter"), inc.ID, up); err != nil {
			t.Fatal(err)
		}
		j, _ = w.svc.Journal(w.as("reporter"), inc.ID)
		last := j[len(j)-1]
		if last.Event != "edited" || len(last.Revisions) != 1 || last.Revisions[0].Body != defacement(w).Description {
			t.Errorf("edit event = %+v", last)
		}
	})
}

func TestFigures(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a := w.create(t, "reporter", defacement(w))
		in := defacement(w)
		in.Category, in.Severity = "availability/ddos", incident.SeverityCritical
		w.create(t, "reporter", in)
		w.clock.Add(2 * time.Hour)
		if _, err := w.svc.Transition(w.as("coord"), a.ID, incident.StatusContained, ""); err != nil {
			t.Fatal(err)
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, w.svc.Location())
		f, err := w.svc.Figures(w.as("coord"), from, from.AddDate(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if f.Total != 2 || f.Open != 2 || len(f.ByMonth) != 12 || f.ByMonth[10].Count != 2 || f.ByAgency[0] != (incident.Count{Key: "TPBA", Count: 2}) {
			t.Errorf("figures = %+v", f)
		}
		if f.MedianAcknowledgeHours == nil || *f.MedianAcknowledgeHours != 2 || f.MedianContainHours == nil || *f.MedianContainHours != 4 || f.MedianCloseHours != nil {
			t.Errorf("medians = %v %v %v", f.MedianAcknowledgeHours, f.MedianContainHours, f.MedianCloseHours)
		}
		// A telecom's figures count only what it sees.
		f, _ = w.svc.Figures(w.as("telecom"), from, from.AddDate(1, 0, 0))
		if f.Total != 0 {
			t.Errorf("telecom figures total %d", f.Total)
		}
	})
}

// TestViewsAreAudited: every read of an incident by someone outside the
// owner agency is in the audit log, once per page when the page says so;
// the owner's own reads are not.
func TestViewsAreAudited(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inc := w.create(t, "reporter", defacement(w))
		count := func() int { return len(auditActions(t, db, "incident.view")) }
		for _, read := range []func(ctx context.Context) error{
			func(ctx context.Context) error { _, err := w.svc.Get(ctx, inc.ID); return err },
			func(ctx context.Context) error { _, err := w.svc.Journal(ctx, inc.ID); return err },
			func(ctx context.Context) error { _, err := w.svc.Tasks(ctx, inc.ID); return err },
			func(ctx context.Context) error { _, err := w.svc.Observables(ctx, inc.ID); return err },
			func(ctx context.Context) error { _, err := w.svc.Files(ctx, inc.ID); return err },
			func(ctx context.Context) error { _, err := w.svc.Reports(ctx, inc.ID); return err },
			func(ctx context.Context) error { _, err := w.svc.Deadlines(ctx, inc.ID); return err },
		} {
			before := count()
			if err := read(w.as("reporter")); err != nil {
				t.Fatal(err)
			}
			if count() != before {
				t.Error("the owner's read was audited as a view from outside")
			}
			if err := read(w.as("coord")); err != nil {
				t.Fatal(err)
			}
			if count() != before+1 {
				t.Errorf("a coordinator's read was not audited (%d -> %d)", before, count())
			}
		}
		before := count()
		page := incident.WithViewScope(w.as("coord"))
		for range 3 {
			if _, err := w.svc.Get(page, inc.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Tasks(page, inc.ID); err != nil {
				t.Fatal(err)
			}
		}
		if count() != before+1 {
			t.Errorf("one page made %d view rows, want 1", count()-before)
		}
	})
}
