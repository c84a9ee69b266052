package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/detect"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
)

// The detection capability's operations (issue 5).

// DetectLargeBodyRoutes are the detection routes that take more than
// MaxBody: event batches and rule folders. The app serves them with the
// limit it is given (detect.Config.MaxBatchBytes).
func DetectLargeBodyRoutes() []string {
	return []string{"POST /api/v1/events", "POST /api/v1/rules"}
}

// MaxRuleUpload bounds a rule upload (a folder of YAML in one JSON body).
const MaxRuleUpload = 32 << 20

var alertListParams = []Param{
	{"status", "string", "new, acknowledged, dismissed, promoted"}, {"severity", "string", "at least this level: informational, low, medium, high, critical"},
	{"kind", "string", "rule, indicator or correlation"}, {"source_id", "integer", "one source"}, {"agency_id", "integer", "one agency (coordinators)"},
	{"q", "string", "in the title or the key entity"}, {"since", "string", "last seen at or after (RFC 3339)"},
}

type sourceDisabledJSON struct {
	Disabled bool `json:"disabled"`
}

type ruleEnabledJSON struct {
	Enabled bool `json:"enabled"`
}

type ruleFileJSON struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

type ruleUploadJSON struct {
	Files []ruleFileJSON `json:"files"`
}

type ruleTestJSON struct {
	Rule   string `json:"rule"`
	Event  string `json:"event"`
	Format string `json:"format,omitempty"`
}

type alertStatusJSON struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

type rulesPage struct {
	Page[detect.StoredRule]
	Loaded       int                   `json:"loaded"`
	Correlations int                   `json:"correlations"`
	NotLoaded    []detect.RejectedRule `json:"not_loaded,omitempty"`
}

func (h *Handler) detectRoutes() []Route {
	if h.detect == nil {
		return nil
	}
	const tag = "detection"
	return []Route{
		{Method: "GET", Path: "/api/v1/sources", Summary: "Sensor sources the caller sees, with counters and silence flags", Tag: tag, Query: []Param{{"agency_id", "integer", "one agency (coordinators)"}}, Response: []detect.Source{}, fn: h.listSources},
		{Method: "POST", Path: "/api/v1/sources", Summary: "Register a sensor; the ingest token is in the answer, once", Tag: tag, Body: detect.SourceInput{}, Response: detect.CreatedSource{}, Status: 201, fn: h.createSource},
		{Method: "GET", Path: "/api/v1/sources/{id}", Summary: "One source", Tag: tag, Response: detect.Source{}, fn: byID(h.detect.GetSource)},
		{Method: "PUT", Path: "/api/v1/sources/{id}", Summary: "Edit a source", Tag: tag, Body: detect.SourceInput{}, Response: detect.Source{}, fn: h.updateSource},
		{Method: "POST", Path: "/api/v1/sources/{id}/token", Summary: "Replace a source's token (the old one stops working)", Tag: tag, Response: detect.CreatedSource{}, fn: byID(h.detect.RotateToken)},
		{Method: "PUT", Path: "/api/v1/sources/{id}/disabled", Summary: "Stop or resume accepting a source's events", Tag: tag, Body: sourceDisabledJSON{}, Status: 204, fn: h.disableSource},
		{Method: "POST", Path: "/api/v1/events", Summary: "Send events: NDJSON (or the source's line format), optionally Content-Encoding: gzip, authenticated by the source token (Authorization: Bearer <source token>). Answers after the batch is matched and its alerts stored; 429 with Retry-After when overloaded", Tag: tag, Public: true, Response: detect.IngestResult{}, fn: h.ingestEvents},
		{Method: "GET", Path: "/api/v1/rules", Summary: "Stored Sigma rules, and the rules that do not load", Tag: tag, Query: append([]Param{{"q", "string", "in the title, id or author"}}, pageParams...), Response: rulesPage{}, fn: h.listRules},
		{Method: "POST", Path: "/api/v1/rules", Summary: "Upload Sigma rules: one YAML file (Content-Type: application/yaml, ?name=) or a folder as JSON {files:[{name,content}]}", Tag: tag, Query: []Param{{"name", "string", "file name of a YAML body"}}, Body: ruleUploadJSON{}, Response: detect.UploadResult{}, fn: h.uploadRules},
		{Method: "GET", Path: "/api/v1/rules/{id}", Summary: "One stored rule with its YAML", Tag: tag, Response: detect.StoredRule{}, fn: byID(h.detect.GetRule)},
		{Method: "PUT", Path: "/api/v1/rules/{id}/enabled", Summary: "Enable or disable a rule", Tag: tag, Body: ruleEnabledJSON{}, Status: 204, fn: h.enableRule},
		{Method: "POST", Path: "/api/v1/rules/test", Summary: "Test a rule against one pasted event (nothing is stored)", Tag: tag, Body: ruleTestJSON{}, Response: detect.RuleTest{}, fn: h.testRule},
		{Method: "GET", Path: "/api/v1/alerts", Summary: "Alerts the caller sees, latest activity first", Tag: tag, Query: append(append([]Param{}, alertListParams...), pageParams...), Response: Page[detect.Alert]{}, fn: h.listAlerts},
		{Method: "GET", Path: "/api/v1/alerts/{id}", Summary: "One alert with its samples and observables", Tag: tag, Response: detect.Alert{}, fn: byID(h.detect.GetAlert)},
		{Method: "PUT", Path: "/api/v1/alerts/{id}/status", Summary: "Acknowledge, dismiss (reason required) or reopen an alert", Tag: tag, Body: alertStatusJSON{}, Response: detect.Alert{}, fn: h.setAlertStatus},
		{Method: "POST", Path: "/api/v1/alerts/promote", Summary: "Promote alerts to a new or existing incident with their observables", Tag: tag, Body: detect.PromoteInput{}, Response: incident.Incident{}, fn: h.promoteAlerts},
	}
}

