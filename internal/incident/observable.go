package incident

import (
	"context"
	"fmt"
	"slices"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
)

// ObservableTypes are the value types an incident records.
var ObservableTypes = []ioc.Type{ioc.TypeIPv4, ioc.TypeIPv6, ioc.TypeCIDR, ioc.TypeDomain, ioc.TypeURL, ioc.TypeMD5, ioc.TypeSHA1,
	ioc.TypeSHA256, ioc.TypeEmail, ioc.TypePhone, ioc.TypeFilename, ioc.TypeAccount, ioc.TypeOther}

// Observable is a value seen in an incident: an address, a domain, a hash,
// ... normalised per type. Flagged ones (IsIndicator) go to threat
// intelligence through the IndicatorSink.
type Observable struct {
	ID          int64      `json:"id"`
	IncidentID  int64      `json:"incident_id"`
	Type        ioc.Type   `json:"type"`
	Value       string     `json:"value"`
	TLP         access.TLP `json:"tlp"`
	IsIndicator bool       `json:"is_indicator"`
	Note        string     `json:"note"`
	FirstSeen   *time.Time `json:"first_seen,omitempty"`
	LastSeen    *time.Time `json:"last_seen,omitempty"`
	HandedAt    *time.Time `json:"handed_to_intel_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// ObservableInput adds an observable. TLP defaults to the incident's.
type ObservableInput struct {
	Type        string     `json:"type"`
	Value       string     `json:"value"`
	TLP         access.TLP `json:"tlp,omitempty"`
	IsIndicator bool       `json:"is_indicator"`
	Note        string     `json:"note"`
	FirstSeen   *time.Time `json:"first_seen,omitempty"`
	LastSeen    *time.Time `json:"last_seen,omitempty"`
}

// normalizeObservable checks the type and value; the value's error names
// the field and says why in plain words.
func normalizeObservable(in ObservableInput) (ioc.Type, string, error) {
	t, err := ioc.ParseType(in.Type)
	if err != nil || !slices.Contains(ObservableTypes, t) {
		return "", "", errs.Field("type", "must be one of ipv4, ipv6, cidr, domain, url, md5, sha1, sha256, email, phone, filename, account, other")
	}
	if len(in.Value) > 8192 {
		return "", "", errs.Field("value", "must be at most 8192 bytes")
	}
	v, err := ioc.Normalize(t, in.Value)
	if err != nil {
		return "", "", errs.Field("value", "%s", err.Error())
	}
	return t, v, nil
}

// AddObservable records an observable on the incident, or, when the same
// value is already there, widens its first/last seen and keeps the
// indicator flag if either says so. Contributors (lead, owner, task
// agencies) may call it.
func (s *Service) AddObservable(ctx context.Context, id int64, in ObservableInput) (Observable, error) {
	t, v, err := normalizeObservable(in)
	if err != nil {
		return Observable{}, err
	}
	if in.Note, err = cleanText(text{field: "note", max: MaxMedium, multiline: true}, in.Note); err != nil {
		return Observable{}, err
	}
	if in.FirstSeen != nil && in.LastSeen != nil && in.LastSeen.Before(*in.FirstSeen) {
		return Observable{}, errs.Field("last_seen", "is before first_seen")
	}
	var oid int64
	var inc Incident
	err = s.transact(ctx, func(tx *store.Tx) error {
		p, cur, err := s.allowed(ctx, tx, id, "add observables to the incident", CanContribute)
		if err != nil {
			return err
		}
		inc = cur
		tlp := in.TLP
		if tlp == "" {
			tlp = inc.TLP
		}
		if tlp, err = access.ParseTLP(string(tlp)); err != nil {
			return err
		}
		now := s.stamp()
		err = tx.QueryRow(ctx, `INSERT INTO incident_observables (incident_id, type, value, tlp, is_indicator, note, first_seen, last_seen, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (incident_id, type, value) DO UPDATE SET
				is_indicator = (incident_observables.is_indicator OR excluded.is_indicator),
				first_seen = CASE WHEN incident_observables.first_seen IS NULL OR excluded.first_seen < incident_observables.first_seen
					THEN COALESCE(excluded.first_seen, incident_observables.first_seen) ELSE incident_observables.first_seen END,
				last_seen = CASE WHEN incident_observables.last_seen IS NULL OR excluded.last_seen > incident_observables.last_seen
					THEN COALESCE(excluded.last_seen, incident_observables.last_seen) ELSE incident_observables.last_seen END,
				note = CASE WHEN excluded.note <> '' THEN excluded.note ELSE incident_observables.note END
			RETURNING id`,
			id, t, v, tlp, in.IsIndicator, in.Note, nullTime(in.FirstSeen), nullTime(in.LastSeen), nullID(p.UserID), now).Scan(&oid)
		if err != nil {
			return fmt.Errorf("incident: add observable: %w", err)
		}
		if err := s.journal(ctx, tx, id, JournalEvent, "observable", string(t)+" "+v); err != nil {
			return err
		}
		return s.record(ctx, tx, "incident.observable", id, fmt.Sprintf("%s %d", t, oid))
	})
	if err != nil {
		return Observable{}, err
	}
	o, err := s.observable(ctx, oid)
	if err != nil {
		return o, err
	}
	if o.IsIndicator {
		s.handOver(ctx, &inc, []Observable{o})
		return s.observable(ctx, oid)
	}
	return o, nil
}

// SetIndicator flags or unflags an observable as an indicator.
func (s *Service) SetIndicator(ctx context.Context, id, oid int64, flag bool) (Observable, error) {
	var inc Incident
	err := s.transact(ctx, func(tx *store.Tx) error {
		var err error
		if _, inc, err = s.allowed(ctx, tx, id, "flag observables", CanContribute); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE incident_observables SET is_indicator = ? WHERE id = ? AND incident_id = ?`, flag, oid, id)
		if err != nil {
			return fmt.Errorf("incident: flag observable: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "no such observable")
		}
		return s.record(ctx, tx, "incident.indicator", id, fmt.Sprintf("observable %d indicator=%t", oid, flag))
	})
	if err != nil {
		return Observable{}, err
	}
	o, err := s.observable(ctx, oid)
	if err == nil && flag {
		s.handOver(ctx, &inc, []Observable{o})
		return s.observable(ctx, oid)
	}
	return o, err
}

