package ui

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/fraud"
	"bulwark/internal/i18n"
	"bulwark/internal/web"
)

// FraudLargeBodyRoutes are the pages that take evidence files: the public
// report form and the staff intake form. cli serves them with a limit that
// fits; the fraud service cuts every file at its own limit while
// streaming it.
func FraudLargeBodyRoutes() []string { return []string{"POST /report-fraud", "POST /fraud/reports"} }

// FraudImportRoutes take a CSV file of up to fraud.Config.MaxImportBytes
// (see cli).
func FraudImportRoutes() []string { return []string{"POST /fraud/import"} }

// fraudIdRows is how many free identifier rows the report form has (besides
// the bank account block).
const fraudIdRows = 4

func (h *Handler) fraudRoutes(handle func(string, handlerFunc)) {
	if h.fraud == nil {
		return
	}
	// Public: no login; the handlers never need a user.
	handle("GET /report-fraud", h.publicReportForm)
	handle("POST /report-fraud", h.publicReportSubmit)
	handle("GET /report-fraud/status", h.publicReportStatus)
	handle("GET /lookup", h.publicLookup)
	// Staff.
	handle("GET /fraud", h.fraudQueue)
	handle("GET /fraud/reports", h.fraudReports)
	handle("GET /fraud/reports/new", h.fraudIntakeForm)
	handle("POST /fraud/reports", h.fraudIntake)
	handle("GET /fraud/reports/{id}", h.fraudReport)
	handle("POST /fraud/reports/{id}/reporter", h.fraudReporter)
	handle("GET /fraud/evidence/{id}", h.fraudEvidence)
	handle("GET /fraud/subjects/{id}", h.fraudSubject)
	handle("POST /fraud/subjects/{id}/decision", h.fraudDecide)
	handle("POST /fraud/subjects/{id}/links", h.fraudLink)
	handle("GET /fraud/referrals", h.fraudReferrals)
	handle("POST /fraud/referrals/{id}/answer", h.fraudAnswer)
	handle("GET /fraud/import", h.fraudImportForm)
	handle("POST /fraud/import", h.fraudImport)
	handle("GET /fraud/figures", h.fraudFigures)
	handle("GET /fraud/privacy", h.fraudPrivacy)
	handle("POST /fraud/privacy", h.fraudPrivacyAction)
	handle("GET /fraud/settings", h.fraudSettings)
	handle("POST /fraud/settings", h.fraudSettingsSave)
}

// --- the report form (public and staff intake) ---

type fraudReportFormPage struct {
	Page
	Staff       bool
	V           url.Values
	Channels    []fraud.Channel
	ScamTypes   []string
	Kinds       []fraud.IdentifierKind
	Rows        []int
	Retention   int // days
	MaxFiles    int
	MaxFileMB   int
	Today       string
	FileResults []string
}

func (h *Handler) fraudReportForm(r *http.Request, staff bool, v url.Values) fraudReportFormPage {
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.report_title")
	if staff {
		p.Title = p.L.T("fraud.intake_title")
	}
	if v == nil {
		v = url.Values{}
	}
	rows := make([]int, fraudIdRows)
	for i := range rows {
		rows[i] = i
	}
	return fraudReportFormPage{Page: p, Staff: staff, V: v, Channels: fraud.Channels, ScamTypes: fraud.ScamTypes,
		Kinds: []fraud.IdentifierKind{fraud.KindPhone, fraud.KindURL, fraud.KindSocial, fraud.KindSender, fraud.KindWallet},
		Rows:  rows, Retention: int(h.fraud.Config().Retention.Hours() / 24), MaxFiles: fraud.MaxEvidenceFiles,
		MaxFileMB: fraud.MaxEvidenceSize >> 20, Today: h.now().Format("2006-01-02")}
}

