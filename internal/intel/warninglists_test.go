package intel

import (
	"testing"

	"bulwark/internal/access"
	"bulwark/internal/errs"
)

func TestWarningListOnOff(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		admin := f.as("A", access.Admin)
		if _, err := f.svc.AddWarningList(f.as("A"), []byte(`{"name":"n","type":"hostname","list":["x.vn"]}`)); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("an analyst added a list: %v", err)
		}
		info, err := f.svc.AddWarningList(admin, []byte(`{"name":"Tỉnh","type":"hostname","list":["binhan-tinh.vn"]}`))
		if err != nil || !info.Enabled || info.Entries != 1 {
			t.Fatalf("AddWarningList = %+v, %v", info, err)
		}
		if hits := f.svc.Hits("domain", "a.binhan-tinh.vn"); len(hits) != 1 {
			t.Errorf("hits = %v", hits)
		}
		if err := f.svc.SetWarningListEnabled(f.as("A"), info.ID, false); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("an analyst turned a list off: %v", err)
		}
		if err := f.svc.SetWarningListEnabled(admin, info.ID, false); err != nil {
			t.Fatal(err)
		}
		if hits := f.svc.Hits("domain", "a.binhan-tinh.vn"); len(hits) != 0 {
			t.Errorf("a list turned off still hits: %v", hits)
		}
		lists, err := f.svc.WarningLists(f.as("B"))
		if err != nil {
			t.Fatal(err)
		}
		var seen bool
		for _, l := range lists {
			if l.ID == info.ID {
				seen = true
				if l.Enabled {
					t.Errorf("list %+v shown as on", l)
				}
			}
		}
		if !seen || len(lists) < 4 {
			t.Errorf("lists = %+v", lists)
		}
		if err := f.svc.SetWarningListEnabled(admin, info.ID, true); err != nil {
			t.Fatal(err)
		}
		if hits := f.svc.Hits("domain", "a.binhan-tinh.vn"); len(hits) != 1 {
			t.Errorf("a list turned back on does not hit: %v", hits)
		}
		if err := f.svc.SetWarningListEnabled(admin, 9999, true); errs.KindOf(err) != errs.NotFound {
			t.Errorf("unknown list: %v", err)
		}
	})
}
