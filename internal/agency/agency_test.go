package agency_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"bulwark/internal/agency"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

func TestAgencyLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, log := newService(t, db)
		ctx := admin()
		police := mustCreate(t, s, agency.AgencyInput{Code: "CAT", NameVI: "Công an tỉnh", NameEN: "Provincial Police", Kind: agency.KindStanding})
		dic, err := s.CreateAgency(ctx, agency.AgencyInput{
			Code: " stttt ", NameVI: "Sở Thông tin và Truyền thông", NameEN: "Department of Information and Communications",
			Kind: "Department", Address: "12 Lê Lợi", ContactName: "Nguyễn Văn A", ContactPhone: "0236 3822 123", ContactEmail: "stttt@example.gov.vn",
		})
		if err != nil {
			t.Fatalf("CreateAgency(STTTT) = %v", err)
		}
		want := agency.Agency{
			ID: dic.ID, Code: "STTTT", NameVI: "Sở Thông tin và Truyền thông", NameEN: "Department of Information and Communications",
			Kind: agency.KindDepartment, Address: "12 Lê Lợi", ContactName: "Nguyễn Văn A", ContactPhone: "0236 3822 123",
			ContactEmail: "stttt@example.gov.vn", ContactUpdatedAt: &testNow, Active: true, CreatedAt: testNow, UpdatedAt: testNow,
		}
		if diff := cmp.Diff(want, dic); diff != "" {
			t.Errorf("CreateAgency(STTTT) mismatch (-want +got):\n%s", diff)
		}
		centre := mustCreate(t, s, agency.AgencyInput{Code: "TTCNTT", NameVI: "Trung tâm Công nghệ thông tin", Kind: agency.KindOther, ParentCode: "STTTT"})
		if centre.ParentID != dic.ID || centre.ParentCode != "STTTT" {
			t.Errorf("centre parent = %d %q, want %d STTTT", centre.ParentID, centre.ParentCode, dic.ID)
		}
		dost := mustCreate(t, s, agency.AgencyInput{Code: "SKHCN", NameVI: "Sở Khoa học Công nghệ", Kind: agency.KindDepartment})

		// Code conflict, case-insensitively.
		_, err = s.CreateAgency(ctx, agency.AgencyInput{Code: "skhcn", NameVI: "Trùng", Kind: agency.KindOther})
		wantKind(t, "CreateAgency(duplicate code)", err, errs.Conflict, "code")
		if msg := errs.Message(err); !strings.Contains(msg, "agency code already used") {
			t.Errorf("duplicate code message = %q", msg)
		}
		// Only one active standing agency, on create and on update.
		_, err = s.CreateAgency(ctx, agency.AgencyInput{Code: "CA2", NameVI: "Công an 2", Kind: agency.KindStanding})
		wantKind(t, "CreateAgency(second standing)", err, errs.Conflict, "kind")
		_, err = s.UpdateAgency(ctx, dost.ID, agency.AgencyInput{NameVI: dost.NameVI, Kind: agency.KindStanding})
		wantKind(t, "UpdateAgency(to standing)", err, errs.Conflict, "kind")
		if got, err := s.StandingAgency(ctx); err != nil || got.ID != police.ID {
			t.Errorf("StandingAgency = %d, %v; want %d", got.ID, err, police.ID)
		}

		// Rename: history row "rename"; the code cannot change.
		_, err = s.UpdateAgency(ctx, dost.ID, agency.AgencyInput{Code: "DOST", NameVI: "x", Kind: agency.KindDepartment})
		wantKind(t, "UpdateAgency(new code)", err, errs.Invalid, "code")
		dost, err = s.UpdateAgency(ctx, dost.ID, agency.AgencyInput{Code: "SKHCN", NameVI: "Sở Khoa học và Công nghệ",
			NameEN: "Department of Science and Technology", Kind: agency.KindDepartment})
		if err != nil {
			t.Fatalf("UpdateAgency(rename) = %v", err)
		}
		if dost.NameVI != "Sở Khoa học và Công nghệ" || dost.ContactUpdatedAt != nil {
			t.Errorf("renamed = %+v", dost)
		}
		// Kind only: history row "update". Address only: no history row.
		if _, err := s.UpdateAgency(ctx, centre.ID, agency.AgencyInput{NameVI: centre.NameVI, Kind: agency.KindDistrict, ParentCode: "STTTT"}); err != nil {
			t.Fatalf("UpdateAgency(kind) = %v", err)
		}
		if _, err := s.UpdateAgency(ctx, centre.ID, agency.AgencyInput{NameVI: centre.NameVI, Kind: agency.KindDistrict, ParentCode: "STTTT", Address: "Đà Nẵng"}); err != nil {
			t.Fatalf("UpdateAgency(address) = %v", err)
		}
		// A parent cycle is refused.
		_, err = s.UpdateAgency(ctx, dic.ID, agency.AgencyInput{NameVI: dic.NameVI, Kind: agency.KindDepartment, ParentCode: "TTCNTT"})
		wantKind(t, "UpdateAgency(cycle)", err, errs.Invalid, "parent_code")

		// Merge: STTTT into SKHCN; its centre moves under SKHCN.
		wantKind(t, "MergeAgency(self)", s.MergeAgency(ctx, dic.ID, dic.ID, ""), errs.Invalid, "into")
		wantKind(t, "MergeAgency(into sub-unit)", s.MergeAgency(ctx, dic.ID, centre.ID, ""), errs.Invalid, "into")
		if err := s.MergeAgency(ctx, dic.ID, dost.ID, "Nghị quyết hợp nhất 2025"); err != nil {
			t.Fatalf("MergeAgency = %v", err)
		}
		wantKind(t, "MergeAgency(again)", s.MergeAgency(ctx, dic.ID, dost.ID, ""), errs.Conflict, "")
		wantKind(t, "MergeAgency(into inactive)", s.MergeAgency(ctx, centre.ID, dic.ID, ""), errs.Invalid, "into")
		got, err := s.GetAgency(ctx, dic.ID)
		if err != nil || got.Active || got.MergedIntoID != dost.ID {
			t.Errorf("merged agency = %+v, %v; want inactive, merged into %d", got, err, dost.ID)
		}
		got, err = s.AgencyByCode(ctx, "ttcntt")
		if err != nil || got.ParentCode != "SKHCN" {
			t.Errorf("centre after merge = %+v, %v; want parent SKHCN", got, err)
		}
		// A merged agency cannot become a new parent.
		_, err = s.CreateAgency(ctx, agency.AgencyInput{Code: "NEW", NameVI: "Mới", Kind: agency.KindOther, ParentCode: "STTTT"})
		wantKind(t, "CreateAgency(parent merged)", err, errs.Invalid, "parent_code")

		ignore := cmpopts.IgnoreFields(agency.HistoryEntry{}, "ID", "AgencyID", "ChangedAt", "ActorUserID")
		hist, err := s.AgencyHistory(ctx, dost.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantHist := []agency.HistoryEntry{
			{Change: "create", NewNameVI: "Sở Khoa học Công nghệ", NewKind: "department"},
			{Change: "rename", OldNameVI: "Sở Khoa học Công nghệ", OldKind: "department",
				NewNameVI: "Sở Khoa học và Công nghệ", NewNameEN: "Department of Science and Technology", NewKind: "department"},
			{Change: "merge", OldNameVI: "Sở Khoa học và Công nghệ", OldNameEN: "Department of Science and Technology", OldKind: "department",
				NewNameVI: "Sở Khoa học và Công nghệ", NewNameEN: "Department of Science and Technology", NewKind: "department",
				OtherAgencyID: dic.ID, OtherAgencyCode: "STTTT", Note: "Nghị quyết hợp nhất 2025"},
		}
		if diff := cmp.Diff(wantHist, hist, ignore); diff != "" {
			t.Errorf("AgencyHistory(SKHCN) mismatch (-want +got):\n%s", diff)
		}
		hist, err = s.AgencyHistory(ctx, centre.ID)
		if err != nil {
			t.Fatal(err)
		}
		var changes []string
		for _, h := range hist {
			changes = append(changes, h.Change)
		}
		if diff := cmp.Diff([]string{"create", "update", "update"}, changes); diff != "" {
			t.Errorf("AgencyHistory(TTCNTT) changes (-want +got):\n%s", diff)
		}
		if last := hist[len(hist)-1]; last.OldParentID != dic.ID || last.NewParentID != dost.ID || last.OtherAgencyCode != "STTTT" {
			t.Errorf("centre's move = %+v", last)
		}
		if hist[0].ChangedAt != testNow || hist[1].ActorUserID != 1 {
			t.Errorf("history stamps = %v by %d", hist[0].ChangedAt, hist[1].ActorUserID)
		}
		hist, err = s.AgencyHistory(ctx, dic.ID)
		if err != nil || len(hist) != 2 || hist[1].Change != "merge" || hist[1].OtherAgencyCode != "SKHCN" {
			t.Errorf("AgencyHistory(STTTT) = %+v, %v", hist, err)
		}
		_, err = s.AgencyHistory(ctx, 9999)
		wantKind(t, "AgencyHistory(missing)", err, errs.NotFound, "")

		n, err := s.CountAgencies(ctx)
		if err != nil || n != 3 {
			t.Errorf("CountAgencies = %d, %v; want 3 active", n, err)
		}
		wantActions := []string{"agency.create", "agency.create", "agency.create", "agency.create",
			"agency.update", "agency.update", "agency.update", "agency.merge"}
		if diff := cmp.Diff(wantActions, auditActions(t, log)); diff != "" {
			t.Errorf("audit actions (-want +got):\n%s", diff)
		}
	})
}

