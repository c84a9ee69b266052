package api

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/intel"
	"bulwark/internal/intel/warninglist"
	"bulwark/internal/ioc"
)

// IntelLargeBodyRoutes are the intel routes that take whole files (import
// uploads); they are served with the import limit instead of MaxBody (see
// cli). The body is spooled to disk, never held in memory.
func IntelLargeBodyRoutes() []string {
	return []string{"POST /api/v1/imports"}
}

type indicatorCreatedJSON struct {
	Indicator intel.Indicator `json:"indicator"`
	Created   bool            `json:"created"`
}

type warningProblemJSON struct {
	Problem
	Hits []warninglist.Hit `json:"hits"`
}

type outcomeJSON struct {
	intel.Outcome
	Error string `json:"error,omitempty"`
}

type bulkChangeJSON struct {
	IDs    []int64      `json:"ids"`
	Change intel.Change `json:"change"`
}

type changedJSON struct {
	Changed int `json:"changed"`
}

type hitsJSON struct {
	Type  string            `json:"type"`
	Value string            `json:"value"`
	Hits  []warninglist.Hit `json:"hits"`
}

var indicatorFilterParams = []Param{
	{"type", "string", "indicator type"}, {"tlp", "string", "entries of this TLP"}, {"tag", "string", "entries with this tag"},
	{"source", "string", "entries from this source"}, {"agency_id", "integer", "entries of this agency"},
	{"active", "boolean", "only entries neither revoked nor expired"}, {"revoked", "boolean", "only revoked entries"},
	{"q", "string", "a value (matched exactly once normalised) or the start of one"}, {"since", "string", "entries changed since (date or RFC 3339)"},
}

