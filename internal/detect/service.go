package detect

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/detect/decode"
	"bulwark/internal/detect/index"
	"bulwark/internal/incident"
	"bulwark/internal/store"
)

// IncidentSink is what promotion needs from the incident capability.
// *incident.Service implements it; it checks the caller itself.
type IncidentSink interface {
	Create(ctx context.Context, in incident.Input) (incident.Incident, error)
	Get(ctx context.Context, id int64) (incident.Incident, error)
	AddObservable(ctx context.Context, id int64, in incident.ObservableInput) (incident.Observable, error)
	Comment(ctx context.Context, id int64, body string) (incident.Entry, error)
	LinkSystems(ctx context.Context, id int64, ids []int64) (incident.Incident, error)
}

// Deps are what the service works with. Intel, Incidents and Systems may
// be nil: no indicator matching, no promotion, no information system on
// alerts.
type Deps struct {
	DB        *store.DB
	Audit     *audit.Log
	Log       *slog.Logger
	Now       func() time.Time
	Intel     IndicatorSource
	Incidents IncidentSink
	Systems   SystemDirectory
	Metrics   *Metrics
}

// Config tunes the pipeline. Zero values take the defaults noted.
type Config struct {
	// DedupWindow: a hit of the same rule or indicator, source and key
	// entity within it adds to the open alert (default 1 hour).
	DedupWindow time.Duration
	// MaxSamples raw events are kept per alert, each cut to
	// MaxSampleBytes (defaults 5 and 4096).
	MaxSamples     int
	MaxSampleBytes int
	// BatchLines is the most events matched and stored in one transaction
	// (default 2000); MaxBatchBytes bounds one HTTP request body after
	// decompression (default 64 MiB).
	BatchLines    int
	MaxBatchBytes int64
	// Workers is how many batches are processed at once; QueueWait is how
	// long a batch waits for a worker before the sender is told to retry
	// (defaults GOMAXPROCS and 2 seconds).
	Workers   int
	QueueWait time.Duration
	// IndexRefresh is how often the indicator index is rebuilt when
	// nothing asks for it sooner (default 5 minutes).
	IndexRefresh time.Duration
	// RulesRefresh is how often Run checks whether another process changed
	// the stored rules, and reloads them if so (default 15 seconds).
	RulesRefresh time.Duration
	// SilentAfter is the default time without events after which a source
	// is flagged silent (default 1 hour).
	SilentAfter time.Duration
	// CallingCode reads national phone numbers (default "84").
	CallingCode string
	// Decode are the decoders' limits.
	Decode decode.Options
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DedupWindow, time.Hour)
	def(&c.QueueWait, 2*time.Second)
	def(&c.IndexRefresh, 5*time.Minute)
	def(&c.RulesRefresh, 15*time.Second)
	def(&c.SilentAfter, time.Hour)
	defInt(&c.MaxSamples, 5)
	defInt(&c.MaxSampleBytes, 4096)
	defInt(&c.BatchLines, 2000)
	defInt(&c.Workers, runtime.GOMAXPROCS(0))
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = 64 << 20
	}
	if c.CallingCode == "" {
		c.CallingCode = "84"
	}
}

// Service is the detection capability: sources, rules, the pipeline and
// alerts. Every method that acts for a person checks access.From(ctx).
type Service struct {
	db      *store.DB
	audit   *audit.Log
	log     *slog.Logger
	now     func() time.Time
	intel   IndicatorSource
	inc     IncidentSink
	metrics *Metrics
	cfg     Config
	pub     Publisher

	// Engine matches events; exported through the Engine method.
	engine *Engine
	slots  chan struct{}
	waits  chan struct{}

	rebuild chan struct{}
	// sysRefresh asks Run to reload the information systems only (the
	// inventory changed a component's addresses).
	sysRefresh chan struct{}
	tokens     tokenCache
	ratesMu    sync.Mutex
	rates      map[int64]*rate
	decoders   map[decode.SourceKind]decode.Decoder
	lastIdx    IndexStats
	idxMu      sync.Mutex
	// rulesMu serialises LoadRules; loadedMark is the rulesMark of the
	// rules it last loaded.
	rulesMu    sync.Mutex
	loadedMark [2]int64

	dir      SystemDirectory
	sysTable atomic.Pointer[systemTable]
}

