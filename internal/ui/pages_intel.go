package ui

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/agency"
	"bulwark/internal/errs"
	"bulwark/internal/intel"
	"bulwark/internal/intel/warninglist"
)

// SetIntel adds the threat-intelligence pages; without it they are left
// out. spool is the folder where uploads wait for their import job.
func (h *Handler) SetIntel(svc *intel.Service, spool string) { h.intelSvc, h.intelSpool = svc, spool }

// IntelLargeBodyRoutes are the pages that take whole files.
func IntelLargeBodyRoutes() []string {
	return []string{"POST /intel/imports", "POST /intel/warninglists"}
}

func (h *Handler) intelRoutes(handle func(string, handlerFunc)) {
	handle("GET /intel", h.intelOnly(h.intelList))
	handle("GET /intel/new", h.intelOnly(h.intelNew))
	handle("POST /intel", h.intelOnly(h.intelCreate))
	handle("POST /intel/actions", h.intelOnly(h.intelActions))
	handle("GET /intel/{id}", h.intelOnly(h.intelShow))
	handle("POST /intel/{id}/sightings", h.intelOnly(h.intelSighting))
	handle("GET /intel/entry/{id}/{eid}/edit", h.intelOnly(h.intelEntryEdit))
	handle("POST /intel/entry/{id}/{eid}", h.intelOnly(h.intelEntryUpdate))
	handle("GET /intel/warninglists", h.intelOnly(h.intelWarningLists))
	handle("POST /intel/warninglists", h.intelOnly(h.intelWarningListAdd))
	handle("POST /intel/warninglists/{id}/enabled", h.intelOnly(h.intelWarningListEnabled))
	handle("GET /intel/imports", h.intelOnly(h.intelImports))
	handle("POST /intel/imports", h.intelOnly(h.intelImportUpload))
	handle("GET /intel/imports/{id}", h.intelOnly(h.intelImportShow))
	handle("GET /intel/export", h.intelOnly(h.intelExportPage))
	handle("GET /intel/export/{format}", h.intelOnly(h.intelExportFile))
	handle("GET /intel/feeds", h.intelOnly(h.intelFeeds))
	handle("POST /intel/feeds", h.intelOnly(h.intelFeedCreate))
	handle("POST /intel/feeds/{id}/run", h.intelOnly(h.intelFeedRun))
}

func (h *Handler) intelOnly(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if h.intelSvc == nil {
			return errs.E(errs.NotFound, "not found")
		}
		if _, err := requireUser(r); err != nil {
			return err
		}
		return fn(w, r)
	}
}

type intelListPage struct {
	Page
	Items   []intel.Indicator
	Types   []string
	TLPs    []access.TLP
	F       url.Values
	NextURL string
	CanEdit bool
}

func intelTypes() []string {
	var out []string
	for _, t := range intel.Types {
		out = append(out, string(t))
	}
	return out
}

func (h *Handler) intelList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := intel.ParseExportFilter(q.Get)
	p := h.page(r, "", "intel")
	p.Title = p.L.T("intel.list_title")
	data := intelListPage{Page: p, Types: intelTypes(), TLPs: access.TLPs, F: q, CanEdit: access.CanShareIntel(p.User), Items: []intel.Indicator{}}
	if err != nil {
		formError(&data.Page, err)
		return h.render(w, http.StatusBadRequest, "intel", data)
	}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	f.Limit = pageSize
	pg, err := h.intelSvc.List(r.Context(), f)
	if err != nil {
		if formError(&data.Page, err) {
			return h.render(w, http.StatusBadRequest, "intel", data)
		}
		return err
	}
	data.Items = pg.Items
	if pg.NextCursor != 0 {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("before", strconv.FormatInt(pg.NextCursor, 10))
		data.NextURL = "/intel?" + nq.Encode()
	}
	return h.render(w, http.StatusOK, "intel", data)
}

type intelFormPage struct {
	Page
	In    intel.Input
	Tags  string
	Until string
	Types []string
	TLPs  []access.TLP
	Hits  []warninglist.Hit
}

func (h *Handler) intelNew(w http.ResponseWriter, r *http.Request) error {
	p := h.page(r, "", "intel")
	p.Title = p.L.T("intel.new_title")
	if !access.CanShareIntel(p.User) {
		return access.Deny("share indicators")
	}
	return h.render(w, http.StatusOK, "intel_form", intelFormPage{Page: p, In: intel.Input{Type: "domain", TLP: access.Amber}, Types: intelTypes(), TLPs: access.TLPs})
}

