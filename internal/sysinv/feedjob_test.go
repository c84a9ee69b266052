package sysinv_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
	"bulwark/internal/sysinv"
)

// TestBackgroundImport spools the real NVD records to a file, imports it in
// the background and follows the run to its end, as the feed page does.
func TestBackgroundImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		portalID, _ := demo(t, w)
		spool := func() (string, int64) {
			f, err := os.CreateTemp(t.TempDir(), "upload-*")
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(f, sysinv.PublicNVDFeed())
			if err != nil || f.Close() != nil {
				t.Fatal(err)
			}
			return f.Name(), n
		}
		path, size := spool()
		if _, err := w.svc.StartImportFile(w.as("skhcn"), "", "nvd.json", path, true); !errs.Is(err, errs.Forbidden) {
			t.Errorf("an agency analyst starts an import: %v, want Forbidden", err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("a refused upload is left on disk: %v", err)
		}
		path, size = spool()
		run, err := w.svc.StartImportFile(w.as("coord"), "", "nvdcve-2.0-public.json", path, true)
		if err != nil {
			t.Fatal(err)
		}
		if run.ID == 0 || run.Status != "running" || run.BytesTotal != size {
			t.Errorf("started run = %+v", run)
		}
		deadline := time.Now().Add(30 * time.Second)
		for run.Status == "running" && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			if run, err = w.svc.GetFeedRun(w.as("coord"), run.ID); err != nil {
				t.Fatal(err)
			}
		}
		if run.Status != "done" || run.Kind != "nvd" || run.Added != 5 || run.BytesRead != size || run.Percent() != 100 || run.FindingsNew != 3 {
			t.Errorf("finished run = %+v", run)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("the spooled upload is still there after the run finished: %v", err)
		}
		if fs, _, _ := w.svc.ListFindings(w.as("skhcn"), sysinv.FindingFilter{SystemID: portalID}); len(fs) != 2 {
			t.Errorf("portal findings after the background import = %d, want 2", len(fs))
		}
		if _, err := w.svc.GetFeedRun(w.as("skhcn"), run.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("an agency analyst reads the run: %v", err)
		}
		if _, err := w.svc.GetFeedRun(w.as("coord"), 9999); !errs.Is(err, errs.NotFound) {
			t.Errorf("unknown run: %v", err)
		}
		if _, err := w.svc.StartImportFile(w.as("coord"), "", "x", filepath.Join(t.TempDir(), "missing"), false); !errs.Is(err, errs.Invalid) {
			t.Errorf("missing file: %v", err)
		}
		w.svc.Close()
	})
}
