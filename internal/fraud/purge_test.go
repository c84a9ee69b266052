package fraud_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/fraud"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestErasedEvidenceFilesAreDeleted: erasing a reporter's data and the
// retention period delete the evidence files from the blob store, except
// files another report or another capability still refers to; a deletion
// that fails is retried by the next retention run.
func TestErasedEvidenceFilesAreDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		file := func(tag string) []byte { return append([]byte("\x89PNG\r\n\x1a\n"), tag...) }
		own, shared, incident, late := file("only this reporter"), file("sent by both"), file("also an incident's"), file("retried")

		in := report(phone("0912345678"))
		in.Reporter = fraud.Contact{Email: "a@example.vn"}
		ra, err := w.svc.Submit(ctx, in, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		in2 := report(phone("0987654321"))
		in2.Reporter = fraud.Contact{Email: "b@example.vn"}
		rb, err := w.svc.Submit(ctx, in2, "192.0.2.2")
		if err != nil {
			t.Fatal(err)
		}
		sums := map[string]string{}
		for _, f := range []struct {
			code, name string
			body       []byte
		}{{ra.TrackingCode, "own", own}, {ra.TrackingCode, "shared", shared}, {ra.TrackingCode, "incident", incident},
			{rb.TrackingCode, "shared", shared}, {rb.TrackingCode, "late", late}} {
			ev, err := w.svc.AddEvidence(ctx, f.code, f.name+".png", bytes.NewReader(f.body))
			if err != nil {
				t.Fatal(err)
			}
			sums[f.name] = ev.SHA256
		}
		w.elsewhere.Store(sums["incident"], true)
		stored := func(name string) bool {
			rc, _, err := w.blobs.Open(ctx, sums[name])
			if err == nil {
				rc.Close()
				return true
			}
			if !errs.Is(err, errs.NotFound) {
				t.Fatalf("Open(%s) = %v", name, err)
			}
			return false
		}
		queued := func() int {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM fraud_blob_purge`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		if erased, _, err := w.svc.EraseReporter(w.as("admin"), "a@example.vn"); err != nil || erased != 1 {
			t.Fatalf("EraseReporter = %d, %v", erased, err)
		}
		for name, want := range map[string]bool{"own": false, "shared": true, "incident": true, "late": true} {
			if got := stored(name); got != want {
				t.Errorf("after erasing reporter a: file %q stored = %v, want %v", name, got, want)
			}
		}
		if n := queued(); n != 0 {
			t.Errorf("%d files left in the deletion queue", n)
		}

		// Reporter b's report closes (subject confirmed) and passes the
		// retention period while the store cannot delete: the files stay
		// queued, and the next run deletes them.
		sb, _ := w.svc.SubjectByValue(w.as("analyst"), fraud.KindPhone, "+84987654321")
		if _, err := w.svc.Decide(w.as("analyst"), sb.ID, fraud.Decision{Status: fraud.StatusConfirmed, Reason: "ok"}); err != nil {
			t.Fatal(err)
		}
		w.clock.Add(366 * 24 * time.Hour)
		w.blobs.setFail(true)
		if n, err := w.svc.Anonymise(system()); err != nil || n != 1 {
			t.Fatalf("Anonymise = %d, %v; want 1", n, err)
		}
		if !stored("shared") || !stored("late") || queued() != 2 {
			t.Errorf("after a failed deletion: shared %v, late %v, queued %d; want both kept and queued", stored("shared"), stored("late"), queued())
		}
		w.blobs.setFail(false)
		if n, err := w.svc.Anonymise(system()); err != nil || n != 0 {
			t.Fatalf("second Anonymise = %d, %v; want 0", n, err)
		}
		if stored("shared") || stored("late") || queued() != 0 {
			t.Errorf("after the retry: shared %v, late %v, queued %d; want both deleted", stored("shared"), stored("late"), queued())
		}
		if !stored("incident") {
			t.Error("the file an incident refers to was deleted")
		}
	})
}