func (h *Handler) intelCreate(w http.ResponseWriter, r *http.Request) error {
	in := intel.Input{Type: r.FormValue("type"), Value: r.FormValue("value"), TLP: access.TLP(r.FormValue("tlp")),
		Description: r.FormValue("description"), Source: r.FormValue("source"), Confirm: r.FormValue("confirm") == "1"}
	if c := strings.TrimSpace(r.FormValue("confidence")); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil {
			n = -1
		}
		in.Confidence = &n
	}
	for _, t := range strings.Split(r.FormValue("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			in.Tags = append(in.Tags, t)
		}
	}
	until := r.FormValue("valid_until")
	if until != "" {
		t, err := time.Parse("2006-01-02", until)
		if err == nil {
			in.ValidUntil = &t
		}
	}
	ind, _, err := h.intelSvc.Create(r.Context(), in)
	if err != nil {
		p := h.page(r, "", "intel")
		p.Title = p.L.T("intel.new_title")
		data := intelFormPage{Page: p, In: in, Tags: r.FormValue("tags"), Until: until, Types: intelTypes(), TLPs: access.TLPs, Hits: intel.WarningHits(err)}
		if formError(&data.Page, err) {
			return h.render(w, http.StatusUnprocessableEntity, "intel_form", data)
		}
		return err
	}
	return redirect(w, r, withFlash("/intel/"+strconv.FormatInt(ind.ID, 10), "intel.flash_saved"))
}

func (h *Handler) intelActions(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(errs.Invalid, err, "bad form")
	}
	var ids []int64
	for _, s := range r.PostForm["id"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	ch := intel.Change{Action: r.FormValue("action"), Reason: r.FormValue("reason"), TLP: access.TLP(r.FormValue("tlp"))}
	if d := r.FormValue("valid_until"); d != "" {
		t, err := time.Parse("2006-01-02", d)
		if err != nil {
			return errs.Field("valid_until", "must be a date")
		}
		ch.ValidUntil = &t
	}
	n, err := h.intelSvc.ChangeIndicators(r.Context(), ids, ch)
	if err != nil {
		return err
	}
	return redirect(w, r, withFlash("/intel?changed="+strconv.Itoa(n), "intel.flash_changed"))
}

type intelShowPage struct {
	Page
	I         intel.Indicator
	Sightings []intel.Sighting
	Hits      []warninglist.Hit
	Incidents []intel.RelatedIncident
	CanSight  bool
	// Editable holds the entries the viewer may edit.
	Editable map[int64]bool
}

func (h *Handler) intelShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ind, err := h.intelSvc.Get(r.Context(), id)
	if err != nil {
		return err
	}
	s, err := h.intelSvc.Sightings(r.Context(), id)
	if err != nil {
		return err
	}
	incs, err := h.intelSvc.RelatedIncidents(r.Context(), ind)
	if err != nil {
		return err
	}
	p := h.page(r, ind.Value, "intel")
	data := intelShowPage{Page: p, I: ind, Sightings: s, Hits: h.intelSvc.Hits(string(ind.Type), ind.Value), Incidents: incs,
		CanSight: access.CanShareIntel(p.User) || p.User.Has(access.Reporter), Editable: map[int64]bool{}}
	for _, e := range ind.Entries {
		data.Editable[e.ID] = access.CanEditIntelEntry(p.User, e.AgencyID)
	}
	return h.render(w, http.StatusOK, "intel_show", data)
}

func (h *Handler) intelSighting(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, _ := strconv.ParseInt(r.FormValue("count"), 10, 64)
	_, err = h.intelSvc.AddSighting(r.Context(), intel.SightingInput{IndicatorID: id, Location: r.FormValue("location"), Note: r.FormValue("note"),
		Count: n, TLP: access.TLP(r.FormValue("tlp"))})
	if err != nil {
		return err
	}
	return redirect(w, r, withFlash("/intel/"+strconv.FormatInt(id, 10), "intel.flash_sighting"))
}

type intelImportsPage struct {
	Page
	Jobs    []intel.ImportJob
	Formats []string
	Types   []string
	TLPs    []access.TLP
}

func (h *Handler) intelImports(w http.ResponseWriter, r *http.Request) error {
	jobs, err := h.intelSvc.Imports(r.Context())
	if err != nil {
		return err
	}
	p := h.page(r, "", "intel")
	p.Title = p.L.T("intel.imports_title")
	return h.render(w, http.StatusOK, "intel_imports", intelImportsPage{Page: p, Jobs: jobs,
		Formats: []string{intel.FormatSTIX, intel.FormatMISP, intel.FormatCSV, intel.FormatPlain}, Types: intelTypes(), TLPs: access.TLPs})
}

