package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/fraud"
	"bulwark/internal/web"
)

// FraudLargeBodyRoutes are the fraud routes that take files: they are
// served with the evidence limit instead of MaxBody (see cli).
func FraudLargeBodyRoutes() []string {
	return []string{"POST /api/v1/public/fraud-reports/{code}/evidence", "POST /api/v1/fraud/reports/{id}/evidence"}
}

type fraudDecisionJSON = fraud.Decision

type fraudLinkJSON struct {
	IncidentRef string `json:"incident_ref"`
	CaseNumber  string `json:"case_number"`
}

type fraudReporterJSON struct {
	Reporter string `json:"reporter"` // phone number or e-mail address
}

type fraudEraseJSON struct {
	Erased int `json:"erased"`
	Kept   int `json:"kept_for_cases"`
}

type fraudEvidenceJSON struct {
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

type fraudPrefixJSON struct {
	Partner string `json:"partner"` // telecom partner code; empty removes the prefix
}

func (h *Handler) fraudRoutes() []Route {
	if h.fraud == nil {
		return nil
	}
	const pub, tag = "public", "fraud"
	subjectParams := append([]Param{{"q", "string", "phone, site, account or part of a value"}, {"kind", "string", "phone, domain, account, social, sender, ewallet"},
		{"status", "string", "unverified, under_review, confirmed, insufficient, cleared (comma-separated)"}, {"sort", "string", "count (default), amount or recent"}}, pageParams...)
	return []Route{
		{Method: "POST", Path: "/api/v1/public/fraud-reports", Summary: "Report a scam (no login; consent required; rate-limited per address and per identifier)", Tag: pub, Public: true, Body: fraud.ReportInput{}, Response: fraud.Receipt{}, Status: 201, fn: h.publicFraudReport},
		{Method: "GET", Path: "/api/v1/public/fraud-reports/{code}", Summary: "Status of the one report a tracking code names (no login)", Tag: pub, Public: true, Response: fraud.PublicStatus{}, fn: h.publicFraudStatus},
		{Method: "POST", Path: "/api/v1/public/fraud-reports/{code}/evidence", Summary: "Add an evidence file (image, audio or PDF, checked by content, at most 5 MB) as the raw request body", Tag: pub, Public: true, Query: []Param{{"filename", "string", "the file's name, for display"}}, Response: fraudEvidenceJSON{}, Status: 201, fn: h.publicFraudEvidence},
		{Method: "GET", Path: "/api/v1/public/lookup", Summary: "Is this phone number, site or account a scam? (no login; rate-limited; never reporter data)", Tag: pub, Public: true, Query: []Param{{"q", "string", "phone number, URL or domain, account number, profile link"}}, Response: fraud.LookupResult{}, fn: h.publicLookup},

		{Method: "GET", Path: "/api/v1/fraud/reports", Summary: "List fraud reports (police verifiers; no reporter contacts)", Tag: tag, Query: append([]Param{{"channel", "string", "channel"}, {"scam_type", "string", "scam type"}, {"source", "string", "public, staff or import"}}, pageParams...), Response: Page[fraud.Report]{}, fn: h.listFraudReports},
		{Method: "POST", Path: "/api/v1/fraud/reports", Summary: "File a report on a victim's behalf (analysts)", Tag: tag, Body: fraud.ReportInput{}, Response: fraud.Receipt{}, Status: 201, fn: h.fileFraudReport},
		{Method: "POST", Path: "/api/v1/fraud/reports/import", Summary: "Import reports from CSV as the request body (header kind,value[,bank,account_name,channel,scam_type,occurred_on,amount,narrative]; read row by row, up to 50 MB by default); per-row result", Tag: tag, Response: fraud.ImportResult{}, fn: h.importFraudReports},
		{Method: "GET", Path: "/api/v1/fraud/reports/{id}", Summary: "Get a report with its subjects and evidence", Tag: tag, Response: fraud.Report{}, fn: byID(h.fraud.GetReport)},
		{Method: "GET", Path: "/api/v1/fraud/reports/{id}/reporter", Summary: "The reporter's contact (police analysts only; every view is audited)", Tag: tag, Response: fraud.Contact{}, fn: byID(h.fraud.ReporterContact)},
		{Method: "POST", Path: "/api/v1/fraud/reports/{id}/evidence", Summary: "Add an evidence file to a report (staff who may read it; image, audio or PDF as the raw body, at most 5 MB)", Tag: tag, Query: []Param{{"filename", "string", "the file's name, for display"}}, Response: fraud.Evidence{}, Status: 201, fn: h.addFraudEvidence},
		{Method: "GET", Path: "/api/v1/fraud/evidence/{id}", Summary: "Download an evidence file (police verifiers)", Tag: tag, fn: h.fraudEvidence},

		{Method: "GET", Path: "/api/v1/fraud/subjects", Summary: "List subjects (deduplicated identifiers) with counts", Tag: tag, Query: subjectParams, Response: Page[fraud.Subject]{}, fn: h.listFraudSubjects},
		{Method: "GET", Path: "/api/v1/fraud/subjects/{id}", Summary: "A subject with its reports side by side, history, referrals and hand-offs", Tag: tag, Response: fraud.SubjectDetail{}, fn: byID(h.fraud.GetSubject)},
		{Method: "POST", Path: "/api/v1/fraud/subjects/{id}/decision", Summary: "Confirm or reject a subject with a reason; confirmation refers phones and accounts and hands domains to intel", Tag: tag, Body: fraudDecisionJSON{}, Response: fraud.Subject{}, fn: h.decideFraudSubject},
		{Method: "PUT", Path: "/api/v1/fraud/subjects/{id}/links", Summary: "Link a subject to an incident and/or a criminal case number", Tag: tag, Body: fraudLinkJSON{}, Response: fraud.Subject{}, fn: h.linkFraudSubject},

		{Method: "GET", Path: "/api/v1/fraud/referrals", Summary: "Referrals to telecoms and banks (liaisons: their own only)", Tag: tag, Query: append([]Param{{"open", "boolean", "unanswered only"}, {"overdue", "boolean", "unanswered and past due only"}, {"partner", "string", "partner code"}}, pageParams...), Response: Page[fraud.Referral]{}, fn: h.listFraudReferrals},
		{Method: "GET", Path: "/api/v1/fraud/referrals/{id}", Summary: "Get a referral", Tag: tag, Response: fraud.Referral{}, fn: byID(h.fraud.GetReferral)},
		{Method: "POST", Path: "/api/v1/fraud/referrals/{id}/answer", Summary: "Answer a referral with an outcome and a date (the partner's liaison)", Tag: tag, Body: fraud.Answer{}, Response: fraud.Referral{}, fn: h.answerFraudReferral},
		{Method: "GET", Path: "/api/v1/fraud/blocklists/{kind}", Summary: "Blocklist of confirmed subjects: rpz, domains, phones or accounts (partner tokens; ETag and If-Modified-Since)", Tag: tag, fn: h.fraudBlocklist},
		{Method: "GET", Path: "/api/v1/fraud/figures", Summary: "Fraud figures of a period (no personal data)", Tag: tag, Query: []Param{{"from", "string", "from date YYYY-MM-DD, province time (default 30 days ago)"}, {"to", "string", "until date YYYY-MM-DD, inclusive (default today)"}}, Response: fraud.Figures{}, fn: h.fraudFigures},
		{Method: "GET", Path: "/api/v1/fraud/handoffs", Summary: "Indicators handed to threat intelligence", Tag: tag, Response: []fraud.Handoff{}, fn: h.fraudHandoffs},
		{Method: "GET", Path: "/api/v1/fraud/partners", Summary: "Telecoms and banks that receive referrals", Tag: tag, Response: []fraud.Partner{}, fn: h.fraudPartners},
		{Method: "PUT", Path: "/api/v1/fraud/partners/{code}", Summary: "Add or edit a partner and its liaison agency", Tag: tag, Body: fraud.Partner{}, Status: 204, fn: h.saveFraudPartner},
		{Method: "GET", Path: "/api/v1/fraud/prefixes", Summary: "Mobile prefix table (a hint: numbers can be ported)", Tag: tag, Response: []fraud.Prefix{}, fn: h.fraudPrefixes},
		{Method: "PUT", Path: "/api/v1/fraud/prefixes/{prefix}", Summary: "Map a mobile prefix to an operator (empty partner removes it)", Tag: tag, Body: fraudPrefixJSON{}, Status: 204, fn: h.setFraudPrefix},
		{Method: "GET", Path: "/api/v1/fraud/outcomes", Summary: "Outcomes partners answer with", Tag: tag, Query: []Param{{"kind", "string", "telecom or bank"}, {"all", "boolean", "include inactive"}}, Response: []fraud.Outcome{}, fn: h.fraudOutcomes},
		{Method: "PUT", Path: "/api/v1/fraud/outcomes/{code}", Summary: "Add or edit an outcome", Tag: tag, Body: fraud.Outcome{}, Status: 204, fn: h.saveFraudOutcome},
		{Method: "POST", Path: "/api/v1/fraud/reporter-data/export", Summary: "Export one reporter's data (admin; data-subject request)", Tag: tag, Body: fraudReporterJSON{}, Response: fraud.ReporterData{}, fn: h.exportFraudReporter},
		{Method: "POST", Path: "/api/v1/fraud/reporter-data/erase", Summary: "Erase one reporter's data (admin; reports kept for a case are counted, not erased)", Tag: tag, Body: fraudReporterJSON{}, Response: fraudEraseJSON{}, fn: h.eraseFraudReporter},
	}
}

func (h *Handler) clientIP(r *http.Request) string { return web.ClientIP(r, h.trustProxy) }

func (h *Handler) publicFraudReport(w http.ResponseWriter, r *http.Request) error {
	var in fraud.ReportInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	rc, err := h.fraud.Submit(r.Context(), in, h.clientIP(r))
	if err != nil && err != fraud.ErrHoneypot { // a bot gets a receipt that leads nowhere
		return err
	}
	return writeJSON(w, http.StatusCreated, rc)
}

func (h *Handler) publicFraudStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := h.fraud.Status(r.Context(), r.PathValue("code"), h.clientIP(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (h *Handler) publicFraudEvidence(w http.ResponseWriter, r *http.Request) error {
	ev, err := h.fraud.AddEvidence(r.Context(), r.PathValue("code"), r.URL.Query().Get("filename"), r.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, fraudEvidenceJSON{ContentType: ev.ContentType, Size: ev.Size, SHA256: ev.SHA256})
}

func (h *Handler) publicLookup(w http.ResponseWriter, r *http.Request) error {
	res, err := h.fraud.Lookup(r.Context(), r.URL.Query().Get("q"), h.clientIP(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (h *Handler) listFraudReports(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, total, err := h.fraud.ListReports(r.Context(), fraud.ReportFilter{Channel: fraud.Channel(q.Get("channel")), ScamType: q.Get("scam_type"),
		Source: q.Get("source"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[fraud.Report]{Items: nonNil(list), Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) fileFraudReport(w http.ResponseWriter, r *http.Request) error {
	var in fraud.ReportInput
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	rc, err := h.fraud.File(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, rc)
}

// FraudImportRoutes take a CSV file of up to fraud.Config.MaxImportBytes
// (see cli).
func FraudImportRoutes() []string { return []string{"POST /api/v1/fraud/reports/import"} }

// importIdle is how long an import may wait for the next part of the file
// (the server's ReadTimeout is for ordinary requests).
const importIdle = 2 * time.Minute

// importFraudReports reads the CSV row by row while the service stores it
// and keeps the per-row results in a temporary file, then sends them as
// one fraud.ImportResult: memory does not grow with the file, and the
// client is not answered while it is still sending (HTTP/1.1 clients do
// not all read a response before their request is sent). If the import
// stops part-way (file too large, upload cut), the rows before are stored
// and listed and "stopped" says why; a file refused before any row is an
// ordinary problem response.
func (h *Handler) importFraudReports(w http.ResponseWriter, r *http.Request) error {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(importIdle))
	spool, err := os.CreateTemp("", "bulwark-fraud-import-*")
	if err != nil {
		return fmt.Errorf("api: fraud import spool: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	buf := bufio.NewWriter(spool)
	n, extended := 0, time.Now()
	sum, err := h.fraud.ImportCSVRows(r.Context(), r.Body, func(row fraud.ImportRow) error {
		if now := time.Now(); now.Sub(extended) > time.Second {
			_ = rc.SetReadDeadline(now.Add(importIdle))
			extended = now
		}
		b, err := json.Marshal(row)
		if err != nil {
			return err
		}
		if n > 0 {
			buf.WriteString(",\n")
		}
		n++
		_, err = buf.Write(b)
		return err
	})
	stopped := ""
	if err != nil {
		if k := errs.KindOf(err); n == 0 || (k != errs.TooLarge && k != errs.Invalid) {
			return err
		}
		stopped = errs.Message(err)
	}
	if err := buf.Flush(); err != nil {
		return fmt.Errorf("api: fraud import spool: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("api: fraud import spool: %w", err)
	}
	tail, err := json.Marshal(struct {
		Imported int    `json:"imported"`
		Failed   int    `json:"failed"`
		Stopped  string `json:"stopped,omitempty"`
	}{sum.Imported, sum.Failed, stopped})
	if err != nil {
		return fmt.Errorf("api: fraud import result: %w", err)
	}
	_ = rc.SetWriteDeadline(time.Now().Add(importIdle + time.Duration(n/1000)*time.Second))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"rows":[`)
	if _, err := io.Copy(w, spool); err != nil {
		return nil // the client went away; the import itself is done
	}
	io.WriteString(w, "],")
	_, _ = w.Write(tail[1:]) // the summary's fields close the object
	return nil
}

func (h *Handler) addFraudEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ev, err := h.fraud.AddEvidenceByID(r.Context(), id, r.URL.Query().Get("filename"), r.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ev)
}

func (h *Handler) fraudEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ev, rc, err := h.fraud.OpenEvidence(r.Context(), id)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", ev.ContentType)
	w.Header().Set("Content-Disposition", `attachment; filename="evidence-`+strconv.FormatInt(ev.ID, 10)+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.FormatInt(ev.Size, 10))
	_, err = io.Copy(w, rc)
	return err
}

func (h *Handler) listFraudSubjects(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := fraud.SubjectFilter{Kind: fraud.IdentifierKind(q.Get("kind")), Query: q.Get("q"), Sort: q.Get("sort"), Limit: limit, Offset: offset}
	for _, s := range strings.Split(q.Get("status"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			f.Statuses = append(f.Statuses, fraud.Status(s))
		}
	}
	list, total, err := h.fraud.ListSubjects(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[fraud.Subject]{Items: nonNil(list), Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) decideFraudSubject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in fraudDecisionJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	s, err := h.fraud.Decide(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

func (h *Handler) linkFraudSubject(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in fraudLinkJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	s, err := h.fraud.Link(r.Context(), id, in.IncidentRef, in.CaseNumber)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

func (h *Handler) listFraudReferrals(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := paging(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, total, err := h.fraud.ListReferrals(r.Context(), fraud.ReferralFilter{Open: q.Get("open") == "true", Overdue: q.Get("overdue") == "true",
		Partner: q.Get("partner"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Page[fraud.Referral]{Items: nonNil(list), Total: total, Limit: limit, Offset: offset})
}

func (h *Handler) answerFraudReferral(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in fraud.Answer
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	ref, err := h.fraud.AnswerReferral(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ref)
}

// fraudBlocklist serves a list with validators: If-None-Match (ETag)
// first, then If-Modified-Since, answer 304 when the partner's copy is
// current.
func (h *Handler) fraudBlocklist(w http.ResponseWriter, r *http.Request) error {
	b, err := h.fraud.Blocklist(r.Context(), r.PathValue("kind"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", b.ETag)
	w.Header().Set("Cache-Control", "private, no-cache")
	if !b.LastModified.IsZero() {
		w.Header().Set("Last-Modified", b.LastModified.Format(http.TimeFormat))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			if t := strings.TrimSpace(tag); t == b.ETag || t == "*" || t == "W/"+b.ETag {
				w.WriteHeader(http.StatusNotModified)
				return nil
			}
		}
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" && !b.LastModified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !b.LastModified.After(t) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	w.Header().Set("Content-Type", b.ContentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+b.Filename+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b.Body)
	return err
}

func (h *Handler) fraudFigures(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	loc := h.fraud.Location() // days are the province's days, as in the annual report
	now := time.Now().In(loc)
	to := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)
	from := to.AddDate(0, 0, -30)
	var err error
	if s := q.Get("from"); s != "" {
		if from, err = parseDate("from", s); err != nil {
			return err
		}
		from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	}
	if s := q.Get("to"); s != "" {
		if to, err = parseDate("to", s); err != nil {
			return err
		}
		to = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
	}
	f, err := h.fraud.Figures(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (h *Handler) fraudHandoffs(w http.ResponseWriter, r *http.Request) error {
	list, err := h.fraud.ListHandoffs(r.Context(), 500)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

func (h *Handler) fraudPartners(w http.ResponseWriter, r *http.Request) error {
	list, err := h.fraud.Partners(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

func (h *Handler) saveFraudPartner(w http.ResponseWriter, r *http.Request) error {
	var in fraud.Partner
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	in.Code = r.PathValue("code")
	if err := h.fraud.SavePartner(r.Context(), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) fraudPrefixes(w http.ResponseWriter, r *http.Request) error {
	list, err := h.fraud.Prefixes(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

func (h *Handler) setFraudPrefix(w http.ResponseWriter, r *http.Request) error {
	var in fraudPrefixJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	if err := h.fraud.SetPrefix(r.Context(), r.PathValue("prefix"), in.Partner); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) fraudOutcomes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	list, err := h.fraud.Outcomes(r.Context(), q.Get("kind"), q.Get("all") == "true")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

func (h *Handler) saveFraudOutcome(w http.ResponseWriter, r *http.Request) error {
	var in fraud.Outcome
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	in.Code = r.PathValue("code")
	if err := h.fraud.SaveOutcome(r.Context(), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) exportFraudReporter(w http.ResponseWriter, r *http.Request) error {
	var in fraudReporterJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	d, err := h.fraud.ExportReporter(r.Context(), in.Reporter)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (h *Handler) eraseFraudReporter(w http.ResponseWriter, r *http.Request) error {
	var in fraudReporterJSON
	if err := Decode(r.Body, &in); err != nil {
		return err
	}
	erased, kept, err := h.fraud.EraseReporter(r.Context(), in.Reporter)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, fraudEraseJSON{Erased: erased, Kept: kept})
}
