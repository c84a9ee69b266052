package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/api"
	"bulwark/internal/blob"
	"bulwark/internal/errs"
	"bulwark/internal/fraud"
	"bulwark/internal/fraud/fraudintel"
	"bulwark/internal/store"
	"bulwark/internal/ui"
	"bulwark/internal/web"
)

// fraudConfig reads the fraud capability's settings from BULWARK_*
// environment variables:
//
//	BULWARK_FRAUD_RETENTION_DAYS  days a closed report keeps the reporter's
//	                              contact and narrative (default 365)
//	BULWARK_FRAUD_TELECOM_DUE_HOURS, BULWARK_FRAUD_BANK_DUE_HOURS
//	                              referral deadlines (default 48 and 24)
//	BULWARK_FRAUD_IMPORT_MAX_MB   largest CSV import, page and API (default 50)
//	BULWARK_BLOB_DIR              evidence folder (default <data>/blobs),
//	                              shared with incidents: files are kept by hash
func fraudConfig() (fraud.Config, error) {
	var c fraud.Config
	for _, v := range []struct {
		name string
		unit time.Duration
		dst  *time.Duration
		max  int
	}{
		{"FRAUD_RETENTION_DAYS", 24 * time.Hour, &c.Retention, 36500},
		{"FRAUD_TELECOM_DUE_HOURS", time.Hour, &c.TelecomDue, 24 * 365},
		{"FRAUD_BANK_DUE_HOURS", time.Hour, &c.BankDue, 24 * 365},
	} {
		s := env(v.name, "")
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > v.max {
			return c, fmt.Errorf("BULWARK_%s must be a whole number from 1 to %d", v.name, v.max)
		}
		*v.dst = time.Duration(n) * v.unit
	}
	if s := env("FRAUD_IMPORT_MAX_MB", ""); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 4096 {
			return c, fmt.Errorf("BULWARK_FRAUD_IMPORT_MAX_MB must be a whole number from 1 to 4096")
		}
		c.MaxImportBytes = int64(n) << 20
	}
	return c, nil
}

// wireFraud builds the fraud service over the shared blob folder and hands
// confirmed phishing domains and URLs to threat intelligence (a.Intel, so
// it runs after wireIntel); without intel they wait in the hand-off table
// (GET /api/v1/fraud/handoffs).
func (a *App) wireFraud() error {
	cfg, err := fraudConfig()
	if err != nil {
		return err
	}
	blobs, err := blob.NewLocal(env("BLOB_DIR", filepath.Join(a.Config.Data, "blobs")))
	if err != nil {
		return err
	}
	// The clock reads a.now on each call, so tests that move the app's
	// clock move it too.
	now := func() time.Time { return a.now() }
	a.Fraud = fraud.New(fraud.Deps{DB: a.DB, Audit: a.Audit, Blobs: blobs, BlobInUse: blobInUse(a.DB), Logger: a.Log, Now: now}, cfg)
	if a.Intel != nil {
		a.Fraud.SetSink(fraudintel.Sink{Intel: a.Intel, Now: a.now})
	}
	return nil
}

// blobHolders are the columns outside fraud that name files in the shared
// blob store by SHA-256. Fraud deletes an erased report's file only when
// none of them (nor another fraud report) holds its hash, so a table that
// keeps blob hashes must be listed here; TestBlobHoldersListed finds
// unlisted ones in the migrations.
var blobHolders = []struct{ table, column string }{
	{"incident_files", "sha256"},
	{"incident_reports", "document_sha256"},
	{"sysinv_documents", "sha256"},
	{"meeting_documents", "sha256"},
	{"directive_files", "sha256"},
}

// blobInUse reports whether a record of another capability refers to a
// stored file.
func blobInUse(db *store.DB) func(ctx context.Context, sum string) (bool, error) {
	return func(ctx context.Context, sum string) (bool, error) {
		for _, h := range blobHolders {
			var one int
			err := db.QueryRow(ctx, `SELECT 1 FROM `+h.table+` WHERE `+h.column+` = ? LIMIT 1`, sum).Scan(&one)
			if err == nil {
				return true, nil
			}
			if !errs.Is(err, errs.NotFound) {
				return false, fmt.Errorf("%s: %w", h.table, err)
			}
		}
		return false, nil
	}
}

