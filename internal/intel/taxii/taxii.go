// Package taxii serves Bulwark's indicators over TAXII 2.1 under /taxii2/:
// discovery, one API root, collections (one read-only collection per TLP
// level and one writable collection for the caller's agency), objects
// with added_after, match[id], match[type], limit and next, single
// objects, versions, manifests, and POST to the writable collection
// answered with a status resource. Clients authenticate with an API token,
// as HTTP Basic password or as a Bearer token. What a caller receives is
// decided by the intel service's visibility rules, like every other path.
package taxii

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/intel"
	"bulwark/internal/stix"
)

// MediaType is the TAXII 2.1 media type of every response.
const MediaType = "application/taxii+json;version=2.1"

// stixMediaType is the media type of objects in manifests.
const stixMediaType = "application/stix+json;version=2.1"

// MaxContentLength bounds a POST body.
const MaxContentLength = 32 << 20

// Authenticator turns an API token into a principal.
type Authenticator interface {
	AuthenticateToken(ctx context.Context, raw string) (*access.Principal, error)
}

// Handler serves TAXII 2.1.
type Handler struct {
	intel *intel.Service
	auth  Authenticator
	log   *slog.Logger
	title string
}

// New returns the TAXII handler; mount it at /taxii2/.
func New(svc *intel.Service, auth Authenticator, log *slog.Logger, title string) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if title == "" {
		title = "Bulwark"
	}
	return &Handler{intel: svc, auth: auth, log: log, title: title}
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Routes returns the router of /taxii2/.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, fn handlerFunc) { mux.Handle(pattern, h.wrap(fn)) }
	handle("GET /taxii2/{$}", h.discovery)
	handle("GET /taxii2/api/{$}", h.apiRoot)
	handle("GET /taxii2/api/collections/{$}", h.collections)
	handle("GET /taxii2/api/collections/{id}/{$}", h.collection)
	handle("GET /taxii2/api/collections/{id}/objects/{$}", h.objects)
	handle("POST /taxii2/api/collections/{id}/objects/{$}", h.addObjects)
	handle("GET /taxii2/api/collections/{id}/objects/{oid}/{$}", h.object)
	handle("DELETE /taxii2/api/collections/{id}/objects/{oid}/{$}", h.deleteObject)
	handle("GET /taxii2/api/collections/{id}/objects/{oid}/versions/{$}", h.versions)
	handle("GET /taxii2/api/collections/{id}/manifest/{$}", h.manifest)
	handle("GET /taxii2/api/status/{sid}/{$}", h.status)
	mux.Handle("/taxii2/", h.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errs.E(errs.NotFound, "no such TAXII resource")
	}))
	return mux
}

// taxiiError is the TAXII 2.1 error message resource.
type taxiiError struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

type errNotAcceptable struct{}

func (errNotAcceptable) Error() string { return "not acceptable" }

func (h *Handler) wrap(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.authenticate(r)
		if err == nil {
			r = r.WithContext(access.With(r.Context(), p))
			if !acceptable(r.Header.Get("Accept")) {
				h.fail(w, r, http.StatusNotAcceptable, "Not Acceptable", "send Accept: "+MediaType)
				return
			}
			err = fn(w, r)
		}
		if err == nil {
			return
		}
		var status int
		switch errs.KindOf(err) {
		case errs.Invalid:
			status = http.StatusBadRequest
		case errs.Unauthorized:
			status = http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Basic realm="bulwark TAXII", Bearer realm="bulwark TAXII"`)
		case errs.Forbidden:
			status = http.StatusForbidden
		case errs.NotFound:
			status = http.StatusNotFound
		case errs.TooLarge:
			status = http.StatusRequestEntityTooLarge
		case errs.Conflict:
			status = http.StatusConflict
		case errs.Unavailable:
			status = http.StatusServiceUnavailable
		default:
			status = http.StatusInternalServerError
			h.log.Error("taxii request failed", "path", r.URL.Path, "err", err)
		}
		h.fail(w, r, status, http.StatusText(status), errs.Message(err))
	})
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, title, desc string) {
	writeTAXII(w, status, taxiiError{Title: title, Description: desc, HTTPStatus: strconv.Itoa(status)})
}

// authenticate accepts "Bearer <token>" and "Basic base64(user:token)".
func (h *Handler) authenticate(r *http.Request) (*access.Principal, error) {
	hdr := r.Header.Get("Authorization")
	var token string
	switch {
	case strings.HasPrefix(hdr, "Bearer "):
		token = strings.TrimSpace(strings.TrimPrefix(hdr, "Bearer "))
	case strings.HasPrefix(hdr, "Basic "):
		_, pw, ok := r.BasicAuth()
		if !ok {
			return nil, errs.E(errs.Unauthorized, "malformed Basic credentials")
		}
		token = pw
	}
	if token == "" {
		return nil, errs.E(errs.Unauthorized, "send an API token as the Basic password or as a Bearer token")
	}
	return h.auth.AuthenticateToken(r.Context(), token)
}

// acceptable: TAXII clients send the TAXII media type; generic clients
// send */* or nothing. A version other than 2.1 is refused.
func acceptable(accept string) bool {
	if accept == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", "application/json":
			return true
		case "application/taxii+json":
			if v, ok := params["version"]; !ok || v == "2.1" {
				return true
			}
		}
	}
	return false
}

func writeTAXII(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("taxii: encode: %w", err)
	}
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// --- discovery and API root ---

type discoveryJSON struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots"`
}

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request) error {
	root := baseURL(r) + "/taxii2/api/"
	return writeTAXII(w, http.StatusOK, discoveryJSON{Title: h.title + " TAXII 2.1", Description: "Indicators shared under TLP 2.0", Default: root, APIRoots: []string{root}})
}