// fraudReportInput reads the form into a report, remembering which form field
// each identifier came from so errors land next to it.
func fraudReportInput(v url.Values) (fraud.ReportInput, []string) {
	amount, _ := strconv.ParseInt(strings.NewReplacer(".", "", ",", "", " ", "").Replace(v.Get("amount")), 10, 64)
	if s := strings.TrimSpace(v.Get("amount")); s != "" && amount == 0 && strings.Trim(s, "0.,") != "" {
		amount = -1 // not a number: let the service say so
	}
	in := fraud.ReportInput{Channel: fraud.Channel(v.Get("channel")), ScamType: v.Get("scam_type"), OccurredOn: v.Get("occurred_on"),
		Amount: amount, Narrative: v.Get("narrative"), Consent: v.Get("consent") == "yes", Website: v.Get("website"),
		Reporter: fraud.Contact{Name: v.Get("reporter_name"), Phone: v.Get("reporter_phone"), Email: v.Get("reporter_email")}}
	var fields []string
	for i := range fraudIdRows {
		val := strings.TrimSpace(v.Get(fmt.Sprintf("id_value_%d", i)))
		if val == "" {
			continue
		}
		kind := fraud.IdentifierKind(v.Get(fmt.Sprintf("id_kind_%d", i)))
		id := fraud.Identifier{Kind: kind, Value: val}
		if kind == fraud.KindWallet {
			id.Bank = "EWALLET"
			if b, _, ok := strings.Cut(val, ":"); ok && b != "" {
				id.Bank = ""
			}
		}
		in.Identifiers = append(in.Identifiers, id)
		fields = append(fields, fmt.Sprintf("id_value_%d", i))
	}
	if acc := strings.TrimSpace(v.Get("account")); acc != "" || strings.TrimSpace(v.Get("bank")) != "" {
		in.Identifiers = append(in.Identifiers, fraud.Identifier{Kind: fraud.KindAccount, Value: acc, Bank: v.Get("bank"), AccountName: v.Get("account_name")})
		fields = append(fields, "account")
	}
	return in, fields
}

var fraudIdFieldRe = regexp.MustCompile(`^identifiers\[(\d+)\]\.(\w+)$`)

// fraudFormFieldOf maps a service field ("identifiers[1].value",
// "reporter.email") to the form's input name.
func fraudFormFieldOf(field string, fields []string) string {
	if m := fraudIdFieldRe.FindStringSubmatch(field); m != nil {
		i, _ := strconv.Atoi(m[1])
		if i < len(fields) {
			if fields[i] == "account" && m[2] == "bank" {
				return "bank"
			}
			if fields[i] == "account" && m[2] == "account_name" {
				return "account_name"
			}
			return fields[i]
		}
	}
	return strings.ReplaceAll(field, ".", "_")
}

// fraudReportError shows a validation error on the form, in the page's
// language when the field has a message of its own.
func fraudReportError(p *Page, err error, fields []string) bool {
	k := errs.KindOf(err)
	if k != errs.Invalid && k != errs.RateLimited && k != errs.TooLarge {
		return false
	}
	f := fraudFormFieldOf(errs.FieldOf(err), fields)
	msg := p.L.Error(err)
	base := f
	if strings.HasPrefix(base, "id_value_") {
		base = "id_value"
	}
	if key := "fraud.err." + base; f != "" && p.L.T(key) != key {
		msg = p.L.T(key) + " (" + p.L.ErrorMessage(err) + ")"
	}
	if k == errs.RateLimited {
		msg = p.L.T("fraud.err.rate")
	}
	p.Error = msg
	if f != "" {
		p.Fields = map[string]string{f: msg}
	}
	return true
}

func (h *Handler) publicReportForm(w http.ResponseWriter, r *http.Request) error {
	d := h.fraudReportForm(r, false, nil)
	d.Nav = "public"
	return h.render(w, http.StatusOK, "public_report", d)
}

type fraudReceiptPage struct {
	Page
	Receipt     fraud.Receipt
	FileResults []fraudFileResult
}

type fraudFileResult struct {
	Name  string
	OK    bool
	Error string
}

// readFraudReportForm reads a report form: a multipart form as a stream,
// its text fields first (each bounded) up to the first evidence file,
// which it returns unread with the reader of the rest; or a plain
// urlencoded form (no files).
func readFraudReportForm(r *http.Request) (url.Values, *multipart.Reader, *multipart.Part, error) {
	v := url.Values{}
	mr, err := multipartFrom(r)
	if err != nil {
		if err := r.ParseForm(); err != nil {
			return nil, nil, nil, errs.E(errs.Invalid, "the form could not be read")
		}
		return r.PostForm, nil, nil, nil
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return v, mr, nil, nil
		}
		if err != nil {
			return nil, nil, nil, errs.Wrap(errs.Invalid, err, "the upload was cut short")
		}
		if part.FormName() == "evidence" {
			return v, mr, part, nil
		}
		if len(v) > 64 {
			return nil, nil, nil, errs.E(errs.TooLarge, "too many form fields")
		}
		b, err := io.ReadAll(io.LimitReader(part, 32<<10))
		if err != nil {
			return nil, nil, nil, errs.Wrap(errs.Invalid, err, "the upload was cut short")
		}
		v.Add(part.FormName(), string(b))
	}
}

