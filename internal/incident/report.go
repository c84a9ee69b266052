package incident

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// ReportKind is a report in the national series.
type ReportKind string

// The reports of the series (Circular 20/2017).
const (
	ReportNotification ReportKind = "notification"
	ReportInitial      ReportKind = "initial"
	ReportProgress     ReportKind = "progress"
	ReportPlan         ReportKind = "plan"
	ReportDirection    ReportKind = "request_direction"
	ReportSupport      ReportKind = "request_support"
	ReportClosing      ReportKind = "closing"
)

// ReportKinds lists the series in order.
var ReportKinds = []ReportKind{ReportNotification, ReportInitial, ReportProgress, ReportPlan, ReportDirection, ReportSupport, ReportClosing}

// ReportTitleVI is the official Vietnamese title of each report, printed
// on its page and PDF.
var ReportTitleVI = map[ReportKind]string{
	ReportNotification: "THÔNG BÁO SỰ CỐ AN TOÀN THÔNG TIN MẠNG",
	ReportInitial:      "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG",
	ReportProgress:     "BÁO CÁO DIỄN BIẾN TÌNH HÌNH SỰ CỐ",
	ReportPlan:         "PHƯƠNG ÁN ỨNG CỨU SỰ CỐ",
	ReportDirection:    "ĐỀ NGHỊ CHỈ ĐẠO ỨNG CỨU SỰ CỐ",
	ReportSupport:      "ĐỀ NGHỊ HỖ TRỢ, PHỐI HỢP ỨNG CỨU SỰ CỐ",
	ReportClosing:      "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ",
}

// Report is one report of the series on an incident: a structured form
// with the fields the rules ask for, a signer and date, and optionally the
// signed document.
type Report struct {
	ID              int64      `json:"id"`
	IncidentID      int64      `json:"incident_id"`
	Kind            ReportKind `json:"kind"`
	ReporterOrg     string     `json:"reporter_org"`
	ReporterPerson  string     `json:"reporter_person"`
	ReporterContact string     `json:"reporter_contact"`
	SystemName      string     `json:"system_name"`
	SystemAddress   string     `json:"system_address"`
	Operator        string     `json:"operator"`
	SystemOwner     string     `json:"system_owner"`
	DetectedAt      *time.Time `json:"detected_at,omitempty"`
	IncidentType    string     `json:"incident_type"`
	Symptoms        string     `json:"symptoms"`
	Harm            string     `json:"harm"`
	Spread          string     `json:"spread"`
	Impact          string     `json:"impact"`
	Provider        string     `json:"provider"`
	Measures        string     `json:"measures"`
	Helpers         string     `json:"helpers"`
	Results         string     `json:"results"`
	Recommendations string     `json:"recommendations"`
	Signer          string     `json:"signer"`
	SignerTitle     string     `json:"signer_title"`
	SignedOn        string     `json:"signed_on"` // YYYY-MM-DD
	DocumentSHA256  string     `json:"document_sha256,omitempty"`
	DocumentName    string     `json:"document_name,omitempty"`
	DocumentSize    int64      `json:"document_size,omitempty"`
	Author          string     `json:"author"`
	CreatedAt       time.Time  `json:"created_at"`
}

// ReportInput is the form of a report; the document is attached apart.
type ReportInput struct {
	Kind            ReportKind `json:"kind"`
	ReporterOrg     string     `json:"reporter_org"`
	ReporterPerson  string     `json:"reporter_person"`
	ReporterContact string     `json:"reporter_contact"`
	SystemName      string     `json:"system_name"`
	SystemAddress   string     `json:"system_address"`
	Operator        string     `json:"operator"`
	SystemOwner     string     `json:"system_owner"`
	DetectedAt      *time.Time `json:"detected_at,omitempty"`
	IncidentType    string     `json:"incident_type"`
	Symptoms        string     `json:"symptoms"`
	Harm            string     `json:"harm"`
	Spread          string     `json:"spread"`
	Impact          string     `json:"impact"`
	Provider        string     `json:"provider"`
	Measures        string     `json:"measures"`
	Helpers         string     `json:"helpers"`
	Results         string     `json:"results"`
	Recommendations string     `json:"recommendations"`
	Signer          string     `json:"signer"`
	SignerTitle     string     `json:"signer_title"`
	SignedOn        string     `json:"signed_on"`
}

