package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/api"
	"bulwark/internal/blob"
	"bulwark/internal/incident"
	"bulwark/internal/notify"
	"bulwark/internal/store"
	"bulwark/internal/sysinv"
	"bulwark/internal/ui"
	"bulwark/internal/web"
)

// incidentConfig is the incident capability's part of the configuration,
// from BULWARK_* environment variables:
//
//	BULWARK_EVIDENCE_MAX_MB   evidence upload limit in MiB (default 100)
//	BULWARK_BLOB_DIR          evidence folder (default <data>/blobs)
//	BULWARK_PLACE             town printed on documents (default none)
//	BULWARK_SMTP_ADDR         host:port of the SMTP relay (empty: no e-mail)
//	BULWARK_SMTP_FROM         sender address
//	BULWARK_SMTP_USER, BULWARK_SMTP_PASSWORD   optional PLAIN auth
//	BULWARK_SMTP_STARTTLS     require STARTTLS (default true)
//	BULWARK_S3_ENDPOINT       S3-compatible evidence store host[:port]; empty: the local folder
//	BULWARK_S3_BUCKET, BULWARK_S3_REGION, BULWARK_S3_PREFIX
//	BULWARK_S3_ACCESS_KEY, BULWARK_S3_SECRET_KEY
//	BULWARK_S3_INSECURE       plain HTTP to the S3 endpoint (default false)
type incidentConfig struct {
	MaxEvidence int64
	BlobDir     string
	Place       string
	SMTP        notify.SMTPConfig
	S3          blob.S3Config
}

func loadIncidentConfig(cfg Config) (incidentConfig, error) {
	ic := incidentConfig{MaxEvidence: blob.DefaultMaxSize, BlobDir: env("BLOB_DIR", filepath.Join(cfg.Data, "blobs")), Place: env("PLACE", "")}
	if s := env("EVIDENCE_MAX_MB", ""); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100_000 {
			return ic, fmt.Errorf("BULWARK_EVIDENCE_MAX_MB must be a whole number of MiB from 1 to 100000")
		}
		ic.MaxEvidence = int64(n) << 20
	}
	ic.SMTP = notify.SMTPConfig{Addr: env("SMTP_ADDR", ""), From: env("SMTP_FROM", "bulwark@localhost"),
		Username: env("SMTP_USER", ""), Password: env("SMTP_PASSWORD", ""), StartTLS: envBool("SMTP_STARTTLS", true)}
	ic.S3 = blob.S3Config{Endpoint: env("S3_ENDPOINT", ""), Bucket: env("S3_BUCKET", ""), Region: env("S3_REGION", ""), Prefix: env("S3_PREFIX", ""),
		AccessKey: env("S3_ACCESS_KEY", ""), SecretKey: env("S3_SECRET_KEY", ""), Insecure: envBool("S3_INSECURE", false)}
	return ic, nil
}

// wireIncidents builds the blob store, the notification outbox and
// dispatcher, and the incident service.
func (a *App) wireIncidents(log *slog.Logger) error {
	ic, err := loadIncidentConfig(a.Config)
	if err != nil {
		return err
	}
	var blobs blob.Store
	if ic.S3.Endpoint != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		s3, err := blob.NewS3(ctx, ic.S3)
		if err != nil {
			return err
		}
		blobs = s3
		log.Info("evidence store", "kind", "s3", "endpoint", ic.S3.Endpoint, "bucket", ic.S3.Bucket)
	} else {
		local, err := blob.NewLocal(ic.BlobDir)
		if err != nil {
			return err
		}
		blobs = local
	}
	a.maxEvidence = ic.MaxEvidence
	a.Notify = notify.NewOutbox(a.DB, a.Audit, a.now)
	a.Dispatcher = notify.NewDispatcher(a.DB, notify.DispatchConfig{SMTP: ic.SMTP}, log, a.now)
	a.Incidents = incident.NewService(incident.Deps{DB: a.DB, Audit: a.Audit, Blobs: blobs, Notifier: outboxNotifier{a.Notify}, Now: a.now},
		incident.Config{MaxFileSize: ic.MaxEvidence, BaseURL: a.Config.BaseURL, Place: ic.Place})
	return nil
}