type apiRootJSON struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int      `json:"max_content_length"`
}

func (h *Handler) apiRoot(w http.ResponseWriter, r *http.Request) error {
	return writeTAXII(w, http.StatusOK, apiRootJSON{Title: h.title + " indicators", Versions: []string{MediaType}, MaxContentLength: MaxContentLength})
}

// --- collections ---

type collectionJSON struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
	tlp         access.TLP
	agency      int64
}

// collectionNS derives collection ids; never change it.
var collectionNS = uuid.MustParse("0f6b3e2e-7a7b-4b4f-9d2e-5c1f2b7a9e01")

func (h *Handler) collectionsFor(p *access.Principal) []collectionJSON {
	var out []collectionJSON
	for _, t := range access.TLPs {
		out = append(out, collectionJSON{ID: uuid.NewSHA1(collectionNS, []byte("tlp:"+string(t))).String(), Title: "TLP:" + string(t) + " indicators",
			Description: "Indicators shared at TLP:" + string(t) + " that you may see", CanRead: true, MediaTypes: []string{stixMediaType}, tlp: t})
	}
	if p.AgencyID != 0 {
		out = append(out, collectionJSON{ID: uuid.NewSHA1(collectionNS, []byte("agency:"+strconv.FormatInt(p.AgencyID, 10))).String(),
			Title: p.AgencyCode + " indicators", Description: "Your agency's indicators; POST here to share (TLP:AMBER unless marked)",
			CanRead: true, CanWrite: access.CanShareIntel(p), MediaTypes: []string{stixMediaType}, agency: p.AgencyID})
	}
	return out
}

func (h *Handler) findCollection(r *http.Request) (*access.Principal, collectionJSON, error) {
	p := access.From(r.Context())
	id := r.PathValue("id")
	for _, c := range h.collectionsFor(p) {
		if c.ID == id {
			return p, c, nil
		}
	}
	return p, collectionJSON{}, errs.E(errs.NotFound, "no collection %s", truncate(id, 64))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (h *Handler) collections(w http.ResponseWriter, r *http.Request) error {
	return writeTAXII(w, http.StatusOK, map[string]any{"collections": h.collectionsFor(access.From(r.Context()))})
}

func (h *Handler) collection(w http.ResponseWriter, r *http.Request) error {
	_, c, err := h.findCollection(r)
	if err != nil {
		return err
	}
	return writeTAXII(w, http.StatusOK, c)
}

// --- objects ---

// page reads the filters and pagination of an objects or manifest request.
type page struct {
	q     intel.CollectionQuery
	none  bool // match[type] or match[id] excludes everything
	limit int
}

const defaultLimit, maxLimit = 100, 1000

func (h *Handler) readPage(r *http.Request, c collectionJSON) (page, error) {
	q := r.URL.Query()
	pg := page{q: intel.CollectionQuery{TLP: c.tlp, AgencyID: c.agency}, limit: defaultLimit}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return pg, errs.Field("limit", "must be a positive whole number")
		}
		pg.limit = min(n, maxLimit)
	}
	if s := q.Get("added_after"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return pg, errs.Field("added_after", "must be an RFC 3339 timestamp")
		}
		pg.q.AfterAt, pg.q.AfterID = t.UTC(), 1<<62
	}
	if s := q.Get("next"); s != "" {
		at, id, err := decodeNext(s)
		if err != nil {
			return pg, errs.Field("next", "not a token this server gave")
		}
		pg.q.AfterAt, pg.q.AfterID = at, id
	}
	if types := q.Get("match[type]"); types != "" {
		found := false
		for _, t := range strings.Split(types, ",") {
			if strings.TrimSpace(t) == "indicator" {
				found = true
			}
		}
		pg.none = pg.none || !found
	}
	if sv := q.Get("match[spec_version]"); sv != "" && !strings.Contains(sv, "2.1") {
		pg.none = true
	}
	if ids := q.Get("match[id]"); ids != "" {
		for _, id := range strings.Split(ids, ",") {
			if eid, ok := h.intel.EntryIDFromSTIX(strings.TrimSpace(id)); ok {
				pg.q.EntryIDs = append(pg.q.EntryIDs, eid)
			}
		}
		pg.none = pg.none || len(pg.q.EntryIDs) == 0
	}
	pg.q.Limit = pg.limit
	return pg, nil
}

