package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/api"
	"bulwark/internal/incident"
	"bulwark/internal/intel"
	"bulwark/internal/intel/taxii"
	"bulwark/internal/ioc"
	"bulwark/internal/ui"
	"bulwark/internal/web"
)

// maxIntelImport bounds one uploaded import file.
const maxIntelImport = 2 << 30

// wireIntel builds the threat-intelligence service: warning lists loaded,
// imports left running by a stopped process marked failed.
func (a *App) wireIntel(ctx context.Context, log *slog.Logger) error {
	spool := filepath.Join(a.Config.Data, "spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		return fmt.Errorf("intel: spool folder: %w", err)
	}
	svc, err := intel.NewService(intel.Deps{DB: a.DB, Audit: a.Audit, Log: log, Now: a.now, Secrets: a.Secrets},
		intel.Config{SpoolDir: spool, MaxImportBytes: maxIntelImport, Producer: "Bulwark"})
	if err != nil {
		return err
	}
	if err := svc.LoadWarningLists(ctx); err != nil {
		return err
	}
	if err := svc.RecoverImports(ctx); err != nil {
		return err
	}
	a.Intel, a.intelSpool = svc, spool
	return nil
}

// intelRoutes mounts the TAXII 2.1 server and the import upload route
// with the import limit instead of the API's default body limit.
func (a *App) intelRoutes(mux *http.ServeMux) {
	if a.Intel == nil {
		return
	}
	mux.Handle("/taxii2/", web.BodyLimit(taxii.MaxContentLength+1<<20)(taxii.New(a.Intel, a.Auth, a.Log, "Bulwark").Routes()))
	for _, route := range api.IntelLargeBodyRoutes() {
		mux.Handle(route, web.BodyLimit(maxIntelImport)(a.API.Routes()))
	}
	for _, route := range ui.IntelLargeBodyRoutes() {
		mux.Handle(route, web.BodyLimit(maxIntelImport)(a.UI.Routes()))
	}
}

// runIntelJobs pulls the scheduled feeds until ctx ends.
func (a *App) runIntelJobs(ctx context.Context) {
	if a.Intel != nil {
		a.Intel.RunFeeds(ctx, time.Minute)
	}
}

// intelSink hands the observables an incident flags to threat
// intelligence, under the incident's TLP and owner agency.
type intelSink struct{ svc *intel.Service }

// SubmitIndicators implements incident.IndicatorSink.
func (s intelSink) SubmitIndicators(ctx context.Context, inds []incident.Indicator) error {
	ins := make([]intel.Input, 0, len(inds))
	for _, d := range inds {
		ins = append(ins, intel.Input{Type: d.Type, Value: d.Value, TLP: d.TLP, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen,
			AgencyID: d.OwnerAgency, Source: "incident:" + d.IncidentRef})
	}
	_, err := s.svc.Submit(access.With(ctx, access.SystemPrincipal()), ins)
	return err
}

var _ incident.IndicatorSink = intelSink{}

