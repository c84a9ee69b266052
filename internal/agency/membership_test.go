package agency_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/agency"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// subcommittee is a small fixture: the police (standing), the DoST, the
// subcommittee set up by decision 1/QĐ-UBND and its working group.
type subcommittee struct {
	s           *agency.Service
	log         *audit.Log
	police, sci agency.Agency
	setup       agency.Decision
	body, group agency.Body
}

func newSubcommittee(t *testing.T, db *store.DB) subcommittee {
	t.Helper()
	s, log := newService(t, db)
	f := subcommittee{s: s, log: log}
	f.police = mustCreate(t, s, agency.AgencyInput{Code: "CAT", NameVI: "Công an tỉnh", Kind: agency.KindStanding})
	f.sci = mustCreate(t, s, agency.AgencyInput{Code: "SKHCN", NameVI: "Sở Khoa học và Công nghệ", Kind: agency.KindDepartment})
	var err error
	f.setup, err = s.CreateDecision(system(), agency.Decision{Number: "1/QĐ-UBND", Date: "2024-01-10",
		Title: "Thành lập Tiểu ban An toàn, an ninh mạng tỉnh", Kind: agency.DecisionMembership, Signer: "Chủ tịch UBND tỉnh"})
	if err != nil {
		t.Fatalf("CreateDecision = %v", err)
	}
	f.body, err = s.CreateBody(system(), agency.Body{Code: "tieu-ban", NameVI: "Tiểu ban An toàn, an ninh mạng", Kind: agency.BodySubcommittee, DecisionID: f.setup.ID})
	if err != nil {
		t.Fatalf("CreateBody = %v", err)
	}
	f.group, err = s.CreateBody(system(), agency.Body{Code: "TO-GIUP-VIEC", NameVI: "Tổ giúp việc", Kind: agency.BodyWorkingGroup, ParentID: f.body.ID})
	if err != nil {
		t.Fatalf("CreateBody(group) = %v", err)
	}
	return f
}

func (f subcommittee) appoint(t *testing.T, m agency.Membership) agency.Membership {
	t.Helper()
	got, err := f.s.Appoint(system(), m)
	if err != nil {
		t.Fatalf("Appoint(%s) = %v", m.PersonName, err)
	}
	return got
}

func names(ms []agency.Membership) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Role+" "+m.PersonName)
	}
	return out
}

