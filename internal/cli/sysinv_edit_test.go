package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSysinvEditPages edits a component and the checklist through the
// pages: the owner agency's analyst upgrades the portal's web server and
// its KEV findings close; a malformed CPE comes back on the form; another
// agency gets nothing; the analyst ticks checklist items with evidence; a
// province coordinator adds a checklist item, an analyst may not.
func TestSysinvEditPages(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *testEnv) {
		ids := seedSystems(t, e)
		portal := fmt.Sprintf("/systems/%d", ids["portal"])
		b := e.browser(t)
		b.login(skhcnAnalyst, e.accounts[skhcnAnalyst].Password)

		_, doc := b.get(portal)
		var edit string
		for _, a := range queryAll(doc, "#component-list a.edit-component") {
			if strings.Contains(text(a.Parent.Parent), "web-01") {
				edit = attr(a, "href")
			}
		}
		if edit == "" {
			t.Fatal("no edit link for web-01 on the system page")
		}
		code, form := b.get(edit)
		if code != 200 || attr(queryAll(form, "#c-software-version")[0], "value") != "2.4.49" || attr(queryAll(form, "#c-ips")[0], "value") != "203.0.113.10" {
			t.Fatalf("GET %s = %d, or the form is not filled in", edit, code)
		}
		action := strings.TrimSuffix(edit, "/edit")
		values := func(over map[string]string) url.Values {
			v := url.Values{"csrf": {csrfOf(form)}}
			for _, in := range queryAll(form, "#component-edit-form input[name], #component-edit-form textarea[name]") {
				if n := attr(in, "name"); n != "csrf" {
					v.Set(n, attr(in, "value"))
				}
			}
			for _, sel := range queryAll(form, "#component-edit-form select") {
				for _, o := range queryAll(sel, "option[selected]") {
					v.Set(attr(sel, "name"), attr(o, "value"))
				}
			}
			for k, x := range over {
				v.Set(k, x)
			}
			return v
		}
		// A malformed CPE: the form again, with the message at the field.
		resp := b.post(action, values(map[string]string{"cpe": "cpe:2.3:a:apache"}))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bad CPE = %d, want 400", resp.StatusCode)
		}
		// Another agency: the edit page and the update are refused.
		other := e.browser(t)
		other.login(bvdkReporter, e.accounts[bvdkReporter].Password)
		if code, _ := other.get(edit); code != http.StatusNotFound && code != http.StatusForbidden {
			t.Errorf("another agency's edit page = %d", code)
		}
		_, odoc := other.get("/systems")
		resp = other.post(action, url.Values{"csrf": {csrfOf(odoc)}, "name": {"x"}})
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("another agency's update = %d", resp.StatusCode)
		}
		// Without the CSRF token: refused.
		if resp := b.post(action, url.Values{"name": {"web-01"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("update without CSRF = %d, want 403", resp.StatusCode)
		}
		// The upgrade: 2.4.51 is hit by neither path traversal CVE.
		resp = b.post(action, values(map[string]string{"software_version": "2.4.51", "cpe": "cpe:2.3:a:apache:http_server:2.4.51:*:*:*:*:*:*:*"}))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("update component = %d", resp.StatusCode)
		}
		_, doc = b.get(portal)
		for _, cve := range []string{"CVE-2021-41773", "CVE-2021-42013"} {
			row := queryAll(doc, "#finding-list .finding[data-cve="+cve+"]")
			if len(row) != 1 || !strings.Contains(text(row[0]), "Đã khắc phục") {
				t.Errorf("%s is not shown fixed after the upgrade", cve)
			}
		}
		if !strings.Contains(text(queryAll(doc, "#component-list")[0]), "2.4.51") {
			t.Error("the component list does not show the new version")
		}
		_, doc = b.get("/findings")
		if strings.Contains(text(doc), "CVE-2021-41773") {
			t.Error("the fixed finding is still in the open findings list")
		}

		// Checklist: tick two items with evidence.
		_, doc = b.get(portal + "/checklist")
		before := text(queryAll(doc, "#compliance")[0])
		items := queryAll(doc, "#checklist-form input[name=item]")
		v := url.Values{"csrf": {csrfOf(doc)}}
		for _, it := range items {
			id := attr(it, "value")
			v.Add("item", id)
			if cb := queryAll(doc, "input[name=met_"+id+"][checked]"); len(cb) > 0 {
				v.Set("met_"+id, "1")
			}
			v.Set("evidence_"+id, attr(queryAll(doc, "input[name=evidence_"+id+"]")[0], "value"))
		}
		var ticked []string
		for _, it := range items {
			id := attr(it, "value")
			if v.Get("met_"+id) == "" && len(ticked) < 2 {
				v.Set("met_"+id, "1")
				v.Set("evidence_"+id, "Biên bản kiểm tra số "+id)
				ticked = append(ticked, id)
			}
		}
		if len(ticked) != 2 {
			t.Fatalf("found %d unticked items", len(ticked))
		}
		if resp := b.post(portal+"/checklist", v); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save checklist = %d", resp.StatusCode)
		}
		_, doc = b.get(portal + "/checklist")
		for _, id := range ticked {
			if len(queryAll(doc, "input[name=met_"+id+"][checked]")) != 1 || attr(queryAll(doc, "input[name=evidence_"+id+"]")[0], "value") != "Biên bản kiểm tra số "+id {
				t.Errorf("item %s is not ticked with its evidence", id)
			}
		}
		if after := text(queryAll(doc, "#compliance")[0]); after == before {
			t.Errorf("compliance did not change: %s", after)
		}
		if len(queryAll(doc, "#checklist-items-link")) != 0 {
			t.Error("an agency analyst is offered the checklist administration")
		}

		// Checklist items: coordinators edit them; an analyst sees the list only.
		code, doc = b.get("/checklist-items")
		if code != 200 || len(queryAll(doc, "#checklist-items .checklist-item")) < 20 || len(queryAll(doc, "#item-form")) != 0 {
			t.Errorf("analyst's checklist items page = %d", code)
		}
		if resp := b.post("/checklist-items", url.Values{"csrf": {csrfOf(doc)}, "code": {"X9"}, "group": {"technical"}, "min_level": {"1"}, "text_vi": {"x"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("analyst adds an item = %d, want 403", resp.StatusCode)
		}
		c := e.browser(t)
		c.login(coord, e.accounts[coord].Password)
		_, doc = c.get("/checklist-items")
		if resp := c.post("/checklist-items", url.Values{"csrf": {csrfOf(doc)}, "code": {"T9.1"}, "group": {"technical"}, "area": {"Sao lưu"}, "min_level": {"3"},
			"text_vi": {"Kiểm thử khôi phục dữ liệu từ bản sao lưu ít nhất 6 tháng một lần"}, "text_en": {"Test restoring from backups at least every 6 months"}, "position": {"999"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("coordinator adds an item = %d", resp.StatusCode)
		}
		_, doc = c.get("/checklist-items")
		row := queryAll(doc, `#checklist-items .checklist-item[data-code="T9.1"]`)
		if len(row) != 1 {
			t.Fatal("the new item is not listed")
		}
		// Missing text: the form again with the error; then retire the item.
		edit = attr(queryAll(row[0], "a")[0], "href")
		code, doc = c.get(edit)
		if code != 200 || attr(queryAll(doc, "#i-code")[0], "value") != "T9.1" {
			t.Fatalf("GET %s = %d", edit, code)
		}
		action = attr(queryAll(doc, "#item-form")[0], "action")
		if resp := c.post(action, url.Values{"csrf": {csrfOf(doc)}, "code": {"T9.1"}, "group": {"technical"}, "min_level": {"3"}, "text_vi": {""}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("item without text = %d, want 400", resp.StatusCode)
		}
		if resp := c.post(action, url.Values{"csrf": {csrfOf(doc)}, "code": {"T9.1"}, "group": {"technical"}, "min_level": {"3"}, "text_vi": {"Kiểm thử khôi phục"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("retire item = %d", resp.StatusCode)
		}
		_, doc = c.get("/checklist-items")
		if len(queryAll(doc, `#checklist-items .checklist-item.inactive[data-code="T9.1"]`)) != 1 {
			t.Error("the retired item is not marked inactive")
		}
	})
}