// runImport is `bulwark import --format F FILE_OR_URL`.
func runImport(ctx context.Context, e cmdEnv, args []string) error {
	var c Config
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	format := fs.String("format", "", "stix, misp, misp-feed, csv or plain")
	tlp := fs.String("tlp", "AMBER", "TLP of items that carry none")
	typ := fs.String("type", "", "fixed type for plain lists and CSV files without a type column")
	mapping := fs.String("map", "", "CSV column mapping, e.g. header,value=indicator,type=2,tags=tags")
	agencyCode := fs.String("agency", "", "owner agency code (default: the standing agency)")
	source := fs.String("source", "", "source name of the entries (default: format and file name)")
	validDays := fs.Int("valid-days", 0, "expiry in days of items that carry none (0: none)")
	nonIDS := fs.Bool("include-non-ids", false, "MISP: import attributes whose to_ids is false")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *format == "" {
		return usageErr("import --format stix|misp|misp-feed|csv|plain FILE_OR_URL")
	}
	loc := fs.Arg(0)
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	sys := system(ctx)
	opts := intel.ImportOptions{Format: *format, Name: filepath.Base(loc), TLP: access.TLP(*tlp), Type: *typ, Source: *source, IncludeNonIDS: *nonIDS}
	if *validDays > 0 {
		opts.ValidFor = time.Duration(*validDays) * 24 * time.Hour
	}
	if *mapping != "" {
		if opts.CSV, err = intel.ParseCSVMapping(*mapping); err != nil {
			return err
		}
	}
	if *agencyCode != "" {
		ag, err := app.Agencies.AgencyByCode(sys, *agencyCode)
		if err != nil {
			return err
		}
		opts.AgencyID = ag.ID
	}
	start := time.Now()
	var job intel.ImportJob
	switch {
	case *format == intel.FormatMISPFeed:
		job, err = app.Intel.ImportMISPFeed(sys, loc, opts)
	case strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://"):
		var resp *http.Response
		req, rerr := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
		if rerr != nil {
			return rerr
		}
		resp, err = (&http.Client{Timeout: 30 * time.Minute}).Do(req)
		if err != nil {
			return fmt.Errorf("import: fetch %s: %w", loc, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("import: %s answered %s", loc, resp.Status)
		}
		job, err = app.Intel.ImportReader(sys, io.LimitReader(resp.Body, maxIntelImport), resp.ContentLength, opts)
	default:
		f, ferr := os.Open(loc)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		var size int64
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		job, err = app.Intel.ImportReader(sys, f, size, opts)
	}
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(e.stdout, "import %d %s: %d items, %d created, %d merged, %d rejected, %d warnings in %s (%.0f items/s)\n",
		job.ID, job.Status, job.Items, job.Created, job.Merged, job.Rejected, job.Warned, el.Round(time.Millisecond), float64(job.Items)/max(el.Seconds(), 0.001))
	for i, p := range job.Problems {
		if i == 50 {
			fmt.Fprintf(e.stdout, "  ... %d more problems in the job report\n", len(job.Problems)-50)
			break
		}
		fmt.Fprintf(e.stdout, "  %s %s: %s %s\n", p.Kind, p.Where, p.Reason, p.Value)
	}
	if job.Status == intel.StatusFailed {
		return fmt.Errorf("import failed: %s", job.Error)
	}
	return nil
}

// runExport is `bulwark export --format F [--out FILE]`.
func runExport(ctx context.Context, e cmdEnv, args []string) error {
	var c Config
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	format := fs.String("format", "", "stix, misp, csv, plain, rpz or firewall")
	out := fs.String("out", "", "output file (default: standard output)")
	typ := fs.String("type", "", "only this indicator type")
	tlp := fs.String("tlp", "", "only entries of this TLP")
	tag := fs.String("tag", "", "only entries with this tag")
	since := fs.String("since", "", "only entries changed since (date or RFC 3339)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format == "" || fs.NArg() != 0 {
		return usageErr("export --format stix|misp|csv|plain|rpz|firewall [--out FILE] [--type T] [--tlp L] [--tag X] [--since D]")
	}
	vals := map[string]string{"type": *typ, "tlp": *tlp, "tag": *tag, "since": *since}
	f, err := intel.ParseExportFilter(func(k string) string { return vals[k] })
	if err != nil {
		return err
	}
	if f.Type != "" {
		if _, err := ioc.ParseType(string(f.Type)); err != nil {
			return err
		}
	}
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	w := e.stdout
	if *out != "" {
		fh, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer fh.Close()
		w = fh
	}
	res, err := app.Intel.Export(system(ctx), w, *format, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "exported %d indicators (%d skipped: not expressible in %s)\n", res.Written, res.Skipped, *format)
	return nil
}

// connectIntelDetect has indicator changes rebuild detection's index
// soon instead of at its periodic refresh (one second after a burst of
// changes settles, ten at most after its first change), and lets the
// indicator pages list the incidents that recorded the same value.
func (a *App) connectIntelDetect() {
	if a.Intel != nil && a.Detect != nil {
		a.Intel.SetOnChange(a.Detect.RequestIndexRebuild, time.Second, 10*time.Second)
	}
	if a.Systems != nil && a.Detect != nil {
		a.Systems.SetOnChange(a.Detect.RequestSystemsRefresh)
	}
	if a.Intel != nil && a.Incidents != nil {
		a.Intel.SetIncidentFinder(incidentFinder{a.Incidents})
	}
}

// incidentFinder shows threat intelligence the incidents that recorded an
// indicator's value, as the incident capability lets the caller see them.
type incidentFinder struct{ svc *incident.Service }

// IncidentsWithValue implements intel.IncidentFinder.
func (f incidentFinder) IncidentsWithValue(ctx context.Context, typ, value string, limit int) ([]intel.RelatedIncident, error) {
	incs, err := f.svc.WithObservable(ctx, ioc.Type(typ), value, limit)
	if err != nil {
		return nil, err
	}
	out := make([]intel.RelatedIncident, 0, len(incs))
	for _, i := range incs {
		out = append(out, intel.RelatedIncident{ID: i.ID, Ref: i.Ref, Title: i.Title, Status: string(i.Status), Severity: string(i.Severity), ReportedAt: i.ReportedAt})
	}
	return out, nil
}

var _ intel.IncidentFinder = incidentFinder{}