// New returns the service. Call LoadRules and RebuildIndex (or Run) before
// events arrive.
func New(d Deps, cfg Config) (*Service, error) {
	cfg.defaults()
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: d.DB, audit: d.Audit, log: d.Log, now: d.Now, intel: d.Intel, inc: d.Incidents, dir: d.Systems, metrics: d.Metrics, cfg: cfg,
		engine: NewEngine(), slots: make(chan struct{}, cfg.Workers), waits: make(chan struct{}, cfg.Workers*4),
		rebuild: make(chan struct{}, 1), sysRefresh: make(chan struct{}, 1), rates: map[int64]*rate{}, decoders: map[decode.SourceKind]decode.Decoder{}}
	s.tokens.init()
	o := cfg.Decode
	if o.Now == nil {
		o.Now = d.Now
	}
	for _, k := range decode.SourceKinds() {
		dec, err := decode.New(k, o)
		if err != nil {
			return nil, fmt.Errorf("detect: decoder %s: %w", k, err)
		}
		s.decoders[k] = dec
	}
	return s, nil
}

// Engine returns the matching engine (for benchmarks and hunting).
func (s *Service) Engine() *Engine { return s.engine }

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Decoder returns the decoder of a source format.
func (s *Service) Decoder(format decode.SourceKind) (decode.Decoder, bool) {
	d, ok := s.decoders[format]
	return d, ok
}

// RequestIndexRebuild asks the background loop to rebuild the indicator
// index soon (threat intelligence calls it after a change). It never
// blocks.
func (s *Service) RequestIndexRebuild() {
	select {
	case s.rebuild <- struct{}{}:
	default:
	}
}

// RequestSystemsRefresh asks the background loop to reload the
// information systems' addresses soon, without rebuilding the indicator
// index (the inventory calls it after a component changes). It never
// blocks.
func (s *Service) RequestSystemsRefresh() {
	select {
	case s.sysRefresh <- struct{}{}:
	default:
	}
}

// RebuildIndex builds a new indicator index from threat intelligence and
// swaps it in; matching goes on with the previous index meanwhile.
func (s *Service) RebuildIndex(ctx context.Context) (IndexStats, error) {
	if s.intel == nil {
		return IndexStats{}, nil
	}
	// Detection reads every agency's entries to build the audiences; the
	// index itself enforces who may use which.
	ctx = access.With(ctx, access.SystemPrincipal())
	members, err := s.memberAgencies(ctx)
	if err != nil {
		return IndexStats{}, err
	}
	ix, meta, st, err := BuildIndex(ctx, s.intel, index.Options{Now: s.now, Members: members, CallingCode: s.cfg.CallingCode})
	if err != nil {
		return st, err
	}
	s.engine.SetIndex(ix, meta)
	s.idxMu.Lock()
	s.lastIdx = st
	s.idxMu.Unlock()
	s.metrics.indexBuilt(st)
	s.log.Info("indicator index built", "loaded", st.Loaded, "excluded", st.Excluded, "skipped", st.Skipped, "bytes", st.Bytes, "took_ms", st.Took.Milliseconds())
	return st, nil
}

// IndexStats returns the figures of the last index build.
func (s *Service) IndexStats() IndexStats {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	return s.lastIdx
}

func (s *Service) memberAgencies(ctx context.Context) ([]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM agencies`)
	if err != nil {
		return nil, fmt.Errorf("detect: member agencies: %w", store.Translate(err))
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("detect: member agencies: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Run keeps the indicator index and the information systems' addresses
// fresh until ctx ends: it rebuilds on request, on the refresh period, and
// when the soonest indicator expires. It also reloads the rules when
// another process changed them (see RulesRefresh).
func (s *Service) Run(ctx context.Context) {
	go s.watchRules(ctx)
	index := true
	for {
		if index {
			if _, err := s.RebuildIndex(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("indicator index", "err", err)
			}
		}
		if err := s.RefreshSystems(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("information systems for alerts", "err", err)
		}
		wait := s.cfg.IndexRefresh
		if t, ok := s.engine.Index().NextExpiry(); ok {
			if d := t.Sub(s.now()); d > 0 && d < wait {
				wait = d + time.Second
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.rebuild:
			index = true
		case <-s.sysRefresh:
			index = false
		case <-timer.C:
			index = true
		}
		timer.Stop()
	}
}

// watchRules reloads the rules every RulesRefresh when the stored ones
// changed, until ctx ends.
func (s *Service) watchRules(ctx context.Context) {
	t := time.NewTicker(s.cfg.RulesRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if changed, err := s.refreshRules(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reload of changed rules", "err", err)
		} else if changed {
			s.log.Info("rules changed elsewhere: reloaded")
		}
	}
}
