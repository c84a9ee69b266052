package cli

import (
	"context"
	"errors"
	"flag"
	"sync"
	"time"

	"bulwark/internal/detect/listen"
)

// runIngest runs detection workers on the NATS JetStream stream that the
// HTTP and syslog listeners of `bulwark serve` publish to when
// BULWARK_NATS_URL is set. Workers on several machines share the stream's
// partitions out (each agency's batches are in one partition, taken by one
// worker at a time, so its events are correlated in one place); each
// batch is acked only after its alerts are stored, and a batch redelivered
// after a crash is recognised and not counted twice.
func runIngest(ctx context.Context, e cmdEnv, args []string) error {
	var c Config
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	storageFlags(fs, &c)
	workers := fs.Int("workers", 1, "workers in this process, each taking its share of the partitions (each partition is processed apart)")
	ackWait := fs.Duration("ack-wait", 30*time.Second, "redelivery delay of a batch whose worker died")
	durable := fs.String("durable", listen.DefaultDurable, "prefix of the durable consumers (one per partition) shared by all workers")
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
	go app.Detect.Run(ctx) // keeps the indicator index fresh
	var wg sync.WaitGroup
	errc := make(chan error, *workers)
	for range *workers {
		st, err := listen.OpenStream(ctx, dc.streamConfig())
		if err != nil {
			return err
		}
		defer st.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.Work(ctx, listen.WorkerConfig{Durable: *durable, AckWait: *ackWait}, app.Detect.ProcessRaw, app.Log)
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