func (h *Handler) intelRoutes() []Route {
	if h.intel == nil {
		return nil
	}
	const tag = "intel"
	list := append(append([]Param{}, indicatorFilterParams...), Param{"before", "integer", "cursor: the next_cursor of the previous page"}, Param{"limit", "integer", "page size, 1–1000 (default 50)"})
	importParams := []Param{{"format", "string", "stix, misp, csv or plain"}, {"name", "string", "file name, for the job list"},
		{"tlp", "string", "TLP of items that carry none (default AMBER)"}, {"type", "string", "fixed type for plain lists and CSV without a type column"},
		{"source", "string", "source name of the entries"}, {"map", "string", "CSV mapping, e.g. header,value=indicator,type=2"},
		{"valid_days", "integer", "expiry in days of items that carry none"}, {"include_non_ids", "boolean", "MISP: import attributes with to_ids false"}}
	return []Route{
		{Method: "GET", Path: "/api/v1/indicators", Summary: "List the indicators the caller may see (keyset pagination, newest first)", Tag: tag, Query: list, Response: intel.ListPage{}, fn: h.listIndicators},
		{Method: "POST", Path: "/api/v1/indicators", Summary: "Report an indicator; merges into an existing one; 409 with hits when on a warning list unless confirm", Tag: tag, Body: intel.Input{}, Response: indicatorCreatedJSON{}, Status: 201, fn: h.createIndicator},
		{Method: "POST", Path: "/api/v1/indicators/bulk", Summary: "Report up to 100000 indicators in one call; one outcome each", Tag: tag, Body: []intel.Input{}, Response: []outcomeJSON{}, fn: h.bulkIndicators},
		{Method: "POST", Path: "/api/v1/indicators/actions", Summary: "Revoke, unrevoke, change TLP or expiry of the caller's entries on up to 1000 indicators", Tag: tag, Body: bulkChangeJSON{}, Response: changedJSON{}, fn: h.changeIndicators},
		{Method: "GET", Path: "/api/v1/indicators/{id}", Summary: "Get an indicator with the entries the caller may see", Tag: tag, Response: intel.Indicator{}, fn: byID(h.intel.Get)},
		{Method: "PUT", Path: "/api/v1/indicator-entries/{id}", Summary: "Edit one entry (its agency's analysts and coordinators)", Tag: tag, Body: intel.EntryUpdate{}, Response: intel.Indicator{}, fn: h.updateEntry},
		{Method: "GET", Path: "/api/v1/indicators/{id}/sightings", Summary: "Sightings of an indicator", Tag: tag, Response: []intel.Sighting{}, fn: byID(h.intel.Sightings)},
		{Method: "POST", Path: "/api/v1/indicators/{id}/sightings", Summary: "Record a sighting", Tag: tag, Body: intel.SightingInput{}, Response: intel.Sighting{}, Status: 201, fn: h.addSighting},
		{Method: "POST", Path: "/api/v1/sightings", Summary: "Record sightings in bulk (by indicator id or type and value)", Tag: tag, Body: []intel.SightingInput{}, Response: []int64{}, fn: h.bulkSightings},
		{Method: "GET", Path: "/api/v1/warninglists", Summary: "Warning lists in force", Tag: tag, Response: []intel.WarningListInfo{}, fn: h.listWarningLists},
		{Method: "POST", Path: "/api/v1/warninglists", Summary: "Add a warning list in MISP warninglists JSON (admin)", Tag: tag, Body: warninglist.List{}, Response: intel.WarningListInfo{}, Status: 201, fn: h.addWarningList},
		{Method: "POST", Path: "/api/v1/warninglists/{id}/enabled", Summary: "Turn an added warning list on or off (admin)", Tag: tag, Body: enabledJSON{}, Response: []intel.WarningListInfo{}, fn: h.setWarningListEnabled},
		{Method: "GET", Path: "/api/v1/warninglists/check", Summary: "Which warning lists a value hits", Tag: tag, Query: []Param{{"type", "string", "indicator type"}, {"value", "string", "the value"}}, Response: hitsJSON{}, fn: h.checkWarningLists},
		{Method: "POST", Path: "/api/v1/imports", Summary: "Start an import: the raw file is the body; answers 202 with the job to follow", Tag: tag, Query: importParams, Response: intel.ImportJob{}, Status: 202, fn: h.startImport},
		{Method: "GET", Path: "/api/v1/imports", Summary: "Latest imports of the caller's agency", Tag: tag, Response: []intel.ImportJob{}, fn: h.listImports},
		{Method: "GET", Path: "/api/v1/imports/{id}", Summary: "Progress and report of an import", Tag: tag, Response: intel.ImportJob{}, fn: byID(h.intel.GetImport)},
		{Method: "GET", Path: "/api/v1/exports/{format}", Summary: "Export what the caller sees: stix, misp, csv, plain, rpz (DNS zone) or firewall (IP/CIDR list)", Tag: tag, Query: indicatorFilterParams, fn: h.exportIndicators},
		{Method: "GET", Path: "/api/v1/feeds", Summary: "Scheduled feeds (admin)", Tag: tag, Response: []intel.Feed{}, fn: h.intelListFeeds},
		{Method: "POST", Path: "/api/v1/feeds", Summary: "Add a feed: STIX or CSV or plain URL, TAXII collection, MISP feed (admin)", Tag: tag, Body: intel.FeedInput{}, Response: intel.Feed{}, Status: 201, fn: h.intelCreateFeed},
		{Method: "GET", Path: "/api/v1/feeds/{id}", Summary: "Get a feed (admin)", Tag: tag, Response: intel.Feed{}, fn: byID(h.intel.GetFeed)},
		{Method: "PUT", Path: "/api/v1/feeds/{id}", Summary: "Change a feed (admin); an empty token keeps the stored one", Tag: tag, Body: intel.FeedInput{}, Response: intel.Feed{}, fn: h.intelUpdateFeed},
		{Method: "DELETE", Path: "/api/v1/feeds/{id}", Summary: "Remove a feed (admin)", Tag: tag, Status: 204, fn: h.intelDeleteFeed},
		{Method: "POST", Path: "/api/v1/feeds/{id}/run", Summary: "Pull a feed now (admin)", Tag: tag, Response: intel.FeedRun{}, fn: byID(h.intel.RunFeed)},
		{Method: "GET", Path: "/api/v1/feeds/{id}/runs", Summary: "Latest pulls of a feed (admin)", Tag: tag, Response: []intel.FeedRun{}, fn: byID(h.intel.FeedRuns)},
	}
}