// intelImportUpload streams the file part to the spool folder: the text
// fields come first in the form, so the file is never held in memory.
func (h *Handler) intelImportUpload(w http.ResponseWriter, r *http.Request) error {
	mr, err := multipartFrom(r)
	if err != nil {
		return err
	}
	part, fields, err := nextFilePart(mr)
	if err != nil {
		return err
	}
	defer part.Close()
	opts := intel.ImportOptions{Format: fields["format"], Name: part.FileName(), TLP: access.TLP(fields["tlp"]), Type: fields["type"]}
	if m := fields["map"]; m != "" {
		if opts.CSV, err = intel.ParseCSVMapping(m); err != nil {
			return err
		}
	}
	f, err := os.CreateTemp(h.intelSpool, "bulwark-upload-*")
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, part); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	job, err := h.intelSvc.StartImport(r.Context(), f.Name(), true, opts)
	if err != nil {
		return err
	}
	return redirect(w, r, "/intel/imports/"+strconv.FormatInt(job.ID, 10))
}

type intelImportPage struct {
	Page
	J       intel.ImportJob
	Running bool
}

func (h *Handler) intelImportShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	j, err := h.intelSvc.GetImport(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, "", "intel")
	p.Title = p.L.T("intel.import_title")
	return h.render(w, http.StatusOK, "intel_import", intelImportPage{Page: p, J: j, Running: j.Status == intel.StatusRunning})
}

type intelExportPage struct {
	Page
	Formats []string
	Types   []string
	TLPs    []access.TLP
}

func (h *Handler) intelExportPage(w http.ResponseWriter, r *http.Request) error {
	p := h.page(r, "", "intel")
	p.Title = p.L.T("intel.export_title")
	return h.render(w, http.StatusOK, "intel_export", intelExportPage{Page: p, Formats: intel.ExportFormats, Types: intelTypes(), TLPs: access.TLPs})
}

func (h *Handler) intelExportFile(w http.ResponseWriter, r *http.Request) error {
	format := r.PathValue("format")
	f, err := intel.ParseExportFilter(r.URL.Query().Get)
	if err != nil {
		return err
	}
	if !strings.Contains(","+strings.Join(intel.ExportFormats, ",")+",", ","+format+",") {
		return errs.E(errs.NotFound, "no such export format")
	}
	w.Header().Set("Content-Type", intel.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="`+intel.FileName(format, h.now())+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if _, err := h.intelSvc.Export(r.Context(), w, format, f); err != nil {
		h.log.Error("intel export failed", "format", format, "err", err)
	}
	return nil
}

type intelFeedsPage struct {
	Page
	Feeds []intel.Feed
	In    intel.FeedInput
	TLPs  []access.TLP
	Kinds []string
}

func (h *Handler) intelFeeds(w http.ResponseWriter, r *http.Request) error {
	feeds, err := h.intelSvc.Feeds(r.Context())
	if err != nil {
		return err
	}
	p := h.page(r, "", "intel")
	p.Title = p.L.T("intel.feeds_title")
	return h.render(w, http.StatusOK, "intel_feeds", intelFeedsPage{Page: p, Feeds: feeds, In: intel.FeedInput{Kind: intel.FeedSTIX, Interval: 3600, TLP: access.Green},
		TLPs: access.TLPs, Kinds: []string{intel.FeedSTIX, intel.FeedTAXII, intel.FeedMISPFeed, intel.FeedCSV, intel.FeedPlain}})
}

func (h *Handler) intelFeedCreate(w http.ResponseWriter, r *http.Request) error {
	interval, _ := strconv.Atoi(r.FormValue("interval"))
	in := intel.FeedInput{Name: r.FormValue("name"), Kind: r.FormValue("kind"), URL: r.FormValue("url"), Collection: r.FormValue("collection"),
		Token: r.FormValue("token"), CSVMapping: r.FormValue("csv_mapping"), TLP: access.TLP(r.FormValue("tlp")), Interval: interval * 60}
	if _, err := h.intelSvc.CreateFeed(r.Context(), in); err != nil {
		feeds, ferr := h.intelSvc.Feeds(r.Context())
		if ferr != nil {
			return ferr
		}
		p := h.page(r, "", "intel")
		p.Title = p.L.T("intel.feeds_title")
		in.Token = ""
		data := intelFeedsPage{Page: p, Feeds: feeds, In: in, TLPs: access.TLPs, Kinds: []string{intel.FeedSTIX, intel.FeedTAXII, intel.FeedMISPFeed, intel.FeedCSV, intel.FeedPlain}}
		if formError(&data.Page, err) {
			return h.render(w, http.StatusUnprocessableEntity, "intel_feeds", data)
		}
		return err
	}
	return redirect(w, r, withFlash("/intel/feeds", "intel.flash_feed"))
}