func cleanReport(in ReportInput) (ReportInput, error) {
	if !slices.Contains(ReportKinds, in.Kind) {
		return in, errs.Field("kind", "must be one of notification, initial, progress, plan, request_direction, request_support, closing")
	}
	c := &cleaner{}
	c.text(&in.ReporterOrg, text{field: "reporter_org", max: MaxShort})
	c.text(&in.ReporterPerson, text{field: "reporter_person", max: MaxShort})
	c.text(&in.ReporterContact, text{field: "reporter_contact", max: MaxShort})
	c.text(&in.SystemName, text{field: "system_name", max: MaxShort})
	c.text(&in.SystemAddress, text{field: "system_address", max: MaxMedium, multiline: true})
	c.text(&in.Operator, text{field: "operator", max: MaxShort})
	c.text(&in.SystemOwner, text{field: "system_owner", max: MaxShort})
	c.text(&in.IncidentType, text{field: "incident_type", max: MaxShort})
	for _, f := range []struct {
		dst  *string
		name string
	}{{&in.Symptoms, "symptoms"}, {&in.Harm, "harm"}, {&in.Spread, "spread"}, {&in.Impact, "impact"}, {&in.Measures, "measures"},
		{&in.Helpers, "helpers"}, {&in.Results, "results"}, {&in.Recommendations, "recommendations"}} {
		c.text(f.dst, text{field: f.name, max: MaxLong / 2, multiline: true})
	}
	c.text(&in.Provider, text{field: "provider", max: MaxShort})
	c.text(&in.Signer, text{field: "signer", max: MaxShort, required: true})
	c.text(&in.SignerTitle, text{field: "signer_title", max: MaxShort})
	c.text(&in.SignedOn, text{field: "signed_on", max: 10, required: true})
	if c.err != nil {
		return in, c.err
	}
	if _, err := time.Parse("2006-01-02", in.SignedOn); err != nil {
		return in, errs.Field("signed_on", "must be a date YYYY-MM-DD")
	}
	if in.Kind == ReportClosing && in.Results == "" && in.Measures == "" {
		return in, errs.Field("results", "a closing report states the measures taken and the results")
	}
	if in.DetectedAt != nil && in.DetectedAt.IsZero() {
		in.DetectedAt = nil
	}
	return in, nil
}

// Draft returns a report form of kind pre-filled from the incident, for
// the person who will complete and sign it.
func (s *Service) Draft(ctx context.Context, id int64, kind ReportKind) (ReportInput, error) {
	inc, err := s.Get(ctx, id)
	if err != nil {
		return ReportInput{}, err
	}
	det := inc.DetectedAt
	return ReportInput{
		Kind: kind, ReporterOrg: inc.Owner.NameVI, ReporterPerson: inc.ReporterName, ReporterContact: inc.ReporterContact,
		SystemName: inc.AffectedSystems, SystemAddress: inc.AffectedAddrs, Operator: inc.Operator, SystemOwner: inc.SystemOwner,
		DetectedAt: &det, IncidentType: inc.Category, Symptoms: inc.Description, Harm: inc.ImpactHarm, Spread: inc.ImpactSpread,
		Impact: inc.ImpactOps, Provider: inc.Provider, Measures: inc.Measures, Recommendations: inc.Lessons,
		SignedOn: s.now().In(s.loc).Format("2006-01-02"),
	}, nil
}