func indicatorFilter(r *http.Request) (intel.Filter, error) {
	q := r.URL.Query()
	f, err := intel.ParseExportFilter(q.Get)
	if err != nil {
		return f, err
	}
	f.Source = q.Get("source")
	f.Revoked = q.Get("revoked") == "true"
	if s := q.Get("agency_id"); s != "" {
		if f.AgencyID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return f, errs.Field("agency_id", "must be a whole number")
		}
	}
	if s := q.Get("before"); s != "" {
		if f.Before, err = strconv.ParseInt(s, 10, 64); err != nil || f.Before < 0 {
			return f, errs.Field("before", "must be a cursor from a previous page")
		}
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 1 || f.Limit > intel.MaxLimit {
			return f, errs.Field("limit", "must be a whole number from 1 to 1000")
		}
	}
	return f, nil
}

func (h *Handler) listIndicators(w http.ResponseWriter, r *http.Request) error {
	f, err := indicatorFilter(r)
	if err != nil {
		return err
	}
	pg, err := h.intel.List(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

func (h *Handler) createIndicator(w http.ResponseWriter, r *http.Request) error {
	var in intel.Input
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	ind, created, err := h.intel.Create(r.Context(), in)
	if hits := intel.WarningHits(err); len(hits) > 0 {
		p := Problem{Type: ProblemType(errs.Conflict), Title: titles[errs.Conflict], Status: http.StatusConflict, Detail: errs.Message(err), Field: "confirm"}
		return writeProblemJSON(w, http.StatusConflict, warningProblemJSON{Problem: p, Hits: hits})
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/api/v1/indicators/"+strconv.FormatInt(ind.ID, 10))
	return writeJSON(w, status, indicatorCreatedJSON{Indicator: ind, Created: created})
}

func writeProblemJSON(w http.ResponseWriter, status int, v any) error {
	if err := writeJSON(w, status, v); err != nil {
		return err
	}
	return nil
}

func (h *Handler) bulkIndicators(w http.ResponseWriter, r *http.Request) error {
	var ins []intel.Input
	if err := Decode(r.Body, &ins); err != nil {
		return err
	}
	outs, err := h.intel.Submit(r.Context(), ins)
	if err != nil {
		return err
	}
	res := make([]outcomeJSON, len(outs))
	for i, o := range outs {
		res[i] = outcomeJSON{Outcome: o}
		if o.Err != nil {
			res[i].Error = errs.Message(o.Err)
		}
	}
	return writeJSON(w, http.StatusOK, res)
}

func (h *Handler) changeIndicators(w http.ResponseWriter, r *http.Request) error {
	var in bulkChangeJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	n, err := h.intel.ChangeIndicators(r.Context(), in.IDs, in.Change)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, changedJSON{Changed: n})
}

func (h *Handler) updateEntry(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var u intel.EntryUpdate
	if err := Decode(r.Body, &u); err != nil {
		return err
	}
	ind, err := h.intel.UpdateEntry(r.Context(), id, u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ind)
}

func (h *Handler) addSighting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in intel.SightingInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	in.IndicatorID, in.Type, in.Value = id, "", ""
	s, err := h.intel.AddSighting(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s)
}

func (h *Handler) bulkSightings(w http.ResponseWriter, r *http.Request) error {
	var ins []intel.SightingInput
	if err := Decode(r.Body, &ins); err != nil {
		return err
	}
	ids, err := h.intel.RecordSightings(r.Context(), ins)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ids)
}