func (h *Handler) intelFeedRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.intelSvc.RunFeed(r.Context(), id); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/intel/feeds", "intel.flash_pulled"))
}

type intelEntryPage struct {
	Page
	I        intel.Indicator
	E        intel.Entry
	TLPs     []access.TLP
	Tags     string
	Until    string
	Agencies []agency.Agency
	Shared   map[int64]bool
}

// intelEntryFor loads an indicator and one of its entries the viewer sees.
func (h *Handler) intelEntryFor(r *http.Request) (intel.Indicator, intel.Entry, error) {
	id, err := pathID(r)
	if err != nil {
		return intel.Indicator{}, intel.Entry{}, err
	}
	eid, err := strconv.ParseInt(r.PathValue("eid"), 10, 64)
	if err != nil {
		return intel.Indicator{}, intel.Entry{}, errs.E(errs.NotFound, "not found")
	}
	ind, err := h.intelSvc.Get(r.Context(), id)
	if err != nil {
		return intel.Indicator{}, intel.Entry{}, err
	}
	for _, e := range ind.Entries {
		if e.ID == eid {
			return ind, e, nil
		}
	}
	return intel.Indicator{}, intel.Entry{}, errs.E(errs.NotFound, "no such entry")
}

func (h *Handler) intelEntryPage(r *http.Request, ind intel.Indicator, e intel.Entry) intelEntryPage {
	p := h.page(r, ind.Value, "intel")
	p.Title = p.L.T("intel.edit_title")
	data := intelEntryPage{Page: p, I: ind, E: e, TLPs: access.TLPs, Tags: strings.Join(e.Tags, ", "), Shared: map[int64]bool{}}
	if e.ValidUntil != nil {
		data.Until = e.ValidUntil.Format("2006-01-02")
	}
	for _, a := range e.ShareWith {
		data.Shared[a] = true
	}
	for _, a := range h.agencyOptions(r) {
		if a.ID != e.AgencyID {
			data.Agencies = append(data.Agencies, a)
		}
	}
	return data
}

func (h *Handler) intelEntryEdit(w http.ResponseWriter, r *http.Request) error {
	ind, e, err := h.intelEntryFor(r)
	if err != nil {
		return err
	}
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	if !access.CanEditIntelEntry(u, e.AgencyID) {
		return access.Deny("change another agency's indicator entry")
	}
	return h.render(w, http.StatusOK, "intel_entry", h.intelEntryPage(r, ind, e))
}

