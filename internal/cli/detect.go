package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"bulwark/internal/api"
	"bulwark/internal/detect"
	"bulwark/internal/detect/listen"
	"bulwark/internal/sysinv"
	"bulwark/internal/ui"
	"bulwark/internal/web"
)

// detectConfig is the detection capability's part of the configuration,
// from BULWARK_* environment variables:
//
//	BULWARK_DETECT_BATCH_MB      largest event batch (HTTP body, decompressed) in MiB (default 64)
//	BULWARK_DETECT_WORKERS       batches matched at once (default: the number of CPUs)
//	BULWARK_DETECT_DEDUP         alert deduplication window, e.g. 1h (default 1h)
//	BULWARK_DETECT_SILENT        default silence threshold of a source, e.g. 1h
//	BULWARK_DETECT_INDEX_REFRESH indicator index rebuild period, e.g. 5m
//	BULWARK_DETECT_RULES_REFRESH how often rules changed by another process are looked for, e.g. 15s
//	BULWARK_SYSLOG_TCP           syslog TCP listen address, e.g. :6514 (empty: off)
//	BULWARK_SYSLOG_UDP           syslog UDP listen address, e.g. :514 (empty: off)
//	BULWARK_SYSLOG_TLS_CERT, BULWARK_SYSLOG_TLS_KEY   TLS for the TCP listener (RFC 5425)
//	BULWARK_NATS_URL             NATS with JetStream: listeners publish there and `bulwark ingest` workers match (empty: match in process)
//	BULWARK_NATS_STREAM          stream name (default BULWARK_EVENTS)
//	BULWARK_NATS_SUBJECT         subject prefix of its partitions (default bulwark.events)
//	BULWARK_NATS_PARTITIONS      partitions of a new stream (default 16): each agency's batches go to one, taken by one worker at a time
type detectConfig struct {
	Detect     detect.Config
	SyslogTCP  string
	SyslogUDP  string
	TLSCert    string
	TLSKey     string
	NATSURL    string
	NATSStream string
	NATSSubj   string
	NATSParts  int
}

// streamConfig is the event stream's configuration.
func (dc detectConfig) streamConfig() listen.StreamConfig {
	return listen.StreamConfig{URL: dc.NATSURL, Stream: dc.NATSStream, Subject: dc.NATSSubj, Partitions: dc.NATSParts}
}

func loadDetectConfig() (detectConfig, error) {
	dc := detectConfig{SyslogTCP: env("SYSLOG_TCP", ""), SyslogUDP: env("SYSLOG_UDP", ""), TLSCert: env("SYSLOG_TLS_CERT", ""),
		TLSKey: env("SYSLOG_TLS_KEY", ""), NATSURL: env("NATS_URL", ""), NATSStream: env("NATS_STREAM", ""),
		NATSSubj: env("NATS_SUBJECT", "")}
	if s := env("DETECT_BATCH_MB", ""); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 4096 {
			return dc, fmt.Errorf("BULWARK_DETECT_BATCH_MB must be a whole number of MiB from 1 to 4096")
		}
		dc.Detect.MaxBatchBytes = int64(n) << 20
	}
	if s := env("DETECT_WORKERS", ""); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1024 {
			return dc, fmt.Errorf("BULWARK_DETECT_WORKERS must be a whole number from 1 to 1024")
		}
		dc.Detect.Workers = n
	}
	for name, dst := range map[string]*time.Duration{"DETECT_DEDUP": &dc.Detect.DedupWindow, "DETECT_SILENT": &dc.Detect.SilentAfter, "DETECT_INDEX_REFRESH": &dc.Detect.IndexRefresh,
		"DETECT_RULES_REFRESH": &dc.Detect.RulesRefresh} {
		if s := env(name, ""); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < time.Second {
				return dc, fmt.Errorf("BULWARK_%s must be a duration such as 30m or 2h", name)
			}
			*dst = d
		}
	}
	if s := env("NATS_PARTITIONS", ""); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > listen.MaxPartitions {
			return dc, fmt.Errorf("BULWARK_NATS_PARTITIONS must be a whole number from 1 to %d", listen.MaxPartitions)
		}
		dc.NATSParts = n
	}
	if (dc.TLSCert == "") != (dc.TLSKey == "") {
		return dc, fmt.Errorf("set both BULWARK_SYSLOG_TLS_CERT and BULWARK_SYSLOG_TLS_KEY, or neither")
	}
	return dc, nil
}