func TestComposition(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newSubcommittee(t, db)
		s, ctx := f.s, coordinator(f.police.ID, true)
		oldHead := f.appoint(t, agency.Membership{BodyCode: "TIEU-BAN", PersonName: "Nguyễn Văn An", PersonTitle: "Phó Chủ tịch UBND tỉnh",
			AgencyCode: "cat", Role: agency.RoleHead, DecisionNumber: "1/QĐ-UBND", From: "2024-01-15"})
		want := agency.Membership{ID: oldHead.ID, BodyID: f.body.ID, BodyCode: "TIEU-BAN", PersonName: "Nguyễn Văn An",
			PersonTitle: "Phó Chủ tịch UBND tỉnh", AgencyID: f.police.ID, AgencyCode: "CAT", AgencyName: "Công an tỉnh",
			Role: "head", DecisionID: f.setup.ID, DecisionNumber: "1/QĐ-UBND", From: "2024-01-15"}
		if diff := cmp.Diff(want, oldHead); diff != "" {
			t.Errorf("Appoint(head) mismatch (-want +got):\n%s", diff)
		}
		f.appoint(t, agency.Membership{BodyID: f.body.ID, PersonName: "Trần Thị Bình", AgencyID: f.police.ID, Role: agency.RoleDeputyHead, From: "2024-01-15"})
		// Vietnamese order: Âu before Bùi before Đặng (bytewise Â and Đ sort after B and D).
		f.appoint(t, agency.Membership{BodyID: f.body.ID, PersonName: "Đặng Văn Đức", AgencyID: f.sci.ID, Role: agency.RoleMember, From: "2024-01-15"})
		f.appoint(t, agency.Membership{BodyID: f.body.ID, PersonName: "Bùi Văn Nam", AgencyID: f.sci.ID, Role: agency.RoleMember, From: "2024-06-01"})
		f.appoint(t, agency.Membership{BodyID: f.body.ID, PersonName: "Âu Thị Hà", AgencyID: f.sci.ID, Role: agency.RoleMember, From: "2024-01-15"})
		f.appoint(t, agency.Membership{BodyID: f.body.ID, PersonName: "Dương Minh Khoa", AgencyID: f.police.ID, Role: agency.RoleSecretary, From: "2024-01-15"})
		// Another body's members stay out of the subcommittee's composition.
		f.appoint(t, agency.Membership{BodyID: f.group.ID, PersonName: "Phạm Văn Tổ", AgencyID: f.sci.ID, Role: agency.RoleHead, From: "2024-01-15"})

		// A second head while the first sits is refused.
		_, err := s.Appoint(ctx, agency.Membership{BodyID: f.body.ID, PersonName: "Hoàng Văn Mới", AgencyID: f.police.ID, Role: agency.RoleHead, From: "2025-03-01"})
		wantKind(t, "Appoint(second head)", err, errs.Conflict, "role")
		// So is the same person twice (name typed without diacritics).
		_, err = s.Appoint(ctx, agency.Membership{BodyID: f.body.ID, PersonName: "bui van nam", AgencyID: f.sci.ID, Role: agency.RoleMember, From: "2025-01-01"})
		wantKind(t, "Appoint(same person)", err, errs.Conflict, "")

		end, err := s.CreateDecision(ctx, agency.Decision{Number: "250/QĐ-UBND", Date: "2025-02-20", Title: "Kiện toàn Tiểu ban", Kind: agency.DecisionMembership})
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, "EndMembership(before start)", s.EndMembership(ctx, oldHead.ID, "2023-12-31", 0, ""), errs.Invalid, "to")
		wantKind(t, "EndMembership(bad date)", s.EndMembership(ctx, oldHead.ID, "2025-02-30", 0, ""), errs.Invalid, "to")
		wantKind(t, "EndMembership(bad decision)", s.EndMembership(ctx, oldHead.ID, "2025-02-28", 999, ""), errs.Invalid, "end_decision_id")
		wantKind(t, "EndMembership(missing)", s.EndMembership(ctx, 999, "2025-02-28", 0, ""), errs.NotFound, "")
		if err := s.EndMembership(ctx, oldHead.ID, "2025-02-28", end.ID, "Nghỉ hưu"); err != nil {
			t.Fatalf("EndMembership = %v", err)
		}
		wantKind(t, "EndMembership(again)", s.EndMembership(ctx, oldHead.ID, "2025-03-31", 0, ""), errs.Conflict, "")
		// The old head's last day overlaps a head from that day on.
		_, err = s.Appoint(ctx, agency.Membership{BodyID: f.body.ID, PersonName: "Hoàng Văn Mới", AgencyID: f.police.ID, Role: agency.RoleHead, From: "2025-02-28"})
		wantKind(t, "Appoint(head on last day of the old)", err, errs.Conflict, "role")
		f.appoint(t, agency.Membership{BodyID: f.body.ID, PersonName: "Hoàng Văn Mới", AgencyID: f.police.ID, Role: agency.RoleHead,
			DecisionID: end.ID, From: "2025-03-01"})

		tests := []struct {
			on   string
			want []string
		}{
			{"2024-01-14", []string{}},
			{"2024-01-15", []string{"head Nguyễn Văn An", "deputy_head Trần Thị Bình", "member Âu Thị Hà", "member Đặng Văn Đức", "secretary Dương Minh Khoa"}},
			{"2025-02-28", []string{"head Nguyễn Văn An", "deputy_head Trần Thị Bình", "member Âu Thị Hà", "member Bùi Văn Nam", "member Đặng Văn Đức", "secretary Dương Minh Khoa"}},
			{"2025-03-01", []string{"head Hoàng Văn Mới", "deputy_head Trần Thị Bình", "member Âu Thị Hà", "member Bùi Văn Nam", "member Đặng Văn Đức", "secretary Dương Minh Khoa"}},
			{"", []string{"head Hoàng Văn Mới", "deputy_head Trần Thị Bình", "member Âu Thị Hà", "member Bùi Văn Nam", "member Đặng Văn Đức", "secretary Dương Minh Khoa"}},
		}
		for _, tt := range tests {
			got, err := s.Composition(analyst(f.sci.ID), f.body.ID, tt.on)
			if err != nil {
				t.Fatalf("Composition(%q) = %v", tt.on, err)
			}
			if diff := cmp.Diff(tt.want, names(got)); diff != "" {
				t.Errorf("Composition(%q) (-want +got):\n%s", tt.on, diff)
			}
		}
		_, err = s.Composition(ctx, f.body.ID, "15/01/2024")
		wantKind(t, "Composition(bad date)", err, errs.Invalid, "on")
		_, err = s.Composition(ctx, 999, "")
		wantKind(t, "Composition(missing body)", err, errs.NotFound, "")

		ended, err := s.GetMembership(ctx, oldHead.ID)
		if err != nil || ended.To != "2025-02-28" || ended.EndDecisionNumber != "250/QĐ-UBND" || ended.EndReason != "Nghỉ hưu" {
			t.Errorf("ended membership = %+v, %v", ended, err)
		}
		current, err := s.ListMemberships(ctx, f.body.ID, false)
		if err != nil || len(current) != 6 || current[0].PersonName != "Hoàng Văn Mới" {
			t.Errorf("ListMemberships(current) = %v, %v", names(current), err)
		}
		all, err := s.ListMemberships(ctx, f.body.ID, true)
		if err != nil || len(all) != 7 || all[6].PersonName != "Nguyễn Văn An" {
			t.Errorf("ListMemberships(all) = %v, %v; want the ended head last", names(all), err)
		}
		every, err := s.ListMemberships(ctx, 0, true)
		if err != nil || len(every) != 8 {
			t.Errorf("ListMemberships(every body) = %d, %v; want 8", len(every), err)
		}
		counts := map[string]int{}
		for _, a := range auditActions(t, f.log) {
			counts[a]++
		}
		wantActions := map[string]int{"agency.create": 2, "decision.create": 2, "body.create": 2, "membership.appoint": 8, "membership.end": 1}
		if diff := cmp.Diff(wantActions, counts); diff != "" {
			t.Errorf("audit actions (-want +got):\n%s", diff)
		}
	})
}

func TestSubcommitteeValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newSubcommittee(t, db)
		s, ctx := f.s, admin()
		ok := agency.Membership{BodyID: f.body.ID, PersonName: "Lê Văn C", AgencyID: f.sci.ID, Role: agency.RoleMember, From: "2024-02-01"}
		with := func(fn func(*agency.Membership)) agency.Membership { m := ok; fn(&m); return m }
		tests := []struct {
			name  string
			m     agency.Membership
			kind  errs.Kind
			field string
		}{
			{"no name", with(func(m *agency.Membership) { m.PersonName = "" }), errs.Invalid, "person_name"},
			{"name 201", with(func(m *agency.Membership) { m.PersonName = strings.Repeat("ữ", 201) }), errs.Invalid, "person_name"},
			{"title 201", with(func(m *agency.Membership) { m.PersonTitle = strings.Repeat("ữ", 201) }), errs.Invalid, "person_title"},
			{"no role", with(func(m *agency.Membership) { m.Role = "" }), errs.Invalid, "role"},
			{"bad role", with(func(m *agency.Membership) { m.Role = "chairman" }), errs.Invalid, "role"},
			{"no from", with(func(m *agency.Membership) { m.From = "" }), errs.Invalid, "from"},
			{"from not a day", with(func(m *agency.Membership) { m.From = "2024-02-30" }), errs.Invalid, "from"},
			{"from short form", with(func(m *agency.Membership) { m.From = "2024-2-1" }), errs.Invalid, "from"},
			{"from with time", with(func(m *agency.Membership) { m.From = "2024-02-01T00:00:00Z" }), errs.Invalid, "from"},
			{"from year 0999", with(func(m *agency.Membership) { m.From = "0999-01-01" }), errs.Invalid, "from"},
			{"to before from", with(func(m *agency.Membership) { m.To = "2024-01-31" }), errs.Invalid, "to"},
			{"to bad", with(func(m *agency.Membership) { m.To = "2024-13-01" }), errs.Invalid, "to"},
			{"no body", with(func(m *agency.Membership) { m.BodyID = 0 }), errs.Invalid, "body_id"},
			{"missing body", with(func(m *agency.Membership) { m.BodyID = 999 }), errs.Invalid, "body_id"},
			{"unknown body code", with(func(m *agency.Membership) { m.BodyID, m.BodyCode = 0, "NOPE" }), errs.Invalid, "body_code"},
			{"no agency", with(func(m *agency.Membership) { m.AgencyID = 0 }), errs.Invalid, "agency_id"},
			{"missing agency", with(func(m *agency.Membership) { m.AgencyID = 999 }), errs.Invalid, "agency_id"},
			{"unknown agency code", with(func(m *agency.Membership) { m.AgencyID, m.AgencyCode = 0, "NOPE" }), errs.Invalid, "agency_code"},
			{"missing decision", with(func(m *agency.Membership) { m.DecisionID = 999 }), errs.Invalid, "decision_id"},
			{"unknown decision number", with(func(m *agency.Membership) { m.DecisionNumber = "9/QĐ" }), errs.Invalid, "decision_number"},
			{"missing user", with(func(m *agency.Membership) { m.UserID = 999 }), errs.Invalid, "user_id"},
			{"negative id", with(func(m *agency.Membership) { m.BodyID = -1 }), errs.Invalid, "body_id"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.Appoint(ctx, tt.m)
				wantKind(t, "Appoint("+tt.name+")", err, tt.kind, tt.field)
			})
		}
		// A closed historical seat may be recorded at once, with To = From.
		m := with(func(m *agency.Membership) { m.To = m.From; m.PersonName = "Ngô 'Quote'; DROP TABLE memberships;--" })
		got, err := s.Appoint(ctx, m)
		if err != nil || got.To != "2024-02-01" || got.PersonName != m.PersonName {
			t.Errorf("Appoint(historical) = %+v, %v", got, err)
		}

		okDec := agency.Decision{Number: "2/QĐ-UBND", Date: "2024-03-01", Title: "Phân công nhiệm vụ", Kind: agency.DecisionAssignment}
		withD := func(fn func(*agency.Decision)) agency.Decision { d := okDec; fn(&d); return d }
		decTests := []struct {
			name  string
			d     agency.Decision
			kind  errs.Kind
			field string
		}{
			{"duplicate number", withD(func(d *agency.Decision) { d.Number = " 1/QĐ-UBND " }), errs.Conflict, "number"},
			{"no number", withD(func(d *agency.Decision) { d.Number = "" }), errs.Invalid, "number"},
			{"number 65", withD(func(d *agency.Decision) { d.Number = strings.Repeat("1", 65) }), errs.Invalid, "number"},
			{"no date", withD(func(d *agency.Decision) { d.Date = "" }), errs.Invalid, "date"},
			{"bad date", withD(func(d *agency.Decision) { d.Date = "2024-02-31" }), errs.Invalid, "date"},
			{"no title", withD(func(d *agency.Decision) { d.Title = " " }), errs.Invalid, "title"},
			{"title 501", withD(func(d *agency.Decision) { d.Title = strings.Repeat("a", 501) }), errs.Invalid, "title"},
			{"bad kind", withD(func(d *agency.Decision) { d.Kind = "law" }), errs.Invalid, "kind"},
			{"signer 201", withD(func(d *agency.Decision) { d.Signer = strings.Repeat("a", 201) }), errs.Invalid, "signer"},
			{"missing agency", withD(func(d *agency.Decision) { d.AgencyID = 999 }), errs.Invalid, "agency_id"},
		}
		for _, tt := range decTests {
			t.Run("decision "+tt.name, func(t *testing.T) {
				_, err := s.CreateDecision(ctx, tt.d)
				wantKind(t, "CreateDecision("+tt.name+")", err, tt.kind, tt.field)
			})
		}
		bodyTests := []struct {
			name  string
			b     agency.Body
			kind  errs.Kind
			field string
		}{
			{"duplicate code", agency.Body{Code: "Tieu-Ban", NameVI: "x", Kind: agency.BodyOther}, errs.Conflict, "code"},
			{"bad code", agency.Body{Code: "tiểu ban", NameVI: "x", Kind: agency.BodyOther}, errs.Invalid, "code"},
			{"no name", agency.Body{Code: "X1", Kind: agency.BodyOther}, errs.Invalid, "name_vi"},
			{"bad kind", agency.Body{Code: "X1", NameVI: "x", Kind: "team"}, errs.Invalid, "kind"},
			{"missing parent", agency.Body{Code: "X1", NameVI: "x", Kind: agency.BodyOther, ParentID: 999}, errs.Invalid, "parent_id"},
			{"missing decision", agency.Body{Code: "X1", NameVI: "x", Kind: agency.BodyOther, DecisionID: 999}, errs.Invalid, "decision_id"},
		}
		for _, tt := range bodyTests {
			t.Run("body "+tt.name, func(t *testing.T) {
				_, err := s.CreateBody(ctx, tt.b)
				wantKind(t, "CreateBody("+tt.name+")", err, tt.kind, tt.field)
			})
		}
	})
}

