package auth

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

func TestCreateUser(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{})
		admin := f.user("admin@bulwark.vn", agStanding, access.Admin)
		analyst := f.user("analyst@so.gov.vn", agDoST, access.Analyst)
		if _, err := db.Exec(context.Background(), `INSERT INTO agencies (code, name_vi, kind, active, created_at, updated_at) VALUES ('OLD', 'Cũ', 'department', FALSE, ?, ?)`, f.now, f.now); err != nil {
			t.Fatal(err)
		}
		ok := NewUser{Email: "  Mai.Tran@So.Gov.VN ", Name: " Trần Thị Mai ", Title: "Chuyên viên", Phone: "+84 912 345 678",
			AgencyCode: agDoST, Password: testPassword, Roles: []access.Role{access.Reporter, access.Analyst, access.Analyst}}
		with := func(mod func(*NewUser)) NewUser { n := ok; mod(&n); return n }
		tests := []struct {
			name      string
			ctx       context.Context
			in        NewUser
			wantKind  errs.Kind
			wantField string
		}{
			{"anonymous", context.Background(), ok, errs.Unauthorized, ""},
			{"analyst denied", f.as(analyst), ok, errs.Forbidden, ""},
			{"bad email", f.sys, with(func(n *NewUser) { n.Email = "Mai <mai@x.vn>" }), errs.Invalid, "email"},
			{"email no at", f.sys, with(func(n *NewUser) { n.Email = "mai.x.vn" }), errs.Invalid, "email"},
			{"email too long", f.sys, with(func(n *NewUser) { n.Email = string(make([]byte, 300)) + "@x.vn" }), errs.Invalid, "email"},
			{"no name", f.sys, with(func(n *NewUser) { n.Name = "  " }), errs.Invalid, "name"},
			{"name two lines", f.sys, with(func(n *NewUser) { n.Name = "a\nb" }), errs.Invalid, "name"},
			{"bad phone", f.sys, with(func(n *NewUser) { n.Phone = "call me" }), errs.Invalid, "phone"},
			{"no roles", f.sys, with(func(n *NewUser) { n.Roles = nil }), errs.Invalid, "roles"},
			{"unknown role", f.sys, with(func(n *NewUser) { n.Roles = []access.Role{"god"} }), errs.Invalid, "roles"},
			{"unknown agency", f.sys, with(func(n *NewUser) { n.AgencyCode = "NOPE" }), errs.Invalid, "agency"},
			{"inactive agency", f.sys, with(func(n *NewUser) { n.AgencyCode = "OLD" }), errs.Invalid, "agency"},
			{"weak password", f.sys, with(func(n *NewUser) { n.Password = "matkhau@2024" }), errs.Invalid, "password"},
			{"admin creates", f.as(admin), ok, 0, ""},
			{"duplicate email any case", f.sys, with(func(n *NewUser) { n.Email = "MAI.TRAN@so.gov.vn" }), errs.Conflict, "email"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := f.svc.CreateUser(tt.ctx, tt.in)
				if tt.wantKind == 0 {
					if err != nil {
						t.Fatalf("CreateUser = %v", err)
					}
					want := User{ID: u.ID, Email: "mai.tran@so.gov.vn", Name: "Trần Thị Mai", Title: "Chuyên viên", Phone: "+84 912 345 678",
						AgencyID: u.AgencyID, AgencyCode: agDoST, AgencyName: "Cơ quan " + agDoST,
						Roles: []access.Role{access.Analyst, access.Reporter}, Lang: "vi", CreatedAt: f.now}
					if diff := cmp.Diff(want, u); diff != "" {
						t.Errorf("CreateUser (-want +got):\n%s", diff)
					}
					return
				}
				if errs.KindOf(err) != tt.wantKind || errs.FieldOf(err) != tt.wantField {
					t.Errorf("CreateUser = %v (kind %v field %q), want kind %v field %q", err, errs.KindOf(err), errs.FieldOf(err), tt.wantKind, tt.wantField)
				}
			})
		}
		if n, err := f.svc.CountUsers(context.Background()); err != nil || n != 3 {
			t.Errorf("CountUsers = %d, %v; want 3", n, err)
		}
		if diff := cmp.Diff([]string{"user.create", "user.create", "access.denied", "user.create"}, f.actions("")); diff != "" {
			t.Errorf("audit actions (-want +got):\n%s", diff)
		}
	})
}

