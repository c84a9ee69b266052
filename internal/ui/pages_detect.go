package ui

import (
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/detect"
	"bulwark/internal/errs"
	"bulwark/internal/incident"
)

// Pages of detection (issue 5): alerts with a live list, sources, rules.

func (h *Handler) detectRoutes(handle func(string, handlerFunc)) {
	if h.detect == nil {
		return
	}
	handle("GET /alerts", h.alertList)
	handle("GET /alerts/{id}", h.alertShow)
	handle("POST /alerts/{id}/status", h.alertStatus)
	handle("POST /alerts/promote", h.alertPromote)
	handle("GET /sources", h.sourceList)
	handle("POST /sources", h.sourceCreate)
	handle("GET /sources/{id}", h.sourceShow)
	handle("POST /sources/{id}/token", h.sourceRotate)
	handle("POST /sources/{id}/disabled", h.sourceDisable)
	handle("POST /sources/{id}/system", h.sourceSystem)
	handle("GET /rules", h.ruleList)
	handle("POST /rules", h.ruleUpload)
	handle("POST /rules/test", h.ruleTest)
	handle("POST /rules/{id}/enabled", h.ruleEnable)
}

// DetectLargeBodyRoutes are the detection pages that take uploads (a
// folder of rules), served with the detection batch limit.
func DetectLargeBodyRoutes() []string { return []string{"POST /rules"} }

type alertListPage struct {
	Page
	Alerts     []detect.Alert
	F          detect.AlertFilter
	Live       string // the URL the list refreshes from
	Pager      pager
	Statuses   []string
	Severities []string
}

func (h *Handler) alertList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	q := r.URL.Query()
	f := detect.AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), Kind: q.Get("kind"), Query: q.Get("q"), Limit: pageSize, Offset: offsetOf(r)}
	f.SourceID, _ = strconv.ParseInt(q.Get("source_id"), 10, 64)
	list, total, err := h.detect.ListAlerts(r.Context(), f)
	if err != nil {
		return err
	}
	p := h.page(r, "", "alerts")
	p.Title = p.L.T("det.alerts_title")
	vals := url.Values{"status": {f.Status}, "severity": {f.Severity}, "kind": {f.Kind}, "q": {f.Query}}
	if f.SourceID != 0 {
		vals.Set("source_id", strconv.FormatInt(f.SourceID, 10))
	}
	base := "/alerts?" + vals.Encode()
	return h.render(w, http.StatusOK, "alerts", alertListPage{Page: p, Alerts: list, F: f, Live: base + "&offset=" + strconv.Itoa(f.Offset),
		Pager: pager{Total: total, Offset: f.Offset, Limit: pageSize, Base: base}, Statuses: detect.Statuses, Severities: detect.Severities})
}

type alertPage struct {
	Page
	A          detect.Alert
	Categories []string
}

func (h *Handler) alertShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.detect.GetAlert(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, a.Title, "alerts")
	var cats []string
	for _, c := range incident.Taxonomy {
		cats = append(cats, c.Code())
	}
	return h.render(w, http.StatusOK, "alert", alertPage{Page: p, A: a, Categories: cats})
}

func (h *Handler) alertStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.detect.SetAlertStatus(r.Context(), id, r.PostFormValue("status"), r.PostFormValue("reason")); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/alerts/"+strconv.FormatInt(id, 10), "det.flash_status"))
}

func (h *Handler) alertPromote(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "unreadable form")
	}
	var in detect.PromoteInput
	for _, s := range r.PostForm["alert_id"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errs.Field("alert_id", "not an alert")
		}
		in.AlertIDs = append(in.AlertIDs, id)
	}
	if s := strings.TrimSpace(r.PostFormValue("incident_id")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return errs.Field("incident_id", "an incident number")
		}
		in.IncidentID = id
	} else {
		sev, err := incident.ParseSeverity(r.PostFormValue("severity"))
		if err != nil {
			return errs.Field("severity", "choose a severity")
		}
		in.Incident = &incident.Input{Title: r.PostFormValue("title"), Category: r.PostFormValue("category"), Severity: sev, TLP: "AMBER", PAP: "AMBER"}
	}
	inc, err := h.detect.Promote(r.Context(), in)
	if err != nil {
		return err
	}
	return redirect(w, r, "/incidents/"+strconv.FormatInt(inc.ID, 10))
}

type sourceListPage struct {
	Page
	Sources []detect.Source
	Kinds   []string
	Formats []string
	In      detect.SourceInput
	Created *detect.CreatedSource
	Systems []detect.SystemChoice // what a new source may watch
}