func TestDecisionsAndBodies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newSubcommittee(t, db)
		s, ctx := f.s, analyst(f.sci.ID)
		for i, date := range []string{"2024-05-01", "2025-01-01", "2023-12-01"} {
			if _, err := s.CreateDecision(system(), agency.Decision{Number: string(rune('A'+i)) + "/QĐ", Date: date,
				Title: "Quyết định", Kind: agency.DecisionOther, AgencyID: f.sci.ID}); err != nil {
				t.Fatal(err)
			}
		}
		var numbers []string
		for off := 0; off < 4; off += 2 {
			page, total, err := s.ListDecisions(ctx, 2, off)
			if err != nil || total != 4 {
				t.Fatalf("ListDecisions(2, %d) = %d rows, total %d, %v; want total 4", off, len(page), total, err)
			}
			for _, d := range page {
				numbers = append(numbers, d.Number)
			}
		}
		if diff := cmp.Diff([]string{"B/QĐ", "A/QĐ", "1/QĐ-UBND", "C/QĐ"}, numbers); diff != "" {
			t.Errorf("ListDecisions newest first (-want +got):\n%s", diff)
		}
		got, err := s.GetDecision(ctx, f.setup.ID)
		if err != nil || got.Number != "1/QĐ-UBND" || got.Date != "2024-01-10" || got.Signer != "Chủ tịch UBND tỉnh" || !got.CreatedAt.Equal(testNow) {
			t.Errorf("GetDecision = %+v, %v", got, err)
		}
		byNum, err := s.DecisionByNumber(ctx, "1/QĐ-UBND")
		if err != nil || byNum.ID != f.setup.ID {
			t.Errorf("DecisionByNumber = %+v, %v", byNum, err)
		}
		_, err = s.GetDecision(ctx, 999)
		wantKind(t, "GetDecision(missing)", err, errs.NotFound, "")

		bodies, err := s.ListBodies(ctx)
		if err != nil || len(bodies) != 2 || bodies[0].Code != "TIEU-BAN" || bodies[1].ParentID != f.body.ID {
			t.Errorf("ListBodies = %+v, %v", bodies, err)
		}
		b, err := s.BodyByCode(ctx, "to-giup-viec")
		if err != nil || b.ID != f.group.ID {
			t.Errorf("BodyByCode = %+v, %v", b, err)
		}
		b, err = s.GetBody(ctx, f.body.ID)
		if err != nil || b.DecisionID != f.setup.ID || b.NameVI != "Tiểu ban An toàn, an ninh mạng" {
			t.Errorf("GetBody = %+v, %v", b, err)
		}
		_, err = s.BodyByCode(ctx, "NOPE")
		wantKind(t, "BodyByCode(missing)", err, errs.NotFound, "")
	})
}
