package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"bulwark/internal/detect/listen"
)

// runIngest runs detection workers on the NATS JetStream stream that the
// HTTP and syslog listeners of `bulwark serve` publish to when
// BULWARK_NATS_URL is set. Workers on several machines share the stream's
// partitions out (each agency's batches are in one partition, taken by one
// worker at a time, so its events are correlated in one place, and the
// correlation windows go with a partition to its next holder); each batch
// is acked only after its alerts are stored, and a batch redelivered after
// a crash is recognised and not counted twice.
func runIngest(ctx context.Context, e cmdEnv, args []string) error {
	var c Config
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	workers := fs.Int("workers", 1, "workers in this process, each taking its share of the partitions (each partition is processed apart)")
	ackWait := fs.Duration("ack-wait", 30*time.Second, "redelivery delay of a batch whose worker died")
	durable := fs.String("durable", listen.DefaultDurable, "prefix of the durable consumers (one per partition) shared by all workers")
	metricsAddr := fs.String("metrics-addr", env("INGEST_METRICS_ADDR", ""), "address serving /metrics (matching counters and latency of this process) and /healthz, e.g. 127.0.0.1:9101; empty: off [BULWARK_INGEST_METRICS_ADDR]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *workers < 1 || *workers > 256 {
		return usageErr("--workers must be from 1 to 256")
	}
	dc, err := loadDetectConfig()
	if err != nil {
		return err
	}
	if dc.NATSURL == "" {
		return usageErr("set BULWARK_NATS_URL to the NATS server with JetStream")
	}
	app, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer app.Close()
	go app.Detect.Run(ctx) // keeps the indicator index and the rules fresh
	var streams []*listen.Stream
	for range *workers {
		st, err := listen.OpenStream(ctx, dc.streamConfig())
		if err != nil {
			return err
		}
		defer st.Close()
		streams = append(streams, st)
	}
	_ = app.Registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bulwark_ingest_partitions_held",
		Help: "Stream partitions this process's workers hold."}, func() float64 {
		n := 0
		for _, st := range streams {
			n += len(st.Owned())
		}
		return float64(n)
	}))
	if *metricsAddr != "" {
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("ingest: metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(app.Registry, promhttp.HandlerOpts{}))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		app.Log.Info("ingest metrics", "addr", ln.Addr().String())
	}
	var wg sync.WaitGroup
	errc := make(chan error, *workers)
	for _, st := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Work(ctx, listen.WorkerConfig{Durable: *durable, AckWait: *ackWait, Handover: app.Detect}, app.Detect.ProcessRaw, app.Log)
			if err != nil && !errors.Is(err, context.Canceled) {
				errc <- err
			}
		}()
	}
	app.Log.Info("ingest workers running", "workers", *workers, "stream", dc.NATSStream)
	wg.Wait()
	close(errc)
	return <-errc
}