func TestMergeStandingFreesTheRole(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s, _ := newService(t, db)
	old := mustCreate(t, s, agency.AgencyInput{Code: "PA05", NameVI: "Phòng An ninh mạng", Kind: agency.KindStanding})
	police := mustCreate(t, s, agency.AgencyInput{Code: "CAT", NameVI: "Công an tỉnh", Kind: agency.KindDepartment})
	if err := s.MergeAgency(admin(), old.ID, police.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err := s.StandingAgency(admin())
	wantKind(t, "StandingAgency(none)", err, errs.NotFound, "")
	if _, err := s.UpdateAgency(admin(), police.ID, agency.AgencyInput{NameVI: police.NameVI, Kind: agency.KindStanding}); err != nil {
		t.Fatalf("UpdateAgency(to standing after merge) = %v", err)
	}
}

func TestUpdateContact(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, log := newService(t, db)
		own := mustCreate(t, s, agency.AgencyInput{Code: "VNPT", NameVI: "VNPT tỉnh", Kind: agency.KindTelecom})
		other := mustCreate(t, s, agency.AgencyInput{Code: "VTL", NameVI: "Viettel tỉnh", Kind: agency.KindTelecom})
		ctx := coordinator(own.ID, false)
		got, err := s.UpdateContact(ctx, own.ID, " Trần Thị B ", "+84 912 345 678", "soc@vnpt.example.vn")
		if err != nil {
			t.Fatalf("UpdateContact(own) = %v", err)
		}
		if got.ContactName != "Trần Thị B" || got.ContactPhone != "+84 912 345 678" || got.ContactUpdatedAt == nil || !got.ContactUpdatedAt.Equal(testNow) {
			t.Errorf("UpdateContact(own) = %+v", got)
		}
		_, err = s.UpdateContact(ctx, other.ID, "X", "", "")
		wantKind(t, "UpdateContact(other agency)", err, errs.Forbidden, "")
		_, err = s.UpdateAgency(ctx, own.ID, agency.AgencyInput{NameVI: "Đổi tên", Kind: agency.KindTelecom})
		wantKind(t, "UpdateAgency(by coordinator)", err, errs.Forbidden, "")
		_, err = s.UpdateContact(ctx, own.ID, "X", "phone", "")
		wantKind(t, "UpdateContact(bad phone)", err, errs.Invalid, "contact_phone")
		_, err = s.UpdateContact(ctx, own.ID, "X", "", "not-an-email")
		wantKind(t, "UpdateContact(bad email)", err, errs.Invalid, "contact_email")
		_, err = s.UpdateContact(admin(), 9999, "X", "", "")
		wantKind(t, "UpdateContact(missing)", err, errs.NotFound, "")
		want := []string{"agency.create", "agency.create", "agency.contact", "access.denied", "access.denied"}
		if diff := cmp.Diff(want, auditActions(t, log)); diff != "" {
			t.Errorf("audit actions (-want +got):\n%s", diff)
		}
	})
}