func (h *Handler) listSources(w http.ResponseWriter, r *http.Request) error {
	var agency int64
	if s := r.URL.Query().Get("agency_id"); s != "" {
		var err error
		if agency, err = strconv.ParseInt(s, 10, 64); err != nil || agency < 1 {
			return errs.Field("agency_id", "must be an agency id")
		}
	}
	list, err := h.detect.ListSources(r.Context(), agency)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

func (h *Handler) createSource(w http.ResponseWriter, r *http.Request) error {
	var in detect.SourceInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	src, err := h.detect.CreateSource(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, src)
}

func (h *Handler) updateSource(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in detect.SourceInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	src, err := h.detect.UpdateSource(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, src)
}

func (h *Handler) disableSource(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in sourceDisabledJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.detect.SetSourceDisabled(r.Context(), id, in.Disabled); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ingestEvents authenticates the source by its token (not a user token: a
// sensor holds it), then hands the body to the pipeline or, when JetStream
// is configured, to the stream.
func (h *Handler) ingestEvents(w http.ResponseWriter, r *http.Request) error {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return errs.E(errs.Unauthorized, "send the source token as Authorization: Bearer <token>")
	}
	src, err := h.detect.SourceByToken(r.Context(), strings.TrimSpace(raw))
	if err != nil {
		return err
	}
	var gz bool
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz = true
	default:
		return errs.E(errs.Invalid, "Content-Encoding %q is not supported: send gzip or nothing", enc)
	}
	res, err := h.detect.Submit(r.Context(), src, r.Body, gz)
	if errors.Is(err, detect.ErrOverloaded) {
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"type":"`+ProblemType(errs.RateLimited)+`","title":"Too many requests","status":429,"detail":"detection is overloaded; retry later"}`+"\n")
		return nil
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (h *Handler) listRules(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	list, total, err := h.detect.ListRules(r.Context(), r.URL.Query().Get("q"), limit, offset)
	if err != nil {
		return err
	}
	out := rulesPage{Page: Page[detect.StoredRule]{Items: nonNil(list), Total: total, Limit: limit, Offset: offset}}
	if rs := h.detect.Engine().Rules(); rs != nil {
		out.Loaded, out.Correlations = rs.Set.Len(), rs.Correlating
		for _, rj := range rs.Rejects {
			out.NotLoaded = append(out.NotLoaded, detect.RejectedRule{File: rj.File, Index: rj.Index, ID: rj.ID, Title: rj.Title, Reason: rj.Err.Error()})
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) uploadRules(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, MaxRuleUpload)
	var files []detect.UploadFile
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain":
		data, err := io.ReadAll(io.LimitReader(body, int64(detect.MaxTestRule)*4+1))
		if err != nil {
			return err
		}
		if len(data) > detect.MaxTestRule*4 {
			return errs.E(errs.TooLarge, "one rule file may have at most %d KiB", detect.MaxTestRule*4>>10)
		}
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "upload.yml"
		}
		files = append(files, detect.UploadFile{Name: name, Data: data})
	default:
		var in ruleUploadJSON
		if err := Decode(body, &in); err != nil {
			return err
		}
		for _, f := range in.Files {
			files = append(files, detect.UploadFile{Name: f.Name, Data: []byte(f.Content)})
		}
	}
	res, err := h.detect.UploadRules(r.Context(), files)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (h *Handler) enableRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in ruleEnabledJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.detect.SetRuleEnabled(r.Context(), id, in.Enabled); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) testRule(w http.ResponseWriter, r *http.Request) error {
	var in ruleTestJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	res, err := h.detect.TestRule(r.Context(), in.Rule, in.Event, in.Format)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// alertFilter reads the alert list's query parameters.
func alertFilter(r *http.Request) (detect.AlertFilter, error) {
	q := r.URL.Query()
	f := detect.AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), Kind: q.Get("kind"), Query: q.Get("q")}
	for name, dst := range map[string]*int64{"source_id": &f.SourceID, "agency_id": &f.AgencyID} {
		if s := q.Get(name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 1 {
				return f, errs.Field(name, "must be an id")
			}
			*dst = n
		}
	}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return f, errs.Field("since", "must be an RFC 3339 time such as 2026-11-20T08:00:00+07:00")
		}
		f.Since = t
	}
	return f, nil
}

func (h *Handler) listAlerts(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	f, err := alertFilter(r)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = limit, offset
	list, total, err := h.detect.ListAlerts(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[detect.Alert]{Items: nonNil(list), Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) setAlertStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in alertStatusJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	a, err := h.detect.SetAlertStatus(r.Context(), id, in.Status, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (h *Handler) promoteAlerts(w http.ResponseWriter, r *http.Request) error {
	var in detect.PromoteInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	inc, err := h.detect.Promote(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inc)
}