// fraudBodyRoutes serves the routes that take evidence files with a limit
// that fits them (the service cuts each file at fraud.MaxEvidenceSize while
// streaming it), and the CSV imports with the import limit (the service
// stops reading at the same size, reading row by row).
func (a *App) fraudBodyRoutes(mux *http.ServeMux) {
	limit := int64(fraud.MaxEvidenceFiles*fraud.MaxEvidenceSize + 1<<20)
	apiRoutes, pageRoutes := web.BodyLimit(fraud.MaxEvidenceSize+1<<16)(a.API.Routes()), web.BodyLimit(limit)(a.UI.Routes())
	for _, p := range api.FraudLargeBodyRoutes() {
		mux.Handle(p, apiRoutes)
	}
	for _, p := range ui.FraudLargeBodyRoutes() {
		mux.Handle(p, pageRoutes)
	}
	importLimit := a.Fraud.Config().MaxImportBytes + 1<<16
	for _, p := range api.FraudImportRoutes() {
		mux.Handle(p, web.BodyLimit(importLimit)(a.API.Routes()))
	}
	for _, p := range ui.FraudImportRoutes() {
		mux.Handle(p, web.BodyLimit(importLimit)(a.UI.Routes()))
	}
}

// runFraudJobs applies the retention period and retries pending
// hand-offs every hour until ctx ends.
func (a *App) runFraudJobs(ctx context.Context) {
	sys := access.With(ctx, access.SystemPrincipal())
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.Fraud.Anonymise(sys); err != nil && ctx.Err() == nil {
			a.Log.Warn("fraud retention", "err", err)
		} else if n > 0 {
			a.Log.Info("fraud reports anonymised", "count", n)
		}
		if _, err := a.Fraud.DeliverPending(sys); err != nil && ctx.Err() == nil {
			a.Log.Warn("fraud hand-offs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runFraud is the fraud command:
//
//	bulwark fraud import FILE.csv   file one report per row (as the system),
//	                                with progress on stderr and a line per refused row
//	bulwark fraud anonymise         apply the retention period now
//	bulwark fraud blocklist KIND    print a blocklist (rpz, domains, phones, accounts)
func runFraud(ctx context.Context, e cmdEnv, args []string) error {
	var c Config
	fs := flag.NewFlagSet("fraud", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usageErr("fraud import FILE.csv | fraud anonymise | fraud blocklist rpz|domains|phones|accounts")
	}
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	sys := system(ctx)
	switch {
	case rest[0] == "import" && len(rest) == 2:
		f, err := os.Open(rest[1])
		if err != nil {
			return err
		}
		defer f.Close()
		start, done := time.Now(), 0
		res, err := app.Fraud.ImportCSVRows(sys, f, func(r fraud.ImportRow) error {
			if !r.OK {
				fmt.Fprintf(e.stderr, "line %d: %s: %s\n", r.Line, r.Field, r.Error)
			}
			if done++; done%1000 == 0 {
				fmt.Fprintf(e.stderr, "%d rows read (%.0f rows/s)\n", done, float64(done)/time.Since(start).Seconds())
			}
			return nil
		})
		fmt.Fprintf(e.stdout, "%d imported, %d refused\n", res.Imported, res.Failed)
		return err
	case rest[0] == "anonymise" && len(rest) == 1:
		n, err := app.Fraud.Anonymise(sys)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d reports anonymised\n", n)
		return nil
	case rest[0] == "blocklist" && len(rest) == 2:
		b, err := app.Fraud.Blocklist(sys, rest[1])
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b.Body)
		return err
	}
	return usageErr("fraud import FILE.csv | fraud anonymise | fraud blocklist rpz|domains|phones|accounts")
}