// addFraudFiles streams every evidence file left in the form to the
// report the tracking code names (the service checks each by content and
// size), and says for each whether it was kept.
func (h *Handler) addFraudFiles(r *http.Request, l i18n.Lang, code string, mr *multipart.Reader, part *multipart.Part) ([]fraudFileResult, error) {
	var out []fraudFileResult
	for part != nil {
		if part.FormName() == "evidence" && part.FileName() != "" {
			res := fraudFileResult{Name: part.FileName()}
			if len(out) >= fraud.MaxEvidenceFiles {
				res.Error = l.T("fraud.err.too_many_files")
			} else if _, err := h.fraud.AddEvidence(r.Context(), code, part.FileName(), part); err != nil {
				if errs.KindOf(err) == errs.Internal {
					return out, err
				}
				res.Error = l.Error(err)
			} else {
				res.OK = true
			}
			out = append(out, res)
		}
		var err error
		if part, err = mr.NextPart(); err != nil {
			break
		}
	}
	return out, nil
}

// publicReportSubmit reads the multipart form as a stream: the text
// fields first (each bounded), then the report is stored, then every
// evidence file is streamed to the blob store, checked by content. A bot
// that fills the honeypot gets a receipt that leads nowhere.
func (h *Handler) publicReportSubmit(w http.ResponseWriter, r *http.Request) error {
	v, mr, part, err := readFraudReportForm(r)
	if err != nil {
		return err
	}
	in, fields := fraudReportInput(v)
	rc, err := h.fraud.Submit(r.Context(), in, web.ClientIP(r, h.cfg.TrustProxy))
	if err == fraud.ErrHoneypot {
		p := h.page(r, "", "public")
		p.Title = p.L.T("fraud.receipt_title")
		return h.render(w, http.StatusOK, "public_receipt", fraudReceiptPage{Page: p, Receipt: rc})
	}
	if err != nil {
		d := h.fraudReportForm(r, false, v)
		d.Nav = "public"
		if !fraudReportError(&d.Page, err, fields) {
			return err
		}
		status := http.StatusUnprocessableEntity
		if errs.KindOf(err) == errs.RateLimited {
			status = http.StatusTooManyRequests
		}
		return h.render(w, status, "public_report", d)
	}
	p := h.page(r, "", "public")
	p.Title = p.L.T("fraud.receipt_title")
	d := fraudReceiptPage{Page: p, Receipt: rc}
	if d.FileResults, err = h.addFraudFiles(r, p.L, rc.TrackingCode, mr, part); err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "public_receipt", d)
}

type fraudStatusPage struct {
	Page
	Code   string
	Status *fraud.PublicStatus
}

func (h *Handler) publicReportStatus(w http.ResponseWriter, r *http.Request) error {
	p := h.page(r, "", "public")
	p.Title = p.L.T("fraud.status_title")
	d := fraudStatusPage{Page: p, Code: strings.TrimSpace(r.URL.Query().Get("code"))}
	if d.Code != "" {
		st, err := h.fraud.Status(r.Context(), d.Code, web.ClientIP(r, h.cfg.TrustProxy))
		switch {
		case errs.Is(err, errs.RateLimited):
			d.Error = p.L.T("fraud.err.rate")
		case errs.Is(err, errs.NotFound):
			d.Error = p.L.T("fraud.status_unknown")
		case err != nil:
			return err
		default:
			d.Status = &st
		}
	}
	return h.render(w, http.StatusOK, "public_status", d)
}

type fraudLookupPage struct {
	Page
	Q      string
	Result *fraud.LookupResult
}