// AddReport files a report on the incident: the owner or the lead side.
// A closing report is what allows the coordinator to close the incident.
func (s *Service) AddReport(ctx context.Context, id int64, in ReportInput) (Report, error) {
	in, err := cleanReport(in)
	if err != nil {
		return Report{}, err
	}
	var rid int64
	err = s.transact(ctx, func(tx *store.Tx) error {
		_, inc, err := s.allowed(ctx, tx, id, "file a report on the incident", CanEdit)
		if err != nil {
			return err
		}
		if inc.Status == StatusDuplicate {
			return errs.E(errs.Conflict, "this incident was merged into %s; report on that one", inc.MergedIntoRef)
		}
		uid, name := actorOf(ctx)
		err = tx.QueryRow(ctx, `INSERT INTO incident_reports (incident_id, kind, reporter_org, reporter_person, reporter_contact, system_name,
			system_address, operator, system_owner, detected_at, incident_type, symptoms, harm, spread, impact, provider, measures, helpers,
			results, recommendations, signer, signer_title, signed_on, created_by, author, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			id, in.Kind, in.ReporterOrg, in.ReporterPerson, in.ReporterContact, in.SystemName, in.SystemAddress, in.Operator, in.SystemOwner,
			nullTime(in.DetectedAt), in.IncidentType, in.Symptoms, in.Harm, in.Spread, in.Impact, in.Provider, in.Measures, in.Helpers,
			in.Results, in.Recommendations, in.Signer, in.SignerTitle, in.SignedOn, nullID(uid), name, s.stamp()).Scan(&rid)
		if err != nil {
			return fmt.Errorf("incident: insert report: %w", err)
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "report."+string(in.Kind), in.Signer+", "+in.SignedOn); err != nil {
			return err
		}
		if err := s.refreshDue(ctx, tx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.report", id, fmt.Sprintf("report %d %s", rid, in.Kind))
	})
	if err != nil {
		return Report{}, err
	}
	return s.report(ctx, s.db, id, rid)
}

const reportCols = `id, incident_id, kind, reporter_org, reporter_person, reporter_contact, system_name, system_address, operator, system_owner,
	detected_at, incident_type, symptoms, harm, spread, impact, provider, measures, helpers, results, recommendations, signer, signer_title,
	signed_on, document_sha256, document_name, document_size, author, created_at`

func scanReport(r scanner) (Report, error) {
	var x Report
	var det, created store.Time
	err := r.Scan(&x.ID, &x.IncidentID, &x.Kind, &x.ReporterOrg, &x.ReporterPerson, &x.ReporterContact, &x.SystemName, &x.SystemAddress,
		&x.Operator, &x.SystemOwner, &det, &x.IncidentType, &x.Symptoms, &x.Harm, &x.Spread, &x.Impact, &x.Provider, &x.Measures, &x.Helpers,
		&x.Results, &x.Recommendations, &x.Signer, &x.SignerTitle, &x.SignedOn, &x.DocumentSHA256, &x.DocumentName, &x.DocumentSize, &x.Author, &created)
	x.DetectedAt, x.CreatedAt = det.Ptr(), created.Time
	return x, err
}

func (s *Service) report(ctx context.Context, q store.Querier, id, rid int64) (Report, error) {
	r, err := scanReport(q.QueryRow(ctx, `SELECT `+reportCols+` FROM incident_reports WHERE id = ? AND incident_id = ?`, rid, id))
	if errs.Is(err, errs.NotFound) {
		return r, errs.Wrap(errs.NotFound, err, "no such report")
	}
	if err != nil {
		return r, fmt.Errorf("incident: report %d: %w", rid, err)
	}
	return r, nil
}

// Reports lists an incident's reports in the order they were filed.
func (s *Service) Reports(ctx context.Context, id int64) ([]Report, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.viewed(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+reportCols+` FROM incident_reports WHERE incident_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: reports: %w", err)
	}
	defer rows.Close()
	out := []Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Report returns one report with its incident, for those who see it.
func (s *Service) Report(ctx context.Context, id, rid int64) (Incident, Report, error) {
	inc, err := s.Get(ctx, id)
	if err != nil {
		return inc, Report{}, err
	}
	r, err := s.report(ctx, s.db, id, rid)
	return inc, r, err
}

// AttachDocument stores the signed document of a report (streamed, size
// limited) and records it on the report; a new upload replaces the
// reference, the earlier file stays in the blob store.
func (s *Service) AttachDocument(ctx context.Context, id, rid int64, name string, body io.Reader) (Report, error) {
	name, err := cleanFileName(name)
	if err != nil {
		return Report{}, err
	}
	p, err := caller(ctx)
	if err != nil {
		return Report{}, err
	}
	inc, err := s.visible(ctx, s.db, p, id)
	if err != nil {
		return Report{}, s.audited(ctx, err)
	}
	if !CanEdit(p, &inc) {
		return Report{}, s.log.Denied(ctx, "attach a signed report", "incident", fmt.Sprint(id))
	}
	if _, err := s.report(ctx, s.db, id, rid); err != nil {
		return Report{}, err
	}
	if s.blobs == nil {
		return Report{}, errs.E(errs.Unavailable, "no file store is configured")
	}
	info, err := s.blobs.Put(ctx, body, s.cfg.MaxFileSize)
	if err != nil {
		return Report{}, err
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE incident_reports SET document_sha256 = ?, document_name = ?, document_size = ? WHERE id = ? AND incident_id = ?`,
			info.SHA256, name, info.Size, rid, id); err != nil {
			return fmt.Errorf("incident: attach document: %w", err)
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "report.document", name+" sha256:"+info.SHA256); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.report_document", id, fmt.Sprintf("report %d sha256 %s", rid, info.SHA256))
	})
	if err != nil {
		return Report{}, err
	}
	return s.report(ctx, s.db, id, rid)
}

// OpenDocument opens a report's signed document for someone who sees the
// incident.
func (s *Service) OpenDocument(ctx context.Context, id, rid int64) (io.ReadCloser, Report, error) {
	_, r, err := s.Report(ctx, id, rid)
	if err != nil {
		return nil, r, err
	}
	if r.DocumentSHA256 == "" {
		return nil, r, errs.E(errs.NotFound, "the report has no signed document")
	}
	if s.blobs == nil {
		return nil, r, errs.E(errs.Unavailable, "no file store is configured")
	}
	rc, _, err := s.blobs.Open(ctx, r.DocumentSHA256)
	return rc, r, err
}