func TestListAndGetScoping(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{})
		admin := f.user("admin@bulwark.vn", agStanding, access.Admin)
		coordDoST := f.user("coord@so.gov.vn", agDoST, access.Coordinator)
		analystDoST := f.user("analyst@so.gov.vn", agDoST, access.Analyst)
		coordBank := f.user("coord@nh-a.vn", agBank, access.Coordinator)
		viewerBank := f.user("viewer@nh-a.vn", agBank, access.Viewer)
		emails := func(us []User) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.Email)
			}
			return out
		}
		dost := coordDoST.AgencyID
		tests := []struct {
			name      string
			ctx       context.Context
			filter    UserFilter
			want      []string
			wantTotal int
			wantKind  errs.Kind
		}{
			{name: "admin all", ctx: f.as(admin), filter: UserFilter{Limit: 2},
				want: []string{"admin@bulwark.vn", "analyst@so.gov.vn"}, wantTotal: 5},
			{name: "admin page 2", ctx: f.as(admin), filter: UserFilter{Limit: 2, Offset: 2},
				want: []string{"coord@nh-a.vn", "coord@so.gov.vn"}, wantTotal: 5},
			{name: "admin one agency", ctx: f.as(admin), filter: UserFilter{AgencyID: dost},
				want: []string{"analyst@so.gov.vn", "coord@so.gov.vn"}, wantTotal: 2},
			{name: "admin query", ctx: f.as(admin), filter: UserFilter{Query: "NH-A"},
				want: []string{"coord@nh-a.vn", "viewer@nh-a.vn"}, wantTotal: 2},
			{name: "query wildcards are literal", ctx: f.as(admin), filter: UserFilter{Query: "%"}, wantTotal: 0},
			{name: "system all", ctx: f.sys, want: []string{"admin@bulwark.vn", "analyst@so.gov.vn", "coord@nh-a.vn", "coord@so.gov.vn", "viewer@nh-a.vn"}, wantTotal: 5},
			{name: "coordinator own agency", ctx: f.as(coordBank),
				want: []string{"coord@nh-a.vn", "viewer@nh-a.vn"}, wantTotal: 2},
			{name: "coordinator other agency denied", ctx: f.as(coordBank), filter: UserFilter{AgencyID: dost}, wantKind: errs.Forbidden},
			{name: "analyst only self", ctx: f.as(analystDoST), want: []string{"analyst@so.gov.vn"}, wantTotal: 1},
			{name: "viewer only self even with agency", ctx: f.as(viewerBank), filter: UserFilter{AgencyID: dost}, want: []string{"viewer@nh-a.vn"}, wantTotal: 1},
			{name: "anonymous", ctx: context.Background(), wantKind: errs.Unauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := f.svc.ListUsers(tt.ctx, tt.filter)
				if tt.wantKind != 0 {
					if errs.KindOf(err) != tt.wantKind {
						t.Fatalf("ListUsers = %v, want kind %v", err, tt.wantKind)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, emails(got)); diff != "" || total != tt.wantTotal {
					t.Errorf("ListUsers total %d want %d; emails (-want +got):\n%s", total, tt.wantTotal, diff)
				}
			})
		}

		gets := []struct {
			name     string
			ctx      context.Context
			id       int64
			wantKind errs.Kind
		}{
			{"admin reads anyone", f.as(admin), viewerBank.ID, 0},
			{"coordinator reads own agency", f.as(coordDoST), analystDoST.ID, 0},
			{"coordinator cannot read other agency", f.as(coordDoST), viewerBank.ID, errs.Forbidden},
			{"analyst reads self", f.as(analystDoST), analystDoST.ID, 0},
			{"analyst cannot read colleague", f.as(analystDoST), coordDoST.ID, errs.Forbidden},
			{"unknown", f.as(admin), 9999, errs.NotFound},
			{"anonymous", context.Background(), admin.ID, errs.Unauthorized},
		}
		for _, tt := range gets {
			t.Run("get "+tt.name, func(t *testing.T) {
				u, err := f.svc.GetUser(tt.ctx, tt.id)
				if errs.KindOf(err) != tt.wantKind && !(tt.wantKind == 0 && err == nil) {
					t.Fatalf("GetUser = %v, want kind %v", err, tt.wantKind)
				}
				if err == nil && u.ID != tt.id {
					t.Errorf("GetUser id = %d, want %d", u.ID, tt.id)
				}
				if err != nil {
					return
				}
				byEmail, err := f.svc.UserByEmail(tt.ctx, " "+u.Email+" ")
				if err != nil || byEmail.ID != u.ID {
					t.Errorf("UserByEmail(%s) = %d, %v", u.Email, byEmail.ID, err)
				}
			})
		}
		if _, err := f.svc.UserByEmail(f.as(analystDoST), "COORD@so.gov.vn"); !errs.Is(err, errs.Forbidden) {
			t.Errorf("UserByEmail of a colleague by analyst = %v, want Forbidden", err)
		}
	})
}