func (h *Handler) publicLookup(w http.ResponseWriter, r *http.Request) error {
	p := h.page(r, "", "public")
	p.Title = p.L.T("fraud.lookup_title")
	d := fraudLookupPage{Page: p, Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	if len(d.Q) > 300 {
		d.Q = d.Q[:300]
	}
	if d.Q != "" {
		res, err := h.fraud.Lookup(r.Context(), d.Q, web.ClientIP(r, h.cfg.TrustProxy))
		switch {
		case errs.Is(err, errs.RateLimited):
			d.Error = p.L.T("fraud.err.rate")
		case errs.Is(err, errs.Invalid):
			d.Error = p.L.T("fraud.lookup_invalid")
		case err != nil:
			return err
		default:
			d.Result = &res
		}
	}
	return h.render(w, http.StatusOK, "public_lookup", d)
}

// --- staff pages ---

type fraudQueuePage struct {
	Page
	Subjects []fraud.Subject
	Sort     string
	Pager    pager
	Verifier bool
}

func (h *Handler) fraudQueue(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	if !access.IsFraudVerifier(u) {
		if u.Has(access.Liaison) {
			return redirect(w, r, "/fraud/referrals")
		}
		return redirect(w, r, "/fraud/figures")
	}
	sort := r.URL.Query().Get("sort")
	if sort != "amount" && sort != "recent" {
		sort = "count"
	}
	list, total, err := h.fraud.Queue(r.Context(), sort, pageSize, offsetOf(r))
	if err != nil {
		return err
	}
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.queue_title")
	return h.render(w, http.StatusOK, "fraud", fraudQueuePage{Page: p, Subjects: list, Sort: sort, Verifier: true,
		Pager: pager{Total: total, Offset: offsetOf(r), Limit: pageSize, Base: "/fraud?sort=" + sort}})
}

type fraudReportsPage struct {
	Page
	Reports []fraud.Report
	Pager   pager
}

func (h *Handler) fraudReports(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	list, total, err := h.fraud.ListReports(r.Context(), fraud.ReportFilter{Limit: pageSize, Offset: offsetOf(r)})
	if err != nil {
		return err
	}
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.reports_title")
	return h.render(w, http.StatusOK, "fraud_reports", fraudReportsPage{Page: p, Reports: list, Pager: pager{Total: total, Offset: offsetOf(r), Limit: pageSize, Base: "/fraud/reports"}})
}

func (h *Handler) fraudIntakeForm(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	if !access.CanFileFraudReport(u) {
		return access.Deny("file fraud reports")
	}
	return h.render(w, http.StatusOK, "public_report", h.fraudReportForm(r, true, nil))
}

// fraudIntake files a report on a victim's behalf, then streams the
// evidence files of the form to it with the same checks as the public
// form (content type by the first bytes, size, count).
func (h *Handler) fraudIntake(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	v, mr, part, err := readFraudReportForm(r)
	if err != nil {
		return err
	}
	in, fields := fraudReportInput(v)
	rc, err := h.fraud.File(r.Context(), in)
	if err != nil {
		d := h.fraudReportForm(r, true, v)
		if !fraudReportError(&d.Page, err, fields) {
			return err
		}
		return h.render(w, http.StatusUnprocessableEntity, "public_report", d)
	}
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.receipt_title")
	d := fraudReceiptPage{Page: p, Receipt: rc}
	if d.FileResults, err = h.addFraudFiles(r, p.L, rc.TrackingCode, mr, part); err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "public_receipt", d)
}

type fraudReportPage struct {
	Page
	R       fraud.Report
	Contact *fraud.Contact
	CanSee  bool
}