func (h *Handler) sourceListData(r *http.Request) (sourceListPage, error) {
	list, err := h.detect.ListSources(r.Context(), 0)
	if err != nil {
		return sourceListPage{}, err
	}
	p := h.page(r, "", "sources")
	p.Title = p.L.T("det.sources_title")
	formats := []string{"json", "auto", "suricata", "wazuh", "windows", "zeek", "accesslog", "syslog"}
	systems, err := h.detect.SystemChoices(r.Context())
	if err != nil {
		return sourceListPage{}, err
	}
	return sourceListPage{Page: p, Sources: list, Kinds: detect.SensorKinds, Formats: formats, Systems: systems}, nil
}

func (h *Handler) sourceList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	d, err := h.sourceListData(r)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "sources", d)
}

// sourceCreate shows the new token on the answer page itself: it is shown
// once and must never travel in a URL.
func (h *Handler) sourceCreate(w http.ResponseWriter, r *http.Request) error {
	in := detect.SourceInput{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Format: r.PostFormValue("format"),
		SilentAfter: r.PostFormValue("silent_after")}
	if s := strings.TrimSpace(r.PostFormValue("senders")); s != "" {
		in.Senders = strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' })
	}
	if s := r.PostFormValue("system_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errs.Field("system_id", "choose an information system")
		}
		in.SystemID = id
	}
	created, err := h.detect.CreateSource(r.Context(), in)
	d, lerr := h.sourceListData(r)
	if lerr != nil {
		return lerr
	}
	d.In = in
	if err != nil {
		if f := errs.FieldOf(err); f != "" {
			d.Fields = map[string]string{f: d.L.Error(err)}
			return h.render(w, http.StatusUnprocessableEntity, "sources", d)
		}
		return err
	}
	d.Created, d.In = &created, detect.SourceInput{}
	d.Sources, _ = h.detect.ListSources(r.Context(), 0)
	return h.render(w, http.StatusOK, "sources", d)
}

type sourcePage struct {
	Page
	S       detect.Source
	Alerts  []detect.Alert
	Token   string
	Systems []detect.SystemChoice // what the source may watch
}

func (h *Handler) sourceShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.renderSource(w, r, id, "")
}

func (h *Handler) renderSource(w http.ResponseWriter, r *http.Request, id int64, token string) error {
	s, err := h.detect.GetSource(r.Context(), id)
	if err != nil {
		return err
	}
	alerts, _, err := h.detect.ListAlerts(r.Context(), detect.AlertFilter{SourceID: id, Limit: 10})
	if err != nil {
		return err
	}
	systems, err := h.detect.SystemChoices(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "source", sourcePage{Page: h.page(r, s.Name, "sources"), S: s, Alerts: alerts, Token: token, Systems: systems})
}

// sourceSystem changes the information system a source watches, keeping
// its other settings.
func (h *Handler) sourceSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s, err := h.detect.GetSource(r.Context(), id)
	if err != nil {
		return err
	}
	in := detect.SourceInput{Name: s.Name, Kind: s.Kind, Format: s.Format, Senders: s.Senders, SilentAfter: s.SilentAfter.String()}
	if v := r.PostFormValue("system_id"); v != "" {
		if in.SystemID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return errs.Field("system_id", "choose an information system")
		}
	}
	if _, err := h.detect.UpdateSource(r.Context(), id, in); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/sources/"+strconv.FormatInt(id, 10), "det.flash_system"))
}

func (h *Handler) sourceRotate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := h.detect.RotateToken(r.Context(), id)
	if err != nil {
		return err
	}
	return h.renderSource(w, r, id, c.Token)
}

func (h *Handler) sourceDisable(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.detect.SetSourceDisabled(r.Context(), id, r.PostFormValue("disabled") == "true"); err != nil {
		return err
	}
	return redirect(w, r, "/sources/"+strconv.FormatInt(id, 10))
}

type ruleListPage struct {
	Page
	Rules     []detect.StoredRule
	Q         string
	Pager     pager
	Loaded    int
	NotLoaded []detect.RejectedRule
	Upload    *detect.UploadResult
	Test      *detect.RuleTest
	TestRule  string
	TestEvent string
	Formats   []string
}

func (h *Handler) ruleListData(r *http.Request) (ruleListPage, error) {
	q := r.URL.Query().Get("q")
	list, total, err := h.detect.ListRules(r.Context(), q, pageSize, offsetOf(r))
	if err != nil {
		return ruleListPage{}, err
	}
	p := h.page(r, "", "rules")
	p.Title = p.L.T("det.rules_title")
	d := ruleListPage{Page: p, Rules: list, Q: q, Pager: pager{Total: total, Offset: offsetOf(r), Limit: pageSize, Base: "/rules?" + url.Values{"q": {q}}.Encode()},
		Formats: []string{"auto", "windows", "suricata", "wazuh", "zeek", "json", "accesslog", "syslog"}}
	if rs := h.detect.Engine().Rules(); rs != nil {
		d.Loaded = rs.Set.Len() + rs.Correlating
		for _, rj := range rs.Rejects {
			d.NotLoaded = append(d.NotLoaded, detect.RejectedRule{File: rj.File, Title: rj.Title, Reason: rj.Err.Error()})
		}
	}
	return d, nil
}

