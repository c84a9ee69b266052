package access

import "testing"

func TestCanSee(t *testing.T) {
	const a, b, c = 1, 2, 3
	userA := &Principal{UserID: 10, AgencyID: a, Roles: []Role{Analyst}}
	userB := &Principal{UserID: 20, AgencyID: b, Roles: []Role{Analyst}}
	coord := &Principal{UserID: 30, AgencyID: c, Roles: []Role{Coordinator}, Standing: true}
	coordNotStanding := &Principal{UserID: 31, AgencyID: b, Roles: []Role{Coordinator}}
	tests := []struct {
		name string
		p    *Principal
		s    Shared
		want bool
	}{
		{"clear anonymous", nil, Shared{TLP: Clear, OwnerAgency: a}, true},
		{"green anonymous", nil, Shared{TLP: Green, OwnerAgency: a}, false},
		{"green other agency", userB, Shared{TLP: Green, OwnerAgency: a}, true},
		{"amber owner", userA, Shared{TLP: Amber, OwnerAgency: a}, true},
		{"amber other agency", userB, Shared{TLP: Amber, OwnerAgency: a}, false},
		{"amber shared with agency", userB, Shared{TLP: Amber, OwnerAgency: a, Agencies: []int64{b}}, true},
		{"amber coordinator without override", coord, Shared{TLP: Amber, OwnerAgency: a}, false},
		{"amber coordinator with override", coord, Shared{TLP: Amber, OwnerAgency: a, CoordinatorSees: true}, true},
		{"amber non-standing coordinator", coordNotStanding, Shared{TLP: Amber, OwnerAgency: a, CoordinatorSees: true}, false},
		{"amber+strict shared agency", userB, Shared{TLP: AmberStrict, OwnerAgency: a, Agencies: []int64{b}}, false},
		{"amber+strict owner", userA, Shared{TLP: AmberStrict, OwnerAgency: a}, true},
		{"red owner agency not named", userA, Shared{TLP: Red, OwnerAgency: a, People: []int64{99}}, false},
		{"red named", userB, Shared{TLP: Red, OwnerAgency: a, People: []int64{20}}, true},
		{"red coordinator not named", coord, Shared{TLP: Red, OwnerAgency: a, CoordinatorSees: true}, false},
		{"system sees red", SystemPrincipal(), Shared{TLP: Red, OwnerAgency: a}, true},
		{"unknown label", userA, Shared{TLP: "PURPLE", OwnerAgency: a}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanSee(tt.p, tt.s); got != tt.want {
				t.Errorf("CanSee(%+v, %+v) = %v, want %v", tt.p, tt.s, got, tt.want)
			}
		})
	}
}

func TestParseTLP(t *testing.T) {
	tests := []struct {
		in      string
		want    TLP
		wantErr bool
	}{
		{"clear", Clear, false},
		{"TLP:WHITE", Clear, false},
		{"tlp:amber+strict", AmberStrict, false},
		{" RED ", Red, false},
		{"amber strict", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseTLP(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseTLP(%q) = %q, %v; want %q, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if Stricter(Green, Amber) != Amber || Stricter(Red, Clear) != Red {
		t.Error("Stricter does not pick the more restricted label")
	}
}
