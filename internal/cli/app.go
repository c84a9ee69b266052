package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"bulwark/internal/agency"
	"bulwark/internal/api"
	"bulwark/internal/audit"
	"bulwark/internal/auth"
	"bulwark/internal/detect"
	"bulwark/internal/detect/listen"
	"bulwark/internal/directive"
	"bulwark/internal/fraud"
	"bulwark/internal/i18n"
	"bulwark/internal/incident"
	"bulwark/internal/intel"
	"bulwark/internal/notify"
	"bulwark/internal/report"
	"bulwark/internal/sealed"
	"bulwark/internal/store"
	"bulwark/internal/sysinv"
	"bulwark/internal/ui"
	"bulwark/internal/web"
)

// App wires the whole program: database, services, pages, API. Tests boot
// the real graph with NewApp and Run on 127.0.0.1:0.
type App struct {
	Config   Config
	Log      *slog.Logger
	DB       *store.DB
	Audit    *audit.Log
	Auth     *auth.Service
	Agencies *agency.Service
	Registry *prometheus.Registry
	API      *api.Handler
	UI       *ui.Handler

	Incidents   *incident.Service
	Notify      *notify.Outbox
	Dispatcher  *notify.Dispatcher
	maxEvidence int64

	Systems     *sysinv.Service
	maxFeedBody int64

	Fraud *fraud.Service

	Intel      *intel.Service
	intelSpool string

	Detect       *detect.Service
	detectCfg    detectConfig
	detectStream *listen.Stream

	Directives *directive.Service
	Reports    *report.Builder

	// Secrets seals the secrets stored in the database (TOTP seeds) with
	// the key file outside it.
	Secrets *sealed.Box

	listener net.Listener
	ready    chan struct{}
	now      func() time.Time
}

// NewApp opens and migrates the database and builds the services. It does
// not listen yet.
func NewApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL())
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, m := range applied {
		log.Info("migration applied", "version", m.Version, "name", m.Name)
	}
	a := &App{Config: cfg, Log: log, DB: db, ready: make(chan struct{}), now: time.Now}
	key, err := sealed.LoadOrCreateKey(cfg.SecretKeyPath())
	if err != nil {
		db.Close()
		return nil, err
	}
	if a.Secrets, err = sealed.New(key); err != nil {
		db.Close()
		return nil, err
	}
	a.Audit = audit.New(db, a.now)
	a.Auth = auth.NewService(db, a.Audit, auth.Config{SessionTTL: cfg.SessionTTL, Require2FA: cfg.Require2FA && !cfg.Demo, Argon2: cfg.Argon2, Secrets: a.Secrets}, a.now)
	a.Agencies = agency.NewService(db, a.Audit, a.now)
	if err := a.wireIncidents(log); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.wireSysinv(log); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.wireIntel(ctx, log); err != nil {
		db.Close()
		return nil, err
	}
	a.connectIncidentIntel()
	if err := a.wireFraud(); err != nil {
		db.Close()
		return nil, err
	}
	cat, err := i18n.Load()
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.wireDetect(ctx, log); err != nil {
		db.Close()
		return nil, err
	}
	a.connectIntelDetect()
	if err := a.wireDirectives(); err != nil {
		db.Close()
		return nil, err
	}
	a.API = api.New(api.Deps{Auth: a.Auth, Agencies: a.Agencies, Audit: a.Audit, Log: log, Version: Version,
		Incidents: a.Incidents, Notify: a.Notify, Systems: a.Systems,
		Fraud: a.Fraud, TrustProxy: cfg.TrustProxy,
		Intel: a.Intel, IntelSpool: a.intelSpool, Detect: a.Detect,
		Directives: a.Directives, Reports: a.Reports})
	a.UI, err = ui.New(ui.Config{Secure: cfg.Secure(), Demo: cfg.Demo, TrustProxy: cfg.TrustProxy, Version: Version},
		ui.Deps{DB: db, Auth: a.Auth, Agencies: a.Agencies, Audit: a.Audit, Catalog: cat, Log: log, Now: a.now,
			Incidents: a.Incidents, Notify: a.Notify, Systems: a.Systems, Detect: a.Detect,
			Fraud: a.Fraud, Directives: a.Directives, Reports: a.Reports})
	if err != nil {
		db.Close()
		return nil, err
	}
	a.UI.SetIntel(a.Intel, a.intelSpool)
	return a, nil
}