func TestAdminActions(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{})
		admin := f.user("admin@bulwark.vn", agStanding, access.Admin)
		coord := f.user("coord@so.gov.vn", agDoST, access.Coordinator)
		analyst := f.user("analyst@so.gov.vn", agDoST, access.Analyst)
		ctx := f.as(admin)

		// Only admins manage users.
		for name, call := range map[string]func() error{
			"SetDisabled": func() error { return f.svc.SetDisabled(f.as(coord), analyst.ID, true) },
			"SetRoles":    func() error { return f.svc.SetRoles(f.as(coord), analyst.ID, []access.Role{access.Admin}) },
			"ResetPassword": func() error {
				return f.svc.ResetPassword(f.as(coord), analyst.ID, "một mật khẩu mới rất dài")
			},
		} {
			if err := call(); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s by coordinator = %v, want Forbidden", name, err)
			}
		}

		// The last admin can neither be demoted nor disabled, nor disable themselves.
		if err := f.svc.SetRoles(ctx, admin.ID, []access.Role{access.Analyst}); !errs.Is(err, errs.Conflict) {
			t.Errorf("demote last admin = %v, want Conflict", err)
		}
		if err := f.svc.SetDisabled(ctx, admin.ID, true); !errs.Is(err, errs.Invalid) {
			t.Errorf("disable self = %v, want Invalid", err)
		}
		if err := f.svc.SetDisabled(f.sys, admin.ID, true); !errs.Is(err, errs.Conflict) {
			t.Errorf("disable last admin = %v, want Conflict", err)
		}
		// With a second admin, demotion works.
		if err := f.svc.SetRoles(ctx, coord.ID, []access.Role{access.Coordinator, access.Admin}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetRoles(f.sys, admin.ID, []access.Role{access.Viewer}); err != nil {
			t.Fatalf("demote with another admin = %v", err)
		}
		got, _ := f.svc.GetUser(f.sys, coord.ID)
		if diff := cmp.Diff([]access.Role{access.Admin, access.Coordinator}, got.Roles); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
		if err := f.svc.SetRoles(f.sys, coord.ID, []access.Role{"root"}); errs.FieldOf(err) != "roles" {
			t.Errorf("SetRoles unknown = %v, want roles field error", err)
		}

		// Disabling ends sessions; enabling lets the user back in.
		res, err := f.svc.Login(context.Background(), analyst.Email, testPassword, "192.0.2.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetDisabled(f.sys, analyst.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Authenticate(context.Background(), res.Session.ID); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("Authenticate after disable = %v, want Unauthorized", err)
		}
		if _, err := f.svc.Login(context.Background(), analyst.Email, testPassword, "", ""); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("Login when disabled = %v, want Unauthorized", err)
		}
		if _, err := f.svc.Principal(context.Background(), analyst.ID); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("Principal when disabled = %v, want Unauthorized", err)
		}
		if err := f.svc.SetDisabled(f.sys, analyst.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Login(context.Background(), analyst.Email, testPassword, "", ""); err != nil {
			t.Errorf("Login after enable = %v", err)
		}

		// Language is the caller's own.
		if err := f.svc.SetLang(f.as(analyst), "en"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetLang(f.as(analyst), "fr"); errs.FieldOf(err) != "lang" {
			t.Errorf("SetLang(fr) = %v, want lang field error", err)
		}
		if err := f.svc.SetLang(f.sys, "en"); !errs.Is(err, errs.Invalid) {
			t.Errorf("SetLang as system = %v, want Invalid", err)
		}
		got, _ = f.svc.GetUser(f.sys, analyst.ID)
		if got.Lang != "en" {
			t.Errorf("Lang = %q, want en", got.Lang)
		}

		want := []string{"user.roles", "user.roles", "user.disable", "user.enable"}
		var gotActions []string
		for _, a := range f.actions("user.") {
			if a != "user.create" {
				gotActions = append(gotActions, a)
			}
		}
		if diff := cmp.Diff(want, gotActions); diff != "" {
			t.Errorf("audit (-want +got):\n%s", diff)
		}
	})
}

func TestPrincipal(t *testing.T) {
	t.Parallel() // each test has its own databases
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, Config{})
		police := f.user("canbo@ca.gov.vn", agStanding, access.Coordinator, access.Analyst)
		bank := f.user("nv@nh-a.vn", agBank, access.Liaison)
		p, err := f.svc.Principal(context.Background(), police.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := &access.Principal{UserID: police.ID, Email: "canbo@ca.gov.vn", Name: police.Name, AgencyID: police.AgencyID,
			AgencyCode: agStanding, AgencyKind: "standing", Roles: []access.Role{access.Coordinator, access.Analyst}, Standing: true}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("Principal (-want +got):\n%s", diff)
		}
		if !p.IsCoordinator() {
			t.Error("standing coordinator is not IsCoordinator")
		}
		p, _ = f.svc.Principal(context.Background(), bank.ID)
		if p.Standing || p.AgencyKind != "bank" {
			t.Errorf("bank principal = %+v", p)
		}
		if _, err := f.svc.Principal(context.Background(), 4242); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("Principal(unknown) = %v, want Unauthorized", err)
		}
	})
}
