package ui

import (
	"encoding/json"
	"html/template"
	"net/http"

	"bulwark/internal/agency"
	"bulwark/internal/incident"
)

type dashboardPage struct {
	Page
	Agencies     int
	Users        int
	Members      int
	Decisions    int
	ByKind       []kindCount
	ActivityJSON template.JS // chart data, read by app.js from a JSON block

	Overdue      []incident.Incident // incidents past a deadline (pages_incident.go)
	OverdueCount int
	IncidentsOn  bool

	Fraud *fraudDash // fraud reports per day (pages_fraud.go)

	Alerts *alertDash // alerts per day and severity (pages_detect.go)

	Intel *intelDash // indicators by type and TLP (pages_intel.go)
}

type kindCount struct {
	Kind  string
	Count int
}

// dashboard shows real counts of what exists so far, and a chart of the
// last fortnight's recorded activity.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	ctx := r.Context()
	p := h.page(r, "", "dashboard")
	p.Title = p.L.T("dash.title")
	d := dashboardPage{Page: p}
	var err error
	if d.Agencies, err = h.agencies.CountAgencies(ctx); err != nil {
		return err
	}
	if d.Users, err = h.auth.CountUsers(ctx); err != nil {
		return err
	}
	list, _, err := h.agencies.ListAgencies(ctx, agency.AgencyFilter{Limit: 10000})
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, a := range list {
		counts[a.Kind]++
	}
	for _, k := range agency.Kinds {
		if counts[k] > 0 {
			d.ByKind = append(d.ByKind, kindCount{Kind: k, Count: counts[k]})
		}
	}
	bodies, err := h.agencies.ListBodies(ctx)
	if err != nil {
		return err
	}
	today := h.now().Format("2006-01-02")
	for _, b := range bodies {
		m, err := h.agencies.Composition(ctx, b.ID, today)
		if err != nil {
			return err
		}
		d.Members += len(m)
	}
	_, d.Decisions, err = h.agencies.ListDecisions(ctx, 1, 0)
	if err != nil {
		return err
	}
	act, err := h.activity(r, 14)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(act)
	d.ActivityJSON = template.JS(b)
	d.Overdue, d.OverdueCount = h.overdueIncidents(r)
	d.IncidentsOn = h.incidents != nil
	d.Fraud = h.fraudDashboard(r)
	d.Alerts = h.alertDashboard(r)
	d.Intel = h.intelDashboard(r)
	return h.render(w, http.StatusOK, "dashboard", d)
}

type series struct {
	Labels []string `json:"labels"`
	Values []int    `json:"values"`
	Label  string   `json:"label"`
}

// activity is the chart series of audit rows per day.
func (h *Handler) activity(r *http.Request, n int) (series, error) {
	days, err := h.audit.Daily(r.Context(), n)
	if err != nil {
		return series{}, err
	}
	s := series{Label: h.cat.T(h.lang(r), "dash.activity")}
	for _, d := range days {
		s.Labels = append(s.Labels, d.Day[5:])
		s.Values = append(s.Values, d.Count)
	}
	return s, nil
}
