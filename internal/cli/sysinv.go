package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/api"
	"bulwark/internal/blob"
	"bulwark/internal/sysinv"
	"bulwark/internal/ui"
	"bulwark/internal/web"
)

// sysinvConfig is the information systems capability's part of the
// configuration, from BULWARK_* environment variables:
//
//	BULWARK_SYSINV_RULES      JSON file replacing the embedded rules.json
//	                          (dossier deadlines, duty intervals, finding due days, risk weights)
//	BULWARK_FEED_MAX_MB       largest vulnerability feed upload in MiB (default 1024)
type sysinvConfig struct {
	Rules       sysinv.Rules
	MaxFeedBody int64
}

func loadSysinvConfig() (sysinvConfig, error) {
	sc := sysinvConfig{Rules: sysinv.DefaultRules(), MaxFeedBody: 1 << 30}
	if path := env("SYSINV_RULES", ""); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return sc, fmt.Errorf("BULWARK_SYSINV_RULES: %w", err)
		}
		if sc.Rules, err = sysinv.ParseRules(b); err != nil {
			return sc, fmt.Errorf("BULWARK_SYSINV_RULES: %w", err)
		}
	}
	if s := env("FEED_MAX_MB", ""); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100_000 {
			return sc, fmt.Errorf("BULWARK_FEED_MAX_MB must be a whole number of MiB from 1 to 100000")
		}
		sc.MaxFeedBody = int64(n) << 20
	}
	return sc, nil
}

// wireSysinv builds the information systems service over the shared blob
// folder and notification outbox (wired by wireIncidents before it), and
// links it with incidents both ways.
func (a *App) wireSysinv(log *slog.Logger) error {
	sc, err := loadSysinvConfig()
	if err != nil {
		return err
	}
	ic, err := loadIncidentConfig(a.Config)
	if err != nil {
		return err
	}
	blobs, err := blob.NewLocal(ic.BlobDir)
	if err != nil {
		return err
	}
	d := sysinv.Deps{DB: a.DB, Audit: a.Audit, Blobs: blobs, Log: log, Now: a.now}
	if a.Notify != nil {
		d.Notifier = a.Notify
	}
	if a.Incidents != nil {
		d.Incidents = systemIncidents{a.Incidents} // incident_wiring.go
	}
	a.Systems = sysinv.NewService(d, sysinv.Config{Rules: sc.Rules, MaxDocumentSize: ic.MaxEvidence, MaxFeedSize: 0, BaseURL: a.Config.BaseURL})
	if a.Incidents != nil {
		a.Incidents.SetSystemCatalog(incidentSystems{a.Systems})
	}
	a.maxFeedBody = sc.MaxFeedBody
	return nil
}

// sysinvLargeBodyRoutes serves the feed and document uploads with a larger
// body limit; the feed reader and the blob store enforce the exact limits
// while streaming.
func (a *App) sysinvLargeBodyRoutes(mux *http.ServeMux) {
	limit := max(a.maxFeedBody, a.maxEvidence) + 1<<20
	apiRoutes, pageRoutes := web.BodyLimit(limit)(a.API.Routes()), web.BodyLimit(limit)(a.UI.Routes())
	for _, p := range api.SysinvLargeBodyRoutes() {
		mux.Handle(p, apiRoutes)
	}
	for _, p := range ui.SysinvLargeBodyRoutes() {
		mux.Handle(p, pageRoutes)
	}
}

// runSysinvJobs queues duty reminders every hour until ctx ends.
func (a *App) runSysinvJobs(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.Systems.SendDutyReminders(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("system duty reminders", "err", err)
		} else if n > 0 {
			a.Log.Info("system duty reminders queued", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runVulns is "bulwark vulns import [--kind nvd|kev] FILE_OR_URL": import an
// NVD CVE JSON 2.0 file (.json or .json.gz) or the CISA KEV catalogue, then
// match every component; prints the report.
func runVulns(ctx context.Context, e cmdEnv, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		return usageErr("vulns import [--kind nvd|kev] FILE_OR_URL")
	}
	var c Config
	fs := flag.NewFlagSet("vulns import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	kind := fs.String("kind", "", "nvd or kev (default: detect)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("vulns import [--kind nvd|kev] FILE_OR_URL")
	}
	loc := fs.Arg(0)
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	sys := system(ctx)
	var run sysinv.FeedRun
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		run, err = app.Systems.ImportFeedURL(sys, *kind, loc)
	} else {
		f, ferr := os.Open(loc)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		run, err = app.Systems.ImportFeed(sys, *kind, filepath.Base(loc), f)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %s: %s, %d records (%d added, %d updated, %d unchanged, %d skipped), %d problems, %d new findings\n",
		run.Kind, run.Source, run.Status, run.Records, run.Added, run.Updated, run.Unchanged, run.Skipped, run.ProblemCount, run.FindingsNew)
	for _, p := range run.Problems {
		fmt.Fprintf(e.stdout, "  #%d %s: %s\n", p.Index, p.ID, p.Message)
	}
	if run.Status == "failed" {
		return fmt.Errorf("import stopped: %s", run.Error)
	}
	return nil
}