// connectIncidentIntel hands the observables that incidents flag as
// indicators to threat intelligence, once both are built.
func (a *App) connectIncidentIntel() {
	if a.Intel != nil && a.Incidents != nil {
		a.Incidents.SetIndicatorSink(intelSink{svc: a.Intel}) // intelSink: intel.go
	}
}

// outboxNotifier adapts the notification outbox to the interface the
// incident capability declares.
type outboxNotifier struct{ o *notify.Outbox }

func (n outboxNotifier) Notify(ctx context.Context, q store.Querier, x incident.Notification) error {
	return n.o.Enqueue(ctx, q, notify.Message{Event: x.Event, Emails: x.Emails, Subject: x.Subject, Text: x.Text, Payload: x.Payload})
}

// largeBodyRoutes serves the upload routes with the evidence limit (plus
// room for the multipart envelope) instead of the default body limit; the
// blob store enforces the exact limit while streaming.
func (a *App) largeBodyRoutes(mux *http.ServeMux) {
	limit := a.maxEvidence + 1<<20
	apiRoutes, pageRoutes := web.BodyLimit(limit)(a.API.Routes()), web.BodyLimit(limit)(a.UI.Routes())
	for _, p := range api.LargeBodyRoutes() {
		mux.Handle(p, apiRoutes)
	}
	for _, p := range ui.LargeBodyRoutes() {
		mux.Handle(p, pageRoutes)
	}
}

// runIncidentJobs watches deadlines and delivers notifications until ctx
// ends.
func (a *App) runIncidentJobs(ctx context.Context) {
	go a.Dispatcher.Run(ctx, 10*time.Second)
	a.Incidents.Watch(ctx, 5*time.Minute, func(err error) {
		if !strings.Contains(err.Error(), "context canceled") {
			a.Log.Warn("incident deadlines", "err", err)
		}
	})
}

// incidentSystems lets incidents link the inventory systems their caller
// may see.
type incidentSystems struct{ s *sysinv.Service }

func systemRef(x sysinv.System) incident.SystemRef {
	return incident.SystemRef{ID: x.ID, Name: x.Name, OwnerAgency: x.OwnerAgency, ApprovedLevel: x.ApprovedLevel,
		ProposedLevel: x.ProposedLevel, Status: x.Status}
}

func (c incidentSystems) VisibleSystem(ctx context.Context, id int64) (incident.SystemRef, error) {
	x, err := c.s.GetSystem(ctx, id)
	if err != nil {
		return incident.SystemRef{}, err
	}
	return systemRef(x), nil
}

func (c incidentSystems) VisibleSystems(ctx context.Context) ([]incident.SystemRef, error) {
	list, _, err := c.s.ListSystems(ctx, sysinv.SystemFilter{Limit: 5000})
	if err != nil {
		return nil, err
	}
	out := make([]incident.SystemRef, 0, len(list))
	for _, x := range list {
		if x.Status != "retired" {
			out = append(out, systemRef(x))
		}
	}
	return out, nil
}

// systemIncidents gives the inventory the incidents that hit its systems.
type systemIncidents struct{ s *incident.Service }

func (c systemIncidents) IncidentCounts(ctx context.Context, since time.Time) (map[int64]map[string]int, error) {
	counts, err := c.s.SystemIncidentCounts(ctx, since)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]map[string]int, len(counts))
	for id, bySev := range counts {
		out[id] = map[string]int{}
		for sev, n := range bySev {
			out[id][string(sev)] = n
		}
	}
	return out, nil
}

func (c systemIncidents) SystemIncidents(ctx context.Context, systemID int64, limit int) ([]sysinv.IncidentBrief, int, error) {
	list, total, err := c.s.SystemIncidents(ctx, systemID, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]sysinv.IncidentBrief, len(list))
	for i, x := range list {
		out[i] = sysinv.IncidentBrief{ID: x.ID, Ref: x.Ref, Title: x.Title, Severity: string(x.Severity), Status: string(x.Status),
			Serious: x.Serious, DetectedAt: x.DetectedAt}
	}
	return out, total, nil
}