// Handler is the whole HTTP surface with its middleware, in the order they
// run: recover, request ID, access log and metrics, security headers, body
// limit; then health, metrics, API and pages.
func (a *App) Handler() http.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bulwark_http_requests_total", Help: "HTTP requests by area, method and status.",
	}, []string{"area", "method", "status"})
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "bulwark_http_request_duration_seconds", Help: "HTTP request latency by area.", Buckets: prometheus.DefBuckets,
	}, []string{"area"})
	_ = a.Registry.Register(requests)
	_ = a.Registry.Register(durations)
	observe := func(method, pattern string, status int, d time.Duration) {
		area := "ui"
		switch {
		case len(pattern) >= 5 && pattern[:5] == "/api/":
			area = "api"
		case pattern == "/metrics" || pattern == "GET /healthz" || pattern == "GET /readyz":
			area = "ops"
		}
		requests.WithLabelValues(area, method, strconv.Itoa(status)).Inc()
		durations.WithLabelValues(area).Observe(d.Seconds())
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.DB.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unavailable\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("/metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}))
	mux.Handle("/api/", web.BodyLimit(api.MaxBody)(a.API.Routes()))
	mux.Handle("/", web.BodyLimit(1<<20)(a.UI.Routes()))
	a.largeBodyRoutes(mux)
	a.detectBodyRoutes(mux)
	a.sysinvLargeBodyRoutes(mux)
	a.fraudBodyRoutes(mux)
	a.directiveBodyRoutes(mux)
	a.intelRoutes(mux)
	return web.Chain(mux,
		web.Recover(a.Log),
		web.WithRequestID(a.Config.TrustProxy),
		web.AccessLog(a.Log, observe),
		web.SecurityHeaders(a.Config.Secure()),
	)
}

// Listen binds the configured address; Addr reports the bound address
// (useful with port 0).
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	a.listener = ln
	return nil
}

// Addr is the address the app listens on, after Listen.
func (a *App) Addr() string {
	if a.listener == nil {
		return a.Config.Addr
	}
	return a.listener.Addr().String()
}

// Run serves until ctx is cancelled, then shuts down gracefully, letting
// requests in flight finish for up to 10 seconds.
func (a *App) Run(ctx context.Context) error {
	if a.listener == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() {
		var err error
		if a.Config.TLSCert != "" {
			err = srv.ServeTLS(a.listener, a.Config.TLSCert, a.Config.TLSKey)
		} else {
			err = srv.Serve(a.listener)
		}
		errc <- err
	}()
	go a.housekeeping(ctx)
	go a.runIncidentJobs(ctx)
	go a.runDirectiveJobs(ctx)
	go a.runSysinvJobs(ctx)
	go a.runFraudJobs(ctx)
	go a.runIntelJobs(ctx)
	go a.runDetectJobs(ctx)
	close(a.ready)
	a.Log.Info("serving", "addr", a.Addr(), "database", a.DB.URL, "demo", a.Config.Demo)
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	a.Log.Info("shutting down")
	return srv.Shutdown(shutCtx)
}

// Ready is closed once Run is serving.
func (a *App) Ready() <-chan struct{} { return a.ready }

// housekeeping runs small periodic jobs: expired sessions are purged.
func (a *App) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.Auth.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("purge sessions", "err", err)
		} else if n > 0 {
			a.Log.Debug("purged sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close releases the database.
func (a *App) Close() error {
	if a.Intel != nil {
		a.Intel.Close() // waits for running imports before the database goes
	}
	if a.Systems != nil {
		a.Systems.Close() // likewise for vulnerability catalogue imports
	}
	return a.DB.Close()
}