// The next token is the keyset position of the last object sent.
func encodeNext(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeNext(s string) (time.Time, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, 0, err
	}
	a, c, ok := strings.Cut(string(b), ":")
	if !ok {
		return time.Time{}, 0, fmt.Errorf("bad token")
	}
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(c, 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, fmt.Errorf("bad token")
	}
	return time.UnixMicro(us).UTC(), id, nil
}

// fetch returns one page of entries and sets the date-added headers.
func (h *Handler) fetch(w http.ResponseWriter, r *http.Request, pg page) ([]intel.EntryObject, bool, error) {
	if pg.none {
		return nil, false, nil
	}
	objs, more, err := h.intel.CollectionEntries(r.Context(), pg.q)
	if err != nil {
		return nil, false, err
	}
	if len(objs) > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", formatMicro(objs[0].UpdatedAt))
		w.Header().Set("X-TAXII-Date-Added-Last", formatMicro(objs[len(objs)-1].UpdatedAt))
	}
	return objs, more, nil
}

type envelopeJSON struct {
	More    bool             `json:"more"`
	Next    string           `json:"next,omitempty"`
	Objects []map[string]any `json:"objects,omitempty"`
}

func (h *Handler) objects(w http.ResponseWriter, r *http.Request) error {
	_, c, err := h.findCollection(r)
	if err != nil {
		return err
	}
	pg, err := h.readPage(r, c)
	if err != nil {
		return err
	}
	objs, more, err := h.fetch(w, r, pg)
	if err != nil {
		return err
	}
	env := envelopeJSON{More: more}
	for _, o := range objs {
		if obj, ok := h.intel.STIXObject(o); ok {
			env.Objects = append(env.Objects, obj)
		}
	}
	if more && len(objs) > 0 {
		last := objs[len(objs)-1]
		env.Next = encodeNext(last.UpdatedAt, last.ID)
	}
	return writeTAXII(w, http.StatusOK, env)
}

func (h *Handler) oneObject(w http.ResponseWriter, r *http.Request) (intel.EntryObject, error) {
	_, c, err := h.findCollection(r)
	if err != nil {
		return intel.EntryObject{}, err
	}
	eid, ok := h.intel.EntryIDFromSTIX(r.PathValue("oid"))
	if !ok {
		return intel.EntryObject{}, errs.E(errs.NotFound, "no such object")
	}
	objs, _, err := h.intel.CollectionEntries(r.Context(), intel.CollectionQuery{TLP: c.tlp, AgencyID: c.agency, EntryIDs: []int64{eid}, Limit: 1})
	if err != nil {
		return intel.EntryObject{}, err
	}
	if len(objs) == 0 {
		return intel.EntryObject{}, errs.E(errs.NotFound, "no such object")
	}
	w.Header().Set("X-TAXII-Date-Added-First", formatMicro(objs[0].UpdatedAt))
	w.Header().Set("X-TAXII-Date-Added-Last", formatMicro(objs[0].UpdatedAt))
	return objs[0], nil
}

func (h *Handler) object(w http.ResponseWriter, r *http.Request) error {
	o, err := h.oneObject(w, r)
	if err != nil {
		return err
	}
	env := envelopeJSON{}
	if obj, ok := h.intel.STIXObject(o); ok {
		env.Objects = append(env.Objects, obj)
	}
	return writeTAXII(w, http.StatusOK, env)
}

