package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/intel"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

type tokens map[string]*access.Principal

func (t tokens) AuthenticateToken(_ context.Context, raw string) (*access.Principal, error) {
	if p, ok := t[raw]; ok {
		return p, nil
	}
	return nil, errs.E(errs.Unauthorized, "invalid token")
}

type env struct {
	srv    *httptest.Server
	svc    *intel.Service
	agency map[string]int64
	ctx    map[string]context.Context
}

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	e := &env{agency: map[string]int64{}, ctx: map[string]context.Context{}}
	toks := tokens{}
	for _, code := range []string{"A", "B"} {
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES (?, ?, 'department', ?, ?) RETURNING id`, code, code, now, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		e.agency[code] = id
		p := &access.Principal{UserID: id, Email: code + "@x.vn", AgencyID: id, AgencyCode: code, Roles: []access.Role{access.Analyst}}
		toks["tok-"+code] = p
		e.ctx[code] = access.With(ctx, p)
	}
	svc, err := intel.NewService(intel.Deps{DB: db}, intel.Config{SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	e.svc = svc
	e.srv = httptest.NewServer(New(svc, toks, nil, "Test").Routes())
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) get(t *testing.T, token, path string, out any) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Accept", MediaType)
	if token != "" {
		req.SetBasicAuth("anyone", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != MediaType {
		t.Errorf("GET %s: Content-Type %q, want %q", path, ct, MediaType)
	}
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, body)
		}
	}
	return resp
}

type collections struct {
	Collections []struct {
		ID       string `json:"id"`
		Title    string `json:"title"`
		CanRead  bool   `json:"can_read"`
		CanWrite bool   `json:"can_write"`
	} `json:"collections"`
}

func (e *env) collectionID(t *testing.T, token, title string) string {
	t.Helper()
	var cs collections
	e.get(t, token, "/taxii2/api/collections/", &cs)
	for _, c := range cs.Collections {
		if c.Title == title {
			return c.ID
		}
	}
	t.Fatalf("no collection %q in %+v", title, cs)
	return ""
}

func TestTAXII(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		var ins []intel.Input
		for i := range 30 {
			ins = append(ins, intel.Input{Type: "domain", Value: fmt.Sprintf("h%d.taxii.example.vn", i), TLP: access.Green})
		}
		ins = append(ins, intel.Input{Type: "ipv4", Value: "45.3.3.3", TLP: access.Amber}, intel.Input{Type: "phone", Value: "0912345678", TLP: access.Green})
		if _, err := e.svc.Submit(e.ctx["A"], ins); err != nil {
			t.Fatal(err)
		}

		t.Run("discovery and auth", func(t *testing.T) {
			var d discoveryJSON
			if resp := e.get(t, "tok-B", "/taxii2/", &d); resp.StatusCode != 200 || len(d.APIRoots) != 1 || d.Default != d.APIRoots[0] {
				t.Errorf("discovery = %d %+v", resp.StatusCode, d)
			}
			var root apiRootJSON
			if e.get(t, "tok-B", "/taxii2/api/", &root); len(root.Versions) != 1 || root.Versions[0] != MediaType {
				t.Errorf("api root versions = %v", root.Versions)
			}
			resp := e.get(t, "", "/taxii2/", nil)
			if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("no credentials: %d %q, want 401 with a Basic challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
			req, _ := http.NewRequest("GET", e.srv.URL+"/taxii2/", nil)
			req.Header.Set("Authorization", "Bearer tok-A")
			req.Header.Set("Accept", "application/xml")
			r2, _ := http.DefaultClient.Do(req)
			r2.Body.Close()
			if r2.StatusCode != http.StatusNotAcceptable {
				t.Errorf("Accept xml = %d, want 406", r2.StatusCode)
			}
			req.Header.Set("Accept", MediaType)
			r3, _ := http.DefaultClient.Do(req)
			r3.Body.Close()
			if r3.StatusCode != 200 {
				t.Errorf("Bearer = %d, want 200", r3.StatusCode)
			}
		})

		t.Run("walk gets every object once", func(t *testing.T) {
			green := e.collectionID(t, "tok-B", "TLP:GREEN indicators")
			seen := map[string]int{}
			path := "/taxii2/api/collections/" + green + "/objects/?limit=7"
			last := ""
			for pages := 0; pages < 20; pages++ {
				var env envelopeJSON
				resp := e.get(t, "tok-B", path, &env)
				if resp.StatusCode != 200 {
					t.Fatalf("objects = %d", resp.StatusCode)
				}
				if len(env.Objects) > 0 && resp.Header.Get("X-TAXII-Date-Added-First") == "" {
					t.Errorf("no X-TAXII-Date-Added-First header")
				}
				if h := resp.Header.Get("X-TAXII-Date-Added-Last"); h != "" {
					last = h
				}
				for _, o := range env.Objects {
					seen[o["id"].(string)]++
					if o["type"] != "indicator" || o["spec_version"] != "2.1" {
						t.Errorf("object %v is not a STIX 2.1 indicator", o)
					}
				}
				if !env.More {
					break
				}
				path = "/taxii2/api/collections/" + green + "/objects/?limit=7&next=" + env.Next
			}
			if len(seen) != 30 {
				t.Errorf("walk saw %d objects, want 30 (phone numbers have no STIX pattern)", len(seen))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("object %s seen %d times", id, n)
				}
			}
			var env2 envelopeJSON
			e.get(t, "tok-B", "/taxii2/api/collections/"+green+"/objects/?added_after="+last, &env2)
			if len(env2.Objects) != 0 {
				t.Errorf("added_after the last date gave %d objects, want 0", len(env2.Objects))
			}
			var man struct {
				Objects []manifestRecord `json:"objects"`
			}
			e.get(t, "tok-B", "/taxii2/api/collections/"+green+"/manifest/?limit=1000", &man)
			if len(man.Objects) != 30 {
				t.Errorf("manifest has %d records, want 30", len(man.Objects))
			}
			var none envelopeJSON
			e.get(t, "tok-B", "/taxii2/api/collections/"+green+"/objects/?match[type]=malware", &none)
			if len(none.Objects) != 0 {
				t.Errorf("match[type]=malware gave %d objects", len(none.Objects))
			}
			id := man.Objects[0].ID
			var one envelopeJSON
			e.get(t, "tok-B", "/taxii2/api/collections/"+green+"/objects/"+id+"/", &one)
			if len(one.Objects) != 1 || one.Objects[0]["id"] != id {
				t.Errorf("object %s = %+v", id, one)
			}
			var vers struct {
				Versions []string `json:"versions"`
			}
			e.get(t, "tok-B", "/taxii2/api/collections/"+green+"/objects/"+id+"/versions/", &vers)
			if len(vers.Versions) != 1 {
				t.Errorf("versions = %v", vers.Versions)
			}
		})

		t.Run("amber stays with its agency", func(t *testing.T) {
			var envA, envB envelopeJSON
			e.get(t, "tok-A", "/taxii2/api/collections/"+e.collectionID(t, "tok-A", "TLP:AMBER indicators")+"/objects/", &envA)
			e.get(t, "tok-B", "/taxii2/api/collections/"+e.collectionID(t, "tok-B", "TLP:AMBER indicators")+"/objects/", &envB)
			if len(envA.Objects) != 1 || len(envB.Objects) != 0 {
				t.Errorf("AMBER collection: A sees %d, B sees %d; want 1 and 0", len(envA.Objects), len(envB.Objects))
			}
			if resp := e.get(t, "tok-B", "/taxii2/api/collections/"+e.collectionID(t, "tok-A", "A indicators")+"/objects/", nil); resp.StatusCode != 404 {
				t.Errorf("B reading A's agency collection = %d, want 404", resp.StatusCode)
			}
		})

		t.Run("post", func(t *testing.T) {
			own := e.collectionID(t, "tok-B", "B indicators")
			body := `{"objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--aaaaaaaa-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '45.7.7.7']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--bbbbbbbb-1111-4111-8111-111111111111","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[broken","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}`
			post := func(collection string) (*http.Response, statusJSON) {
				req, _ := http.NewRequest("POST", e.srv.URL+"/taxii2/api/collections/"+collection+"/objects/", strings.NewReader(body))
				req.Header.Set("Accept", MediaType)
				req.Header.Set("Content-Type", MediaType)
				req.Header.Set("Authorization", "Bearer tok-B")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var st statusJSON
				_ = json.NewDecoder(resp.Body).Decode(&st)
				return resp, st
			}
			resp, st := post(own)
			if resp.StatusCode != 202 || st.Status != "complete" || st.TotalCount != 2 || st.SuccessCount != 1 || st.FailureCount != 1 || st.PendingCount != 0 {
				t.Fatalf("POST = %d %+v", resp.StatusCode, st)
			}
			var again statusJSON
			if r := e.get(t, "tok-B", "/taxii2/api/status/"+st.ID+"/", &again); r.StatusCode != 200 || again.ID != st.ID {
				t.Errorf("status = %d %+v", r.StatusCode, again)
			}
			if r := e.get(t, "tok-A", "/taxii2/api/status/"+st.ID+"/", nil); r.StatusCode != 404 {
				t.Errorf("A reading B's status = %d, want 404", r.StatusCode)
			}
			if resp, _ := post(e.collectionID(t, "tok-B", "TLP:GREEN indicators")); resp.StatusCode != 403 {
				t.Errorf("POST to a TLP collection = %d, want 403", resp.StatusCode)
			}
			if _, err := e.svc.Lookup(e.ctx["B"], "ipv4", "45.7.7.7"); err != nil {
				t.Errorf("posted indicator not stored: %v", err)
			}
		})
	})
}
