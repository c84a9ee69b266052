package detect

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are detection's Prometheus series. A nil *Metrics records
// nothing, so tests and the CLI can leave it out. Source labels are the
// source id (names are free text an agency chose).
type Metrics struct {
	events     *prometheus.CounterVec
	rejects    *prometheus.CounterVec
	hits       *prometheus.CounterVec
	alerts     prometheus.Counter
	latency    prometheus.Histogram
	overloads  prometheus.Counter
	duplicates prometheus.Counter
	retries    prometheus.Counter
	indicators prometheus.Gauge
	indexBytes prometheus.Gauge
	rules      *prometheus.GaugeVec
}

// NewMetrics registers detection's series on reg; queueDepth is read at
// scrape time.
func NewMetrics(reg prometheus.Registerer, queueDepth func() int) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bulwark_detect_events_total",
			Help: "Accepted events by source and outcome (matched: at least one hit; unmatched)."}, []string{"source", "outcome"}),
		rejects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bulwark_detect_rejected_total",
			Help: "Rejected lines and frames by source and reason (decode errors and stream errors)."}, []string{"source", "reason"}),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bulwark_detect_hits_total",
			Help: "Rule and indicator hits by kind."}, []string{"kind"}),
		alerts: prometheus.NewCounter(prometheus.CounterOpts{Name: "bulwark_detect_alert_writes_total",
			Help: "Alerts opened or updated."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bulwark_detect_batch_seconds",
			Help:    "Time to match a batch and store its alerts.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}),
		overloads: prometheus.NewCounter(prometheus.CounterOpts{Name: "bulwark_detect_overload_total",
			Help: "Batches refused because every worker was busy (HTTP 429, syslog backpressure)."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "bulwark_detect_duplicate_batches_total",
			Help: "Redelivered batches skipped because they were applied before."}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "bulwark_detect_store_retries_total",
			Help: "Transactions storing a batch's alerts tried again after a failure that may pass."}),
		indicators: prometheus.NewGauge(prometheus.GaugeOpts{Name: "bulwark_detect_index_indicators", Help: "Indicators in the matching index."}),
		indexBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "bulwark_detect_index_bytes", Help: "Memory held by the indicator index."}),
		rules:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bulwark_detect_rules", Help: "Loaded Sigma rules by kind."}, []string{"kind"}),
	}
	for _, c := range []prometheus.Collector{m.events, m.rejects, m.hits, m.alerts, m.latency, m.overloads, m.duplicates, m.retries, m.indicators, m.indexBytes, m.rules} {
		_ = reg.Register(c)
	}
	if queueDepth != nil {
		_ = reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bulwark_detect_queue_depth",
			Help: "Batches being processed or waiting for a worker."}, func() float64 { return float64(queueDepth()) }))
	}
	return m
}

func (m *Metrics) processed(src Source, res IngestResult, order []*pending, took time.Duration) {
	if m == nil {
		return
	}
	id := strconv.FormatInt(src.ID, 10)
	m.events.WithLabelValues(id, "matched").Add(float64(res.Matched))
	m.events.WithLabelValues(id, "unmatched").Add(float64(res.Accepted - res.Matched))
	for _, p := range order {
		m.hits.WithLabelValues(p.key.kind).Add(float64(p.hits))
	}
	m.alerts.Add(float64(len(order)))
	m.latency.Observe(took.Seconds())
}

func (m *Metrics) rejected(src Source, reason string, n int) {
	if m == nil {
		return
	}
	id := "unknown"
	if src.ID != 0 {
		id = strconv.FormatInt(src.ID, 10)
	}
	m.rejects.WithLabelValues(id, reason).Add(float64(n))
}

func (m *Metrics) overload() {
	if m != nil {
		m.overloads.Inc()
	}
}

func (m *Metrics) duplicate() {
	if m != nil {
		m.duplicates.Inc()
	}
}

func (m *Metrics) storeRetry() {
	if m != nil {
		m.retries.Inc()
	}
}

func (m *Metrics) indexBuilt(st IndexStats) {
	if m != nil {
		m.indicators.Set(float64(st.Loaded))
		m.indexBytes.Set(float64(st.Bytes))
	}
}

func (m *Metrics) rulesLoaded(rules, correlations int) {
	if m != nil {
		m.rules.WithLabelValues("detection").Set(float64(rules))
		m.rules.WithLabelValues("correlation").Set(float64(correlations))
	}
}