// handOver gives flagged observables to threat intelligence, after the
// change has committed; success is stamped on the observable, a failure
// noted in the journal. RED observables stay on the incident: who may see
// them is the incident's named people, which intelligence cannot know.
func (s *Service) handOver(ctx context.Context, inc *Incident, obs []Observable) {
	obs = slices.DeleteFunc(slices.Clone(obs), func(o Observable) bool { return o.TLP == access.Red || inc.TLP == access.Red })
	if s.sink == nil || len(obs) == 0 {
		return
	}
	inds := make([]Indicator, len(obs))
	for i, o := range obs {
		inds[i] = Indicator{IncidentID: inc.ID, IncidentRef: inc.Ref, Type: string(o.Type), Value: o.Value, TLP: o.TLP,
			FirstSeen: o.FirstSeen, LastSeen: o.LastSeen, OwnerAgency: inc.Owner.ID}
	}
	err := s.sink.SubmitIndicators(ctx, inds)
	_ = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err != nil {
			return s.journal(ctx, tx, inc.ID, JournalEvent, "intel.failed", errs.Message(err))
		}
		for _, o := range obs {
			if _, err := tx.Exec(ctx, `UPDATE incident_observables SET handed_at = ? WHERE id = ?`, s.stamp(), o.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

const observableCols = `id, incident_id, type, value, tlp, is_indicator, note, first_seen, last_seen, handed_at, created_at`

func scanObservable(r scanner) (Observable, error) {
	var o Observable
	var first, last, handed, created store.Time
	err := r.Scan(&o.ID, &o.IncidentID, &o.Type, &o.Value, &o.TLP, &o.IsIndicator, &o.Note, &first, &last, &handed, &created)
	o.FirstSeen, o.LastSeen, o.HandedAt, o.CreatedAt = first.Ptr(), last.Ptr(), handed.Ptr(), created.Time
	return o, err
}

func (s *Service) observable(ctx context.Context, oid int64) (Observable, error) {
	o, err := scanObservable(s.db.QueryRow(ctx, `SELECT `+observableCols+` FROM incident_observables WHERE id = ?`, oid))
	if err != nil {
		return o, fmt.Errorf("incident: observable %d: %w", oid, err)
	}
	return o, nil
}

// Observables lists an incident's observables the caller may see (an
// observable's own TLP may be stricter than the incident's).
func (s *Service) Observables(ctx context.Context, id int64) ([]Observable, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	inc, err := s.viewed(ctx, p, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+observableCols+` FROM incident_observables WHERE incident_id = ? ORDER BY type, value`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: observables: %w", err)
	}
	defer rows.Close()
	out := []Observable{}
	for rows.Next() {
		o, err := scanObservable(rows)
		if err != nil {
			return nil, err
		}
		probe := inc
		probe.TLP = access.Stricter(inc.TLP, o.TLP)
		if CanSee(p, &probe) {
			out = append(out, o)
		}
	}
	return out, rows.Err()
}