func (h *Handler) listWarningLists(w http.ResponseWriter, r *http.Request) error {
	out, err := h.intel.WarningLists(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) addWarningList(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	info, err := h.intel.AddWarningList(r.Context(), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, info)
}

type enabledJSON struct {
	Enabled bool `json:"enabled"`
}

func (h *Handler) setWarningListEnabled(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in enabledJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.intel.SetWarningListEnabled(r.Context(), id, in.Enabled); err != nil {
		return err
	}
	return h.listWarningLists(w, r)
}

func (h *Handler) checkWarningLists(w http.ResponseWriter, r *http.Request) error {
	if _, err := access.Require(r.Context()); err != nil {
		return err
	}
	q := r.URL.Query()
	hits := h.intel.Hits(q.Get("type"), q.Get("value"))
	if hits == nil {
		hits = []warninglist.Hit{}
	}
	return writeJSON(w, http.StatusOK, hitsJSON{Type: q.Get("type"), Value: q.Get("value"), Hits: hits})
}

// ImportOptionsFromQuery reads the import options of an upload (the API's
// query string and the import form share them).
func ImportOptionsFromQuery(get func(string) string) (intel.ImportOptions, error) {
	opts := intel.ImportOptions{Format: get("format"), Name: get("name"), TLP: access.TLP(get("tlp")), Type: get("type"), Source: get("source"),
		IncludeNonIDS: get("include_non_ids") == "true"}
	if opts.Type != "" {
		if _, err := ioc.ParseType(opts.Type); err != nil {
			return opts, errs.Field("type", "unknown indicator type")
		}
	}
	if m := get("map"); m != "" {
		csvMap, err := intel.ParseCSVMapping(m)
		if err != nil {
			return opts, err
		}
		opts.CSV = csvMap
	}
	if d := get("valid_days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3650 {
			return opts, errs.Field("valid_days", "must be from 1 to 3650")
		}
		opts.ValidFor = time.Duration(n) * 24 * time.Hour
	}
	return opts, nil
}

// SpoolUpload copies an upload to a temporary file in dir, so the import
// job reads it from disk whatever its size.
func SpoolUpload(dir string, r io.Reader) (string, error) {
	f, err := os.CreateTemp(dir, "bulwark-import-*")
	if err != nil {
		return "", fmt.Errorf("api: spool upload: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("api: spool upload: %w", err)
	}
	return f.Name(), nil
}

func (h *Handler) startImport(w http.ResponseWriter, r *http.Request) error {
	p, err := access.Require(r.Context())
	if err != nil {
		return err
	}
	if !access.CanShareIntel(p) {
		return h.audit.Denied(r.Context(), "import indicators", "intel_import", "")
	}
	opts, err := ImportOptionsFromQuery(r.URL.Query().Get)
	if err != nil {
		return err
	}
	if opts.Format == intel.FormatMISPFeed {
		return errs.Field("format", "a MISP feed is pulled from its URL: add it as a feed")
	}
	path, err := SpoolUpload(h.intelSpool, r.Body)
	if err != nil {
		return err
	}
	job, err := h.intel.StartImport(r.Context(), path, true, opts)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/imports/"+strconv.FormatInt(job.ID, 10))
	return writeJSON(w, http.StatusAccepted, job)
}

func (h *Handler) listImports(w http.ResponseWriter, r *http.Request) error {
	out, err := h.intel.Imports(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) exportIndicators(w http.ResponseWriter, r *http.Request) error {
	format := r.PathValue("format")
	if !strings.Contains(","+strings.Join(intel.ExportFormats, ",")+",", ","+format+",") {
		return errs.Field("format", "must be one of stix, misp, csv, plain, rpz, firewall")
	}
	f, err := indicatorFilter(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", intel.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="`+intel.FileName(format, time.Now())+`"`)
	w.Header().Set("Cache-Control", "no-store")
	// Streamed: an error after the first bytes can only cut the body short.
	_, err = h.intel.Export(r.Context(), w, format, f)
	if err != nil {
		h.log.Error("intel export failed", "format", format, "err", err)
	}
	return nil
}

func (h *Handler) intelListFeeds(w http.ResponseWriter, r *http.Request) error {
	out, err := h.intel.Feeds(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) intelCreateFeed(w http.ResponseWriter, r *http.Request) error {
	var in intel.FeedInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	f, err := h.intel.CreateFeed(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

func (h *Handler) intelUpdateFeed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in intel.FeedInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	f, err := h.intel.UpdateFeed(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (h *Handler) intelDeleteFeed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.intel.DeleteFeed(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
