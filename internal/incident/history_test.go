package incident_test

import (
	"testing"
	"time"

	"bulwark/internal/errs"
	"bulwark/internal/incident"
	"bulwark/internal/store"
)

func TestRecordHistory(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		in := defacement(w)
		in.DetectedAt = w.clock.Now().Add(-48 * time.Hour)
		inc := w.create(t, "reporter", in)
		if _, err := w.svc.Transition(w.as("coord"), inc.ID, incident.StatusContained, ""); err != nil {
			t.Fatal(err)
		}
		det := inc.DetectedAt
		h := incident.History{ReportedAt: det.Add(time.Hour), AcknowledgedAt: det.Add(2 * time.Hour), ContainedAt: det.Add(30 * time.Hour)}
		_, err := w.svc.RecordHistory(w.as("admin"), inc.ID, h)
		wantKind(t, "an admin rewrites step times", err, errs.Forbidden)
		for _, c := range []struct {
			name  string
			h     incident.History
			field string
		}{
			{"not reached", incident.History{ClosedAt: det.Add(40 * time.Hour)}, "closed_at"},
			{"before detection", incident.History{ReportedAt: det.Add(-time.Hour)}, "reported_at"},
			{"out of order", incident.History{ReportedAt: det.Add(time.Hour), AcknowledgedAt: det.Add(3 * time.Hour), ContainedAt: det.Add(2 * time.Hour)}, "contained_at"},
			{"after the unchanged report time", incident.History{AcknowledgedAt: det.Add(3 * time.Hour)}, "acknowledged_at"},
			{"future", incident.History{ContainedAt: w.clock.Now().Add(time.Hour)}, "contained_at"},
		} {
			if _, err := w.svc.RecordHistory(system(), inc.ID, c.h); errs.FieldOf(err) != c.field {
				t.Errorf("%s: %v, want a %s field error", c.name, err, c.field)
			}
		}
		got, err := w.svc.RecordHistory(system(), inc.ID, h)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ReportedAt.Equal(h.ReportedAt) || !got.AcknowledgedAt.Equal(h.AcknowledgedAt) || !got.ContainedAt.Equal(h.ContainedAt) || got.ResolvedAt != nil {
			t.Errorf("times: %v %v %v %v", got.ReportedAt, got.AcknowledgedAt, got.ContainedAt, got.ResolvedAt)
		}
		f, err := w.svc.Figures(w.as("coord"), det.Add(-time.Hour), w.clock.Now().Add(time.Hour))
		if err != nil || f.MedianAcknowledgeHours == nil || *f.MedianAcknowledgeHours != 1 || *f.MedianContainHours != 30 {
			t.Errorf("medians after history: %+v, %v", f, err)
		}
		if n := len(auditActions(t, db, "incident.history")); n != 1 {
			t.Errorf("audited %d history changes, want 1", n)
		}
	})
}
