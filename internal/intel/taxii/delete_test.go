package taxii

import (
	"net/http"
	"testing"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/intel"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestDeleteObject: an agency deletes objects of its writable collection;
// read-only collections refuse, another agency's objects are not found,
// and an indicator another agency also reported keeps that report.
func TestDeleteObject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		outs, err := e.svc.Submit(e.ctx["A"], []intel.Input{
			{Type: "domain", Value: "only-a.delete.example.vn", TLP: access.Green},
			{Type: "domain", Value: "both.delete.example.vn", TLP: access.Green},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Submit(e.ctx["B"], []intel.Input{{Type: "domain", Value: "both.delete.example.vn", TLP: access.Green}}); err != nil {
			t.Fatal(err)
		}
		mine := e.collectionID(t, "tok-A", "A indicators")
		green := e.collectionID(t, "tok-A", "TLP:GREEN indicators")
		obj := func(i int) string { return e.svc.STIXID(outs[i].EntryID) }
		del := func(token, coll, oid string) int {
			t.Helper()
			req, _ := http.NewRequest("DELETE", e.srv.URL+"/taxii2/api/collections/"+coll+"/objects/"+oid+"/", nil)
			req.Header.Set("Accept", MediaType)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := del("tok-A", green, obj(0)); got != http.StatusForbidden {
			t.Errorf("DELETE in a read-only collection = %d, want 403", got)
		}
		bColl := e.collectionID(t, "tok-B", "B indicators")
		if got := del("tok-B", bColl, obj(0)); got != http.StatusNotFound {
			t.Errorf("B deleting A's object through its own collection = %d, want 404", got)
		}
		if got := del("tok-B", mine, obj(0)); got != http.StatusNotFound {
			t.Errorf("B using A's collection = %d, want 404", got)
		}
		if got := del("tok-A", mine, obj(0)); got != http.StatusOK {
			t.Fatalf("DELETE = %d, want 200", got)
		}
		if resp := e.get(t, "tok-A", "/taxii2/api/collections/"+mine+"/objects/"+obj(0)+"/", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET after DELETE = %d, want 404", resp.StatusCode)
		}
		if _, err := e.svc.Lookup(e.ctx["A"], "domain", "only-a.delete.example.vn"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("the indicator with no report left is still there: %v", err)
		}
		if got := del("tok-A", mine, obj(1)); got != http.StatusOK {
			t.Fatalf("DELETE = %d", got)
		}
		ind, err := e.svc.Lookup(e.ctx["B"], "domain", "both.delete.example.vn")
		if err != nil || len(ind.Entries) != 1 || ind.Entries[0].AgencyID != e.agency["B"] {
			t.Errorf("B's report after A deleted its own = %+v, %v", ind, err)
		}
	})
}