func (h *Handler) fraudReport(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rep, err := h.fraud.GetReport(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.report_n", rep.ID)
	return h.render(w, http.StatusOK, "fraud_report", fraudReportPage{Page: p, R: rep, CanSee: access.CanSeeReporterContact(u)})
}

// fraudReporter shows the reporter's contact: a POST, so that the view
// is a deliberate act (and audited by the service).
func (h *Handler) fraudReporter(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := h.fraud.ReporterContact(r.Context(), id)
	if err != nil {
		return err
	}
	rep, err := h.fraud.GetReport(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.report_n", rep.ID)
	return h.render(w, http.StatusOK, "fraud_report", fraudReportPage{Page: p, R: rep, Contact: &c, CanSee: true})
}

func (h *Handler) fraudEvidence(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
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
	_, err = io.Copy(w, rc)
	return err
}

type fraudSubjectPage struct {
	Page
	S              fraud.SubjectDetail
	Statuses       []fraud.Status
	TelecomActions []string
	BankActions    []string
	Operator       string
}

func (h *Handler) fraudSubject(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	return h.fraudRenderSubject(w, r, http.StatusOK, nil)
}

func (h *Handler) fraudRenderSubject(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.fraud.GetSubject(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, "", "fraud")
	p.Title = d.Value
	if formErr != nil && !formError(&p, formErr) {
		return formErr
	}
	sp := fraudSubjectPage{Page: p, S: d, Statuses: fraud.Statuses, TelecomActions: fraud.TelecomActions, BankActions: fraud.BankActions}
	if d.Kind == fraud.KindPhone {
		if op, err := h.fraud.OperatorOf(r.Context(), d.Value); err == nil {
			sp.Operator = op.Name
		}
	}
	return h.render(w, status, "fraud_subject", sp)
}

func (h *Handler) fraudDecide(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, err = h.fraud.Decide(r.Context(), id, fraud.Decision{Status: fraud.Status(r.PostFormValue("status")), Reason: r.PostFormValue("reason"), Action: r.PostFormValue("action")})
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return h.fraudRenderSubject(w, r, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	return redirect(w, r, withFlash(fmt.Sprintf("/fraud/subjects/%d", id), "fraud.flash_decided"))
}

func (h *Handler) fraudLink(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.fraud.Link(r.Context(), id, r.PostFormValue("incident_ref"), r.PostFormValue("case_number")); err != nil {
		if errs.KindOf(err) == errs.Invalid {
			return h.fraudRenderSubject(w, r, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	return redirect(w, r, withFlash(fmt.Sprintf("/fraud/subjects/%d", id), "fraud.flash_linked"))
}

type fraudReferralsPage struct {
	Page
	Referrals []fraud.Referral
	Outcomes  map[string][]fraud.Outcome
	Overdue   bool
	Open      bool
	Liaison   bool
	Today     string
	Pager     pager
	// Labels names each outcome code in the page's language.
	Labels map[string]string
}

func (h *Handler) fraudReferrals(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := fraud.ReferralFilter{Overdue: q.Get("overdue") == "1", Open: q.Get("open") == "1", Limit: pageSize, Offset: offsetOf(r)}
	list, total, err := h.fraud.ListReferrals(r.Context(), f)
	if err != nil {
		return err
	}
	outs, err := h.fraud.Outcomes(r.Context(), "", false)
	if err != nil {
		return err
	}
	p := h.page(r, "", "fraud")
	byKind, labels := map[string][]fraud.Outcome{}, map[string]string{}
	all, err := h.fraud.Outcomes(r.Context(), "", true)
	if err != nil {
		return err
	}
	for _, o := range all {
		labels[o.Code] = o.LabelVI
		if p.L.Code == "en" && o.LabelEN != "" {
			labels[o.Code] = o.LabelEN
		}
	}
	for _, o := range outs {
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	p.Title = p.L.T("fraud.referrals_title")
	base := "/fraud/referrals?" + url.Values{"overdue": {q.Get("overdue")}, "open": {q.Get("open")}}.Encode()
	return h.render(w, http.StatusOK, "fraud_referrals", fraudReferralsPage{Page: p, Referrals: list, Outcomes: byKind, Overdue: f.Overdue, Open: f.Open,
		Liaison: u.Has(access.Liaison), Today: h.now().Format("2006-01-02"), Labels: labels, Pager: pager{Total: total, Offset: f.Offset, Limit: pageSize, Base: base}})
}

func (h *Handler) fraudAnswer(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, err = h.fraud.AnswerReferral(r.Context(), id, fraud.Answer{Outcome: r.PostFormValue("outcome"), Note: r.PostFormValue("note"), On: r.PostFormValue("on")})
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return redirect(w, r, "/fraud/referrals?flash=fraud.flash_answer_failed")
		}
		return err
	}
	return redirect(w, r, withFlash("/fraud/referrals", "fraud.flash_answered"))
}

type fraudImportPage struct {
	Page
	Result   *fraud.ImportResult
	NotShown int // rows processed but not listed
}

// How many accepted and refused rows the import page lists.
const (
	fraudImportShowOK  = 50
	fraudImportShowBad = 2000
)

func (h *Handler) fraudImportForm(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	if !access.CanFileFraudReport(u) {
		return access.Deny("import fraud reports")
	}
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.import_title")
	return h.render(w, http.StatusOK, "fraud_import", fraudImportPage{Page: p})
}

func (h *Handler) fraudImport(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	mr, err := multipartFrom(r)
	if err != nil {
		return err
	}
	part, err := fraudFilePart(mr)
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.import_title")
	if err != nil {
		formError(&p, err)
		return h.render(w, http.StatusUnprocessableEntity, "fraud_import", fraudImportPage{Page: p})
	}
	// The page lists every refused row (up to a bound) but only the first
	// accepted ones: a large file must not make a page of a million rows.
	d := fraudImportPage{Page: p, Result: &fraud.ImportResult{Rows: []fraud.ImportRow{}}}
	shownOK, shownBad := 0, 0
	sum, err := h.fraud.ImportCSVRows(r.Context(), part, func(row fraud.ImportRow) error {
		switch {
		case row.OK && shownOK < fraudImportShowOK:
			shownOK++
		case !row.OK && shownBad < fraudImportShowBad:
			shownBad++
		default:
			return nil
		}
		d.Result.Rows = append(d.Result.Rows, row)
		return nil
	})
	d.Result.Imported, d.Result.Failed = sum.Imported, sum.Failed
	d.NotShown = sum.Imported + sum.Failed - len(d.Result.Rows)
	if err != nil {
		if k := errs.KindOf(err); k != errs.Invalid && k != errs.TooLarge {
			return err
		}
		d.Error = p.L.Error(err)
	}
	return h.render(w, http.StatusOK, "fraud_import", d)
}

type fraudFiguresPage struct {
	Page
	F         fraud.Figures
	DaysJSON  template.JS
	From, To  string
	AmountFmt string
}

// fraudDayAfter is the start of the day after t's day in loc: the end of a
// period that includes today.
func fraudDayAfter(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
}

// fraudSeries is reports per day over the period, for the chart.
func fraudSeries(f fraud.Figures, label string) []byte {
	s := series{Label: label, Labels: []string{}, Values: []int{}}
	per := map[string]int{}
	for _, d := range f.ByDayChannel {
		per[d.Day] += d.Count
	}
	for t := f.From; t.Before(f.To); t = t.AddDate(0, 0, 1) {
		day := t.Format("2006-01-02")
		s.Labels = append(s.Labels, day[5:])
		s.Values = append(s.Values, per[day])
	}
	b, _ := json.Marshal(s)
	return b
}

func (h *Handler) fraudFigures(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	q := r.URL.Query()
	loc := h.fraud.Location()
	to := fraudDayAfter(h.now(), loc)
	from := to.AddDate(0, 0, -30)
	if t, err := time.ParseInLocation("2006-01-02", q.Get("from"), loc); err == nil {
		from = t
	}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("to"), loc); err == nil {
		to = t.AddDate(0, 0, 1)
	}
	if to.Sub(from) > 400*24*time.Hour || !to.After(from) {
		from = to.AddDate(0, 0, -30)
	}
	f, err := h.fraud.Figures(r.Context(), from, to)
	if err != nil {
		return err
	}
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.figures_title")
	return h.render(w, http.StatusOK, "fraud_figures", fraudFiguresPage{Page: p, F: f, DaysJSON: template.JS(fraudSeries(f, p.L.T("fraud.reports_per_day"))),
		From: from.Format("2006-01-02"), To: to.AddDate(0, 0, -1).Format("2006-01-02")})
}

type fraudPrivacyPage struct {
	Page
	Who    string
	Data   *fraud.ReporterData
	JSON   string
	Erased string
}

func (h *Handler) fraudPrivacy(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	if !access.CanManageReporterData(u) {
		return access.Deny("manage reporters' data")
	}
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.privacy_title")
	return h.render(w, http.StatusOK, "fraud_privacy", fraudPrivacyPage{Page: p})
}

func (h *Handler) fraudPrivacyAction(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	p := h.page(r, "", "fraud")
	p.Title = p.L.T("fraud.privacy_title")
	d := fraudPrivacyPage{Page: p, Who: strings.TrimSpace(r.PostFormValue("reporter"))}
	switch r.PostFormValue("action") {
	case "export":
		data, err := h.fraud.ExportReporter(r.Context(), d.Who)
		if err != nil {
			if !formError(&d.Page, err) {
				return err
			}
			break
		}
		if r.PostFormValue("download") == "1" {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="reporter-data.json"`)
			w.Header().Set("Cache-Control", "no-store")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(data)
		}
		b, _ := json.MarshalIndent(data, "", "  ")
		d.Data, d.JSON = &data, string(b)
	case "erase":
		erased, kept, err := h.fraud.EraseReporter(r.Context(), d.Who)
		if err != nil {
			if !formError(&d.Page, err) {
				return err
			}
			break
		}
		d.Erased = p.L.T("fraud.erased", erased, kept)
	default:
		return errs.E(errs.Invalid, "unknown action")
	}
	return h.render(w, http.StatusOK, "fraud_privacy", d)
}

type fraudSettingsPage struct {
	Page
	Partners   []fraud.Partner
	Prefixes   []fraud.Prefix
	Outcomes   []fraud.Outcome
	Agencies   map[int64]string
	AgencyList []fraudAgencyOption
}

type fraudAgencyOption struct {
	ID   int64
	Code string
	Kind string
}

func (h *Handler) fraudSettings(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	return h.fraudRenderSettings(w, r, u, http.StatusOK, nil)
}

func (h *Handler) fraudRenderSettings(w http.ResponseWriter, r *http.Request, u *access.Principal, status int, formErr error) error {
	if !access.CanManageFraudData(u) {
		return access.Deny("manage the fraud settings")
	}
	ctx := r.Context()
	d := fraudSettingsPage{Agencies: map[int64]string{}}
	var err error
	if d.Partners, err = h.fraud.Partners(ctx); err != nil {
		return err
	}
	if d.Prefixes, err = h.fraud.Prefixes(ctx); err != nil {
		return err
	}
	if d.Outcomes, err = h.fraud.Outcomes(ctx, "", true); err != nil {
		return err
	}
	for _, a := range h.agencyOptions(r) {
		if a.Kind == "telecom" || a.Kind == "bank" {
			d.Agencies[a.ID] = a.Code
			d.AgencyList = append(d.AgencyList, fraudAgencyOption{ID: a.ID, Code: a.Code, Kind: a.Kind})
		}
	}
	d.Page = h.page(r, "", "fraud")
	d.Title = d.L.T("fraud.settings_title")
	if formErr != nil && !formError(&d.Page, formErr) {
		return formErr
	}
	return h.render(w, status, "fraud_settings", d)
}

func (h *Handler) fraudSettingsSave(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch r.PostFormValue("what") {
	case "partner":
		err = h.fraud.SavePartner(ctx, fraud.Partner{Code: r.PostFormValue("code"), Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"), AgencyID: formInt(r, "agency_id")})
	case "prefix":
		err = h.fraud.SetPrefix(ctx, r.PostFormValue("prefix"), r.PostFormValue("partner"))
	case "outcome":
		err = h.fraud.SaveOutcome(ctx, fraud.Outcome{Code: r.PostFormValue("code"), Kind: r.PostFormValue("kind"), LabelVI: r.PostFormValue("label_vi"),
			LabelEN: r.PostFormValue("label_en"), NeedNote: r.PostFormValue("needs_note") == "1", Active: r.PostFormValue("active") == "1"})
	default:
		err = errs.E(errs.Invalid, "unknown setting")
	}
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Conflict {
			return h.fraudRenderSettings(w, r, u, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	return redirect(w, r, withFlash("/fraud/settings", "fraud.flash_saved"))
}

// fraudDash is the fraud part of the dashboard: reports per day over the
// last fortnight (a chart), money lost, and referrals past due.
type fraudDash struct {
	JSON       template.JS
	Reports    int
	AmountLost int64
	Overdue    int
}

// fraudDashboard computes the dashboard figures; nil when the capability
// is off or the user may not read them.
func (h *Handler) fraudDashboard(r *http.Request) *fraudDash {
	if h.fraud == nil {
		return nil
	}
	to := fraudDayAfter(h.now(), h.fraud.Location())
	f, err := h.fraud.Figures(r.Context(), to.AddDate(0, 0, -14), to)
	if err != nil {
		return nil
	}
	d := &fraudDash{JSON: template.JS(fraudSeries(f, h.cat.T(h.lang(r), "fraud.reports_per_day"))), Reports: f.Reports, AmountLost: f.AmountLost}
	if _, n, err := h.fraud.ListReferrals(r.Context(), fraud.ReferralFilter{Overdue: true, Limit: 1}); err == nil {
		d.Overdue = n
	}
	return d
}

// fraudVND writes an amount of đồng the Vietnamese way: 45.000.000.
func fraudVND(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fraudFilePart skips small fields up to the "file" part, which it
// returns unread (the CSV is streamed into the importer).
func fraudFilePart(mr *multipart.Reader) (*multipart.Part, error) {
	for range 32 {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "the upload was cut short")
		}
		if part.FormName() == "file" && part.FileName() != "" {
			return part, nil
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(part, 4096)); err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "the upload was cut short")
		}
	}
	return nil, errs.Field("file", "choose a CSV file")
}