// deleteObject removes an object of the caller's writable collection
// (its agency's entry). Bulwark keeps one version per object, so every
// version goes; match[version] is not needed.
func (h *Handler) deleteObject(w http.ResponseWriter, r *http.Request) error {
	_, c, err := h.findCollection(r)
	if err != nil {
		return err
	}
	if !c.CanWrite {
		return errs.E(errs.Forbidden, "this collection is read-only")
	}
	o, err := h.oneObject(w, r)
	if err != nil {
		return err
	}
	if err := h.intel.DeleteEntry(r.Context(), o.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// versions: Bulwark keeps the current version of an entry only.
func (h *Handler) versions(w http.ResponseWriter, r *http.Request) error {
	o, err := h.oneObject(w, r)
	if err != nil {
		return err
	}
	return writeTAXII(w, http.StatusOK, map[string]any{"more": false, "versions": []string{stix.FormatTimestamp(o.UpdatedAt)}})
}

type manifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

func (h *Handler) manifest(w http.ResponseWriter, r *http.Request) error {
	_, c, err := h.findCollection(r)
	if err != nil {
		return err
	}
	pg, err := h.readPage(r, c)
	if err != nil {
		return err
	}
	objs, more, err := h.fetch(w, r, pg)
	if err != nil {
		return err
	}
	out := struct {
		More    bool             `json:"more"`
		Next    string           `json:"next,omitempty"`
		Objects []manifestRecord `json:"objects,omitempty"`
	}{More: more}
	for _, o := range objs {
		if _, ok := h.intel.STIXObject(o); !ok {
			continue
		}
		out.Objects = append(out.Objects, manifestRecord{ID: h.intel.STIXID(o.ID), DateAdded: formatMicro(o.UpdatedAt),
			Version: stix.FormatTimestamp(o.UpdatedAt), MediaType: stixMediaType})
	}
	if more && len(objs) > 0 {
		last := objs[len(objs)-1]
		out.Next = encodeNext(last.UpdatedAt, last.ID)
	}
	return writeTAXII(w, http.StatusOK, out)
}

// --- POST and status ---

type statusJSON struct {
	ID               string          `json:"id"`
	Status           string          `json:"status"`
	RequestTimestamp string          `json:"request_timestamp,omitempty"`
	TotalCount       int64           `json:"total_count"`
	SuccessCount     int64           `json:"success_count"`
	Successes        []statusDetails `json:"successes,omitempty"`
	FailureCount     int64           `json:"failure_count"`
	Failures         []statusDetails `json:"failures,omitempty"`
	PendingCount     int64           `json:"pending_count"`
}

type statusDetails struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

func (h *Handler) addObjects(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.findCollection(r)
	if err != nil {
		return err
	}
	if !c.CanWrite {
		return errs.E(errs.Forbidden, "this collection is read-only")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/taxii+json" && ct != "application/json" {
		return &errs.Error{Kind: errs.Invalid, Field: "Content-Type", Msg: "send the envelope as " + MediaType}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxContentLength+1))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "cannot read the request body")
	}
	if len(body) > MaxContentLength {
		return errs.E(errs.TooLarge, "the envelope is larger than %d bytes", MaxContentLength)
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return errs.E(errs.Invalid, "the body is not a TAXII envelope: %v", err)
	}
	requested := time.Now().UTC()
	var bundle bytes.Buffer
	bundle.WriteString(`{"type":"bundle","id":"bundle--` + uuid.NewString() + `","objects":[`)
	for i, o := range env.Objects {
		if i > 0 {
			bundle.WriteByte(',')
		}
		bundle.Write(o)
	}
	bundle.WriteString("]}")
	job, err := h.intel.ImportReader(r.Context(), &bundle, int64(bundle.Len()),
		intel.ImportOptions{Format: intel.FormatSTIX, Name: "TAXII POST", Source: "taxii", AgencyID: p.AgencyID, TLP: access.Amber})
	if err != nil {
		return err
	}
	st := statusJSON{ID: uuid.NewString(), Status: "complete", RequestTimestamp: formatMicro(requested), TotalCount: int64(len(env.Objects))}
	failed := map[string]string{}
	for _, pr := range job.Problems {
		if pr.Kind == "rejected" {
			if id := objectIDOf(pr.Where); id != "" {
				failed[id] = pr.Reason
			}
		}
	}
	for _, raw := range env.Objects {
		var o struct {
			ID       string `json:"id"`
			Modified string `json:"modified"`
			Created  string `json:"created"`
		}
		_ = json.Unmarshal(raw, &o)
		v := o.Modified
		if v == "" {
			v = o.Created
		}
		if reason, bad := failed[o.ID]; bad {
			st.FailureCount++
			st.Failures = append(st.Failures, statusDetails{ID: o.ID, Version: v, Message: reason})
		} else {
			st.SuccessCount++
			st.Successes = append(st.Successes, statusDetails{ID: o.ID, Version: v})
		}
	}
	if job.Status == intel.StatusFailed {
		st.SuccessCount, st.Successes = 0, nil
		st.FailureCount = st.TotalCount
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := h.intel.SaveTAXIIStatus(r.Context(), st.ID, b); err != nil {
		return err
	}
	return writeTAXII(w, http.StatusAccepted, st)
}

// objectIDOf finds the STIX id in an import problem's "object N (id)".
func objectIDOf(where string) string {
	i := strings.IndexByte(where, '(')
	j := strings.LastIndexByte(where, ')')
	if i < 0 || j <= i {
		return ""
	}
	return where[i+1 : j]
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) error {
	b, err := h.intel.TAXIIStatus(r.Context(), r.PathValue("sid"))
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.NotFound, "no such status")
		}
		return err
	}
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// formatMicro writes TAXII timestamps with microseconds, the precision
// entries are stored with, so added_after never skips or repeats one.
func formatMicro(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