func (h *Handler) ruleList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	d, err := h.ruleListData(r)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "rules", d)
}

// maxRuleFile bounds one uploaded rule file.
const maxRuleFile = 1 << 20

// ruleUpload takes one or many YAML files (a folder through the browser's
// directory picker) as multipart, the token first.
func (h *Handler) ruleUpload(w http.ResponseWriter, r *http.Request) error {
	mr, err := multipartFrom(r)
	if err != nil {
		return err
	}
	var files []detect.UploadFile
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return errs.E(errs.Invalid, "unreadable upload")
		}
		name := part.FileName()
		if part.FormName() != "files" || name == "" || !(strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, maxRuleFile+1))
		if err != nil {
			return errs.E(errs.Invalid, "unreadable upload")
		}
		if len(data) > maxRuleFile {
			return errs.Field("files", "%s is over 1 MiB", name)
		}
		files = append(files, detect.UploadFile{Name: name, Data: data})
	}
	res, err := h.detect.UploadRules(r.Context(), files)
	if err != nil {
		return err
	}
	d, err := h.ruleListData(r)
	if err != nil {
		return err
	}
	d.Upload = &res
	return h.render(w, http.StatusOK, "rules", d)
}

func (h *Handler) ruleTest(w http.ResponseWriter, r *http.Request) error {
	d, err := h.ruleListData(r)
	if err != nil {
		return err
	}
	d.TestRule, d.TestEvent = r.PostFormValue("rule"), r.PostFormValue("event")
	res, err := h.detect.TestRule(r.Context(), d.TestRule, d.TestEvent, r.PostFormValue("format"))
	if err != nil {
		if f := errs.FieldOf(err); f != "" {
			d.Fields = map[string]string{f: d.L.Error(err)}
			return h.render(w, http.StatusUnprocessableEntity, "rules", d)
		}
		return err
	}
	d.Test = &res
	return h.render(w, http.StatusOK, "rules", d)
}

func (h *Handler) ruleEnable(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.detect.SetRuleEnabled(r.Context(), id, r.PostFormValue("enabled") == "true"); err != nil {
		return err
	}
	return redirect(w, r, "/rules?"+url.Values{"q": {r.PostFormValue("q")}}.Encode())
}

// alertDash is detection's part of the dashboard: alerts by day of first
// sighting and severity over the last fortnight (a stacked chart), and the
// open alerts.
type alertDash struct {
	JSON  template.JS
	Total int // alerts first seen in the fortnight
	Open  int // new or acknowledged, of any age
}

// alertSeverityColours colour the chart's severities like the alert list's
// tags (app.css, .det-sev-*).
var alertSeverityColours = map[string]string{"informational": "#9aa5b1", "low": "#4f7cac", "medium": "#f3c623", "high": "#b3261e", "critical": "#7a0010"}

type chartDataset struct {
	Label string `json:"label"`
	Data  []int  `json:"data"`
	Color string `json:"color"`
}

// alertDashboard computes the figure; nil when detection is off or the
// figures cannot be read.
func (h *Handler) alertDashboard(r *http.Request) *alertDash {
	if h.detect == nil {
		return nil
	}
	ctx := r.Context()
	f, err := h.detect.DailyAlerts(ctx, 14, time.FixedZone("ICT", 7*3600))
	if err != nil {
		return nil
	}
	lang := h.lang(r)
	chart := struct {
		Labels   []string       `json:"labels"`
		Datasets []chartDataset `json:"datasets"`
	}{Labels: make([]string, 0, len(f.Days))}
	for _, d := range f.Days {
		chart.Labels = append(chart.Labels, d[5:])
	}
	for _, sv := range detect.Severities {
		chart.Datasets = append(chart.Datasets, chartDataset{Label: h.cat.T(lang, "det.sev."+sv), Data: f.BySeverity[sv], Color: alertSeverityColours[sv]})
	}
	b, _ := json.Marshal(chart)
	d := &alertDash{JSON: template.JS(b), Total: f.Total}
	if counts, err := h.detect.AlertCounts(ctx); err == nil {
		for _, n := range counts {
			d.Open += n
		}
	}
	return d
}