func TestListAgencies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newService(t, db)
		for _, in := range []agency.AgencyInput{
			{Code: "CAT", NameVI: "Công an tỉnh", NameEN: "Provincial Police", Kind: agency.KindStanding},
			{Code: "SKHCN", NameVI: "Sở Khoa học và Công nghệ", NameEN: "Department of Science and Technology", Kind: agency.KindDepartment},
			{Code: "STTTT", NameVI: "Sở Thông tin và Truyền thông", Kind: agency.KindDepartment},
			{Code: "SYT", NameVI: "Sở Y tế", NameEN: "Department of Health", Kind: agency.KindDepartment},
			{Code: "STC", NameVI: "SỞ TÀI CHÍNH", Kind: agency.KindDepartment},
			{Code: "BCHQS", NameVI: "Bộ Chỉ huy Quân sự tỉnh", Kind: agency.KindMilitary},
			{Code: "VCB", NameVI: "Vietcombank chi nhánh", Kind: agency.KindBank},
			{Code: "PCT", NameVI: "100% an_toàn'; DROP TABLE agencies;--", Kind: agency.KindOther},
		} {
			mustCreate(t, s, in)
		}
		skhcn, _ := s.AgencyByCode(system(), "SKHCN")
		stttt, _ := s.AgencyByCode(system(), "STTTT")
		if err := s.MergeAgency(admin(), stttt.ID, skhcn.ID, ""); err != nil {
			t.Fatal(err)
		}
		ctx := analyst(skhcn.ID) // any signed-in user reads the directory
		codes := func(as []agency.Agency) []string {
			out := []string{}
			for _, a := range as {
				out = append(out, a.Code)
			}
			return out
		}
		tests := []struct {
			name      string
			f         agency.AgencyFilter
			want      []string
			wantTotal int
		}{
			{"all active, by kind then code", agency.AgencyFilter{},
				[]string{"CAT", "SKHCN", "STC", "SYT", "BCHQS", "VCB", "PCT"}, 7},
			{"with inactive last", agency.AgencyFilter{IncludeInactive: true},
				[]string{"CAT", "SKHCN", "STC", "SYT", "BCHQS", "VCB", "PCT", "STTTT"}, 8},
			{"kind", agency.AgencyFilter{Kind: "department"}, []string{"SKHCN", "STC", "SYT"}, 3},
			{"page 1", agency.AgencyFilter{Limit: 3}, []string{"CAT", "SKHCN", "STC"}, 7},
			{"page 2", agency.AgencyFilter{Limit: 3, Offset: 3}, []string{"SYT", "BCHQS", "VCB"}, 7},
			{"page 3", agency.AgencyFilter{Limit: 3, Offset: 6}, []string{"PCT"}, 7},
			{"past the end", agency.AgencyFilter{Limit: 3, Offset: 30}, []string{}, 7},
			{"query without diacritics", agency.AgencyFilter{Query: "so khoa hoc"}, []string{"SKHCN"}, 1},
			{"query exact diacritics", agency.AgencyFilter{Query: "Khoa học"}, []string{"SKHCN"}, 1},
			{"query upper-case Vietnamese", agency.AgencyFilter{Query: "SỞ Y"}, []string{"SYT"}, 1},
			{"query finds upper-case name", agency.AgencyFilter{Query: "tài chính"}, []string{"STC"}, 1},
			{"query code", agency.AgencyFilter{Query: "bchq"}, []string{"BCHQS"}, 1},
			{"query English name", agency.AgencyFilter{Query: "health"}, []string{"SYT"}, 1},
			{"query đ as d", agency.AgencyFilter{Query: "cong an"}, []string{"CAT"}, 1},
			{"query inactive hidden", agency.AgencyFilter{Query: "thông tin"}, []string{}, 0},
			{"query inactive shown", agency.AgencyFilter{Query: "thông tin", IncludeInactive: true}, []string{"STTTT"}, 1},
			{"percent is literal", agency.AgencyFilter{Query: "%"}, []string{"PCT"}, 1},
			{"underscore is literal", agency.AgencyFilter{Query: "n_t"}, []string{"PCT"}, 1},
			{"quote is literal", agency.AgencyFilter{Query: "'; drop"}, []string{"PCT"}, 1},
			{"quote elsewhere", agency.AgencyFilter{Query: "sở'"}, []string{}, 0},
			{"backslash is literal", agency.AgencyFilter{Query: `an\_`}, []string{}, 0},
			{"SQL text is literal", agency.AgencyFilter{Query: "; DROP TABLE"}, []string{"PCT"}, 1},
			{"kind and query", agency.AgencyFilter{Kind: "department", Query: "sở"}, []string{"SKHCN", "STC", "SYT"}, 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := s.ListAgencies(ctx, tt.f)
				if err != nil {
					t.Fatalf("ListAgencies(%+v) = %v", tt.f, err)
				}
				if diff := cmp.Diff(tt.want, codes(got)); diff != "" || total != tt.wantTotal {
					t.Errorf("ListAgencies(%+v) total %d, want %d; codes (-want +got):\n%s", tt.f, total, tt.wantTotal, diff)
				}
			})
		}
		_, _, err := s.ListAgencies(ctx, agency.AgencyFilter{Kind: "ministry"})
		wantKind(t, "ListAgencies(bad kind)", err, errs.Invalid, "kind")
		_, _, err = s.ListAgencies(ctx, agency.AgencyFilter{Query: strings.Repeat("a", 201)})
		wantKind(t, "ListAgencies(long query)", err, errs.Invalid, "q")
		pct, err := s.AgencyByCode(ctx, "PCT")
		if err != nil || pct.NameVI != "100% an_toàn'; DROP TABLE agencies;--" {
			t.Errorf("SQL text stored = %q, %v", pct.NameVI, err)
		}
	})
}

func TestAgencyValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newService(t, db)
		mustCreate(t, s, agency.AgencyInput{Code: "SKHCN", NameVI: "Sở Khoa học và Công nghệ", Kind: agency.KindDepartment})
		ok := agency.AgencyInput{Code: "SYT", NameVI: "Sở Y tế", Kind: agency.KindDepartment}
		with := func(f func(*agency.AgencyInput)) agency.AgencyInput { in := ok; f(&in); return in }
		tests := []struct {
			name  string
			in    agency.AgencyInput
			field string // "" when valid
		}{
			{"valid", ok, ""},
			{"name 200 runes", with(func(in *agency.AgencyInput) { in.NameVI = strings.Repeat("ệ", 200) }), ""},
			{"name_vi 201 runes", with(func(in *agency.AgencyInput) { in.NameVI = strings.Repeat("ệ", 201) }), "name_vi"},
			{"name_vi decomposed 200 runes after NFC", with(func(in *agency.AgencyInput) { in.NameVI = strings.Repeat("e\u0323\u0302", 200) }), ""},
			{"name_vi empty", with(func(in *agency.AgencyInput) { in.NameVI = "  " }), "name_vi"},
			{"name_vi control char", with(func(in *agency.AgencyInput) { in.NameVI = "Sở\x00Y tế" }), "name_vi"},
			{"name_vi newline", with(func(in *agency.AgencyInput) { in.NameVI = "Sở\nY tế" }), "name_vi"},
			{"name_vi bidi override", with(func(in *agency.AgencyInput) { in.NameVI = "Sở \u202eY tế" }), "name_vi"},
			{"name_vi invalid UTF-8", with(func(in *agency.AgencyInput) { in.NameVI = "S\xffở" }), "name_vi"},
			{"name_en 201", with(func(in *agency.AgencyInput) { in.NameEN = strings.Repeat("a", 201) }), "name_en"},
			{"address 500", with(func(in *agency.AgencyInput) { in.Address = strings.Repeat("đ", 500) }), ""},
			{"address 501", with(func(in *agency.AgencyInput) { in.Address = strings.Repeat("đ", 501) }), "address"},
			{"address huge", with(func(in *agency.AgencyInput) { in.Address = strings.Repeat("x", 1<<20) }), "address"},
			{"code missing", with(func(in *agency.AgencyInput) { in.Code = "" }), "code"},
			{"code 1 char", with(func(in *agency.AgencyInput) { in.Code = "A" }), "code"},
			{"code 17 chars", with(func(in *agency.AgencyInput) { in.Code = strings.Repeat("A", 17) }), "code"},
			{"code 16 chars", with(func(in *agency.AgencyInput) { in.Code = strings.Repeat("A", 16) }), ""},
			{"code bad char", with(func(in *agency.AgencyInput) { in.Code = "S_YT" }), "code"},
			{"code quote", with(func(in *agency.AgencyInput) { in.Code = "SYT'--" }), "code"},
			{"code Vietnamese letter", with(func(in *agency.AgencyInput) { in.Code = "SỞ" }), "code"},
			{"kind missing", with(func(in *agency.AgencyInput) { in.Kind = "" }), "kind"},
			{"kind unknown", with(func(in *agency.AgencyInput) { in.Kind = "ministry" }), "kind"},
			{"parent unknown", with(func(in *agency.AgencyInput) { in.ParentCode = "NOPE" }), "parent_code"},
			{"parent bad", with(func(in *agency.AgencyInput) { in.ParentCode = "?" }), "parent_code"},
			{"parent ok", with(func(in *agency.AgencyInput) { in.ParentCode = "skhcn" }), ""},
			{"phone letters", with(func(in *agency.AgencyInput) { in.ContactPhone = "call me" }), "contact_phone"},
			{"phone too short", with(func(in *agency.AgencyInput) { in.ContactPhone = "12" }), "contact_phone"},
			{"phone hotline", with(func(in *agency.AgencyInput) { in.ContactPhone = "113" }), ""},
			{"phone plus inside", with(func(in *agency.AgencyInput) { in.ContactPhone = "84+912345678" }), "contact_phone"},
			{"email no domain dot", with(func(in *agency.AgencyInput) { in.ContactEmail = "a@b" }), "contact_email"},
			{"email display name", with(func(in *agency.AgencyInput) { in.ContactEmail = "A <a@b.vn>" }), "contact_email"},
			{"email ok", with(func(in *agency.AgencyInput) { in.ContactEmail = "soc.syt@danang.gov.vn" }), ""},
			{"contact name 201", with(func(in *agency.AgencyInput) { in.ContactName = strings.Repeat("b", 201) }), "contact_name"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := tt.in
				if tt.field == "" && in.Code == ok.Code {
					in.Code = "V" + strings.Repeat("A", i%10) + string(rune('A'+i%26)) // distinct codes for valid rows
				}
				a, err := s.CreateAgency(admin(), in)
				if tt.field == "" {
					if err != nil {
						t.Fatalf("CreateAgency(%s) = %v, want success", tt.name, err)
					}
					return
				}
				wantKind(t, "CreateAgency("+tt.name+")", err, errs.Invalid, tt.field)
				if a.ID != 0 {
					t.Errorf("CreateAgency(%s) returned id %d with an error", tt.name, a.ID)
				}
			})
		}
		// NFC: a name typed decomposed is stored composed.
		a := mustCreate(t, s, agency.AgencyInput{Code: "NFC", NameVI: "Sở Y te\u0302\u0301", Kind: agency.KindOther})
		if a.NameVI != "Sở Y tế" {
			t.Errorf("NameVI = %q, want NFC %q", a.NameVI, "Sở Y tế")
		}
	})
}

func TestAccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, log := newService(t, db)
		police := mustCreate(t, s, agency.AgencyInput{Code: "CAT", NameVI: "Công an tỉnh", Kind: agency.KindStanding})
		dost := mustCreate(t, s, agency.AgencyInput{Code: "SKHCN", NameVI: "Sở Khoa học và Công nghệ", Kind: agency.KindDepartment})
		in := agency.AgencyInput{Code: "NEW", NameVI: "Mới", Kind: agency.KindOther}

		_, err := s.CreateAgency(analyst(police.ID), in)
		wantKind(t, "CreateAgency(analyst)", err, errs.Forbidden, "")
		_, err = s.CreateAgency(coordinator(police.ID, true), in)
		wantKind(t, "CreateAgency(standing coordinator)", err, errs.Forbidden, "")
		_, err = s.CreateAgency(t.Context(), in)
		wantKind(t, "CreateAgency(anonymous)", err, errs.Unauthorized, "")
		_, err = s.GetAgency(t.Context(), police.ID)
		wantKind(t, "GetAgency(anonymous)", err, errs.Unauthorized, "")
		wantKind(t, "MergeAgency(analyst)", s.MergeAgency(analyst(dost.ID), dost.ID, police.ID, ""), errs.Forbidden, "")

		d := agency.Decision{Number: "1/QĐ-UBND", Date: "2024-01-15", Title: "Thành lập Tiểu ban", Kind: agency.DecisionMembership}
		_, err = s.CreateDecision(coordinator(dost.ID, false), d)
		wantKind(t, "CreateDecision(other coordinator)", err, errs.Forbidden, "")
		std := coordinator(police.ID, true)
		dec, err := s.CreateDecision(std, d)
		if err != nil {
			t.Fatalf("CreateDecision(standing coordinator) = %v", err)
		}
		_, err = s.CreateBody(analyst(police.ID), agency.Body{Code: "TB", NameVI: "Tiểu ban", Kind: agency.BodySubcommittee})
		wantKind(t, "CreateBody(analyst)", err, errs.Forbidden, "")
		body, err := s.CreateBody(std, agency.Body{Code: "TB", NameVI: "Tiểu ban", Kind: agency.BodySubcommittee, DecisionID: dec.ID})
		if err != nil {
			t.Fatalf("CreateBody(standing coordinator) = %v", err)
		}
		m := agency.Membership{BodyID: body.ID, PersonName: "Lê Văn C", AgencyID: dost.ID, Role: agency.RoleMember, From: "2024-01-15"}
		_, err = s.Appoint(coordinator(dost.ID, false), m)
		wantKind(t, "Appoint(other coordinator)", err, errs.Forbidden, "")
		_, err = s.Appoint(analyst(police.ID), m)
		wantKind(t, "Appoint(standing analyst)", err, errs.Forbidden, "")
		got, err := s.Appoint(std, m)
		if err != nil {
			t.Fatalf("Appoint(standing coordinator) = %v", err)
		}
		wantKind(t, "EndMembership(other coordinator)", s.EndMembership(coordinator(dost.ID, false), got.ID, "", 0, ""), errs.Forbidden, "")

		// Readers: any signed-in user.
		viewer := analyst(dost.ID)
		if _, err := s.Composition(viewer, body.ID, ""); err != nil {
			t.Errorf("Composition(analyst) = %v", err)
		}
		if _, _, err := s.ListDecisions(viewer, 0, 0); err != nil {
			t.Errorf("ListDecisions(analyst) = %v", err)
		}
		if _, err := s.ListBodies(viewer); err != nil {
			t.Errorf("ListBodies(analyst) = %v", err)
		}

		var denied int
		for _, a := range auditActions(t, log) {
			if a == "access.denied" {
				denied++
			}
		}
		if denied != 8 {
			t.Errorf("access.denied rows = %d, want 8", denied)
		}
	})
}