// wireDetect builds the detection service, its metrics and, when
// configured, the stream it publishes to. It needs the registry, threat
// intelligence and incidents wired first.
func (a *App) wireDetect(ctx context.Context, log *slog.Logger) error {
	dc, err := loadDetectConfig()
	if err != nil {
		return err
	}
	a.detectCfg = dc
	deps := detect.Deps{DB: a.DB, Audit: a.Audit, Log: log, Now: a.now, Metrics: detect.NewMetrics(a.Registry, func() int {
		if a.Detect == nil {
			return 0
		}
		return a.Detect.QueueDepth()
	})}
	if a.Intel != nil {
		deps.Intel = a.Intel
	}
	if a.Incidents != nil {
		deps.Incidents = a.Incidents
	}
	if a.Systems != nil {
		deps.Systems = systemDirectory{a.Systems}
	}
	a.Detect, err = detect.New(deps, dc.Detect)
	if err != nil {
		return err
	}
	if _, err := a.Detect.LoadRules(ctx); err != nil {
		return err
	}
	if dc.NATSURL != "" {
		st, err := listen.OpenStream(ctx, dc.streamConfig())
		if err != nil {
			return err
		}
		a.detectStream = st
		a.Detect.SetPublisher(st)
	}
	return nil
}

// systemDirectory shows the information systems inventory to detection,
// which names the system an alert hits (and keeps access rules itself:
// see internal/detect/systems.go).
type systemDirectory struct{ svc *sysinv.Service }

// DetectionSystems lists every system with its component addresses. It
// runs as the system principal (detection's refresh passes it).
func (d systemDirectory) DetectionSystems(ctx context.Context) ([]detect.DirectorySystem, error) {
	var out []detect.DirectorySystem
	at := map[int64]int{}
	for offset := 0; ; {
		list, total, err := d.svc.ListSystems(ctx, sysinv.SystemFilter{Limit: 5000, Offset: offset})
		if err != nil {
			return nil, err
		}
		for _, sys := range list {
			at[sys.ID] = len(out)
			out = append(out, detect.DirectorySystem{ID: sys.ID, Name: sys.Name, OwnerAgencyID: sys.OwnerAgencyID,
				AddressTLP: sys.AddressTLP, Retired: sys.Status == "retired"})
		}
		offset += len(list)
		if len(list) == 0 || offset >= total {
			break
		}
	}
	addrs, err := d.svc.Addresses(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if i, ok := at[a.SystemID]; ok {
			out[i].Addresses = append(out[i].Addresses, a.Value)
		}
	}
	return out, nil
}

// detectBodyRoutes serves the event and rule upload routes with the batch
// limit instead of the default body limit.
func (a *App) detectBodyRoutes(mux *http.ServeMux) {
	if a.Detect == nil {
		return
	}
	limit := max(a.Detect.Config().MaxBatchBytes, api.MaxRuleUpload)
	h := web.BodyLimit(limit)(a.API.Routes())
	for _, p := range api.DetectLargeBodyRoutes() {
		mux.Handle(p, h)
	}
	pages := web.BodyLimit(api.MaxRuleUpload)(a.UI.Routes())
	for _, p := range ui.DetectLargeBodyRoutes() {
		mux.Handle(p, pages)
	}
}

// runDetectJobs keeps the indicator index fresh and runs the syslog
// listeners until ctx ends.
func (a *App) runDetectJobs(ctx context.Context) {
	if a.Detect == nil {
		return
	}
	go a.Detect.Run(ctx)
	if a.detectStream != nil {
		go func() {
			<-ctx.Done()
			a.detectStream.Close()
		}()
	}
	dc := a.detectCfg
	if dc.SyslogTCP == "" && dc.SyslogUDP == "" {
		return
	}
	cfg := listen.SyslogConfig{TCPAddr: dc.SyslogTCP, UDPAddr: dc.SyslogUDP, Decode: dc.Detect.Decode}
	if dc.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(dc.TLSCert, dc.TLSKey)
		if err != nil {
			a.Log.Error("syslog TLS", "err", err)
			return
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ls, err := listen.NewSyslog(cfg, a.Detect, a.Log)
	if err != nil {
		a.Log.Error("syslog listeners", "err", err)
		return
	}
	a.Log.Info("syslog listening", "tcp", ls.TCPAddr(), "udp", ls.UDPAddr(), "tls", cfg.TLS != nil)
	ls.Serve(ctx)
}