func (h *Handler) intelEntryUpdate(w http.ResponseWriter, r *http.Request) error {
	ind, e, err := h.intelEntryFor(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errs.Wrap(errs.Invalid, err, "bad form")
	}
	tlp := access.TLP(r.FormValue("tlp"))
	desc := r.FormValue("description")
	tags := []string{}
	for _, t := range strings.Split(r.FormValue("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	u := intel.EntryUpdate{TLP: &tlp, Tags: &tags, Description: &desc}
	conf, err := strconv.Atoi(strings.TrimSpace(r.FormValue("confidence")))
	if err != nil {
		conf = -1
	}
	u.Confidence = &conf
	until := strings.TrimSpace(r.FormValue("valid_until"))
	if until == "" {
		u.NoExpiry = true
	} else {
		t, err := time.Parse("2006-01-02", until)
		if err != nil {
			return errs.Field("valid_until", "must be a date")
		}
		u.ValidUntil = &t
	}
	share := []int64{}
	for _, v := range r.PostForm["share_with"] {
		if a, err := strconv.ParseInt(v, 10, 64); err == nil {
			share = append(share, a)
		}
	}
	if tlp == access.Amber || tlp == access.AmberStrict {
		u.ShareWith = &share
	} else {
		u.ShareWith = &[]int64{}
	}
	if _, err := h.intelSvc.UpdateEntry(r.Context(), e.ID, u); err != nil {
		data := h.intelEntryPage(r, ind, e)
		data.E.TLP, data.E.Description, data.Tags, data.Until = tlp, desc, r.FormValue("tags"), until
		data.Shared = map[int64]bool{}
		for _, a := range share {
			data.Shared[a] = true
		}
		if formError(&data.Page, err) {
			return h.render(w, http.StatusUnprocessableEntity, "intel_entry", data)
		}
		return err
	}
	return redirect(w, r, withFlash("/intel/"+strconv.FormatInt(ind.ID, 10), "intel.flash_saved"))
}

type intelWarningListsPage struct {
	Page
	Lists   []intel.WarningListInfo
	CanEdit bool
}

func (h *Handler) renderWarningLists(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	lists, err := h.intelSvc.WarningLists(r.Context())
	if err != nil {
		return err
	}
	p := h.page(r, "", "intel")
	p.Title = p.L.T("intel.warninglists_title")
	data := intelWarningListsPage{Page: p, Lists: lists, CanEdit: access.CanManageIntelSources(p.User)}
	if formErr != nil && !formError(&data.Page, formErr) {
		return formErr
	}
	return h.render(w, status, "intel_warninglists", data)
}

func (h *Handler) intelWarningLists(w http.ResponseWriter, r *http.Request) error {
	return h.renderWarningLists(w, r, http.StatusOK, nil)
}

// maxWarningList bounds one uploaded warning list (MISP's largest lists
// are a few MiB).
const maxWarningList = 32 << 20

func (h *Handler) intelWarningListAdd(w http.ResponseWriter, r *http.Request) error {
	mr, err := multipartFrom(r)
	if err != nil {
		return err
	}
	part, _, err := nextFilePart(mr)
	if err != nil {
		return h.renderWarningLists(w, r, http.StatusUnprocessableEntity, err)
	}
	defer part.Close()
	body, err := io.ReadAll(io.LimitReader(part, maxWarningList+1))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "the upload was cut short")
	}
	if len(body) > maxWarningList {
		return h.renderWarningLists(w, r, http.StatusUnprocessableEntity, errs.Field("file", "a warning list may hold at most 32 MiB"))
	}
	if _, err := h.intelSvc.AddWarningList(r.Context(), body); err != nil {
		if errs.KindOf(err) == errs.Invalid {
			return h.renderWarningLists(w, r, http.StatusUnprocessableEntity, errs.Field("file", "%s", errs.Message(err)))
		}
		return err
	}
	return redirect(w, r, withFlash("/intel/warninglists", "intel.flash_warninglist"))
}

func (h *Handler) intelWarningListEnabled(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.intelSvc.SetWarningListEnabled(r.Context(), id, r.FormValue("enabled") == "1"); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/intel/warninglists", "intel.flash_saved"))
}

// intelDash is threat intelligence's part of the dashboard: the indicator
// entries the viewer sees, by type and TLP (a stacked chart).
type intelDash struct {
	JSON       template.JS
	Indicators int
	Week       int
}

// intelTLPColours follow the TLP 2.0 colours of the tags (app.css); CLEAR
// is drawn grey to show on white.
var intelTLPColours = map[access.TLP]string{access.Clear: "#9aa5b1", access.Green: "#2e9e44", access.Amber: "#ffc000", access.AmberStrict: "#e08a00", access.Red: "#d1242f"}

// intelDashboard computes the figure; nil when intelligence is off or the
// figures cannot be read.
func (h *Handler) intelDashboard(r *http.Request) *intelDash {
	if h.intelSvc == nil {
		return nil
	}
	c, err := h.intelSvc.DashboardCounts(r.Context())
	if err != nil {
		return nil
	}
	lang := h.lang(r)
	chart := struct {
		Labels   []string       `json:"labels"`
		Datasets []chartDataset `json:"datasets"`
	}{Labels: []string{}}
	var types []string
	for _, t := range intel.Types {
		if len(c.Counts[string(t)]) > 0 {
			types = append(types, string(t))
			chart.Labels = append(chart.Labels, h.cat.T(lang, "intel.type."+string(t)))
		}
	}
	for _, tlp := range access.TLPs {
		ds := chartDataset{Label: "TLP:" + string(tlp), Color: intelTLPColours[tlp], Data: make([]int, len(types))}
		for i, t := range types {
			ds.Data[i] = c.Counts[t][tlp]
		}
		chart.Datasets = append(chart.Datasets, ds)
	}
	b, _ := json.Marshal(chart)
	return &intelDash{JSON: template.JS(b), Indicators: c.Indicators, Week: c.Week}
}
