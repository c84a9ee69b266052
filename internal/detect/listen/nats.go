package listen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"bulwark/internal/detect"
)

// Stream defaults.
const (
	DefaultStream  = "BULWARK_EVENTS"
	DefaultSubject = "bulwark.events"
	DefaultDurable = "bulwark-ingest"

	headerSource = "Bulwark-Source"
	headerFormat = "Bulwark-Format"
)

// StreamConfig names the JetStream stream of raw event batches.
type StreamConfig struct {
	URL     string
	Stream  string // default DefaultStream
	Subject string // default DefaultSubject
	// MaxAge is how long unprocessed batches are kept (default 7 days):
	// the stream is the buffer when every worker is down.
	MaxAge time.Duration
}

func (c *StreamConfig) defaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Subject == "" {
		c.Subject = DefaultSubject
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 7 * 24 * time.Hour
	}
}

// Stream is a connection to the event stream, for publishing and consuming.
type Stream struct {
	cfg StreamConfig
	nc  *nats.Conn
	js  jetstream.JetStream
	st  jetstream.Stream
}

// OpenStream connects to NATS and creates or updates the stream (file
// storage, work-queue retention: a batch is gone once a worker acked it).
func OpenStream(ctx context.Context, cfg StreamConfig) (*Stream, error) {
	cfg.defaults()
	nc, err := nats.Connect(cfg.URL, nats.Name("bulwark"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("listen: connect to nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("listen: jetstream: %w", err)
	}
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: cfg.Stream, Subjects: []string{cfg.Subject},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, MaxAge: cfg.MaxAge})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("listen: create stream %s: %w", cfg.Stream, err)
	}
	return &Stream{cfg: cfg, nc: nc, js: js, st: st}, nil
}

// Close closes the connection (pending acks are lost: their batches are
// redelivered).
func (s *Stream) Close() { s.nc.Close() }

// Publish stores one batch in the stream; it implements detect.Publisher.
func (s *Stream) Publish(ctx context.Context, b detect.RawBatch) error {
	msg := nats.NewMsg(s.cfg.Subject)
	msg.Header.Set(headerSource, strconv.FormatInt(b.SourceID, 10))
	if b.Format != "" {
		msg.Header.Set(headerFormat, b.Format)
	}
	msg.Data = bytes.Join(b.Lines, []byte{'\n'})
	if _, err := s.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("listen: publish batch of source %d: %w", b.SourceID, err)
	}
	return nil
}

// Pending is the number of batches in the stream not yet acked.
func (s *Stream) Pending(ctx context.Context) (uint64, error) {
	info, err := s.st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("listen: stream info: %w", err)
	}
	return info.State.Msgs, nil
}

// Processor is what a worker does with a batch: detect.Service.ProcessRaw.
// key is unique per stored batch, so a redelivered batch is recognised.
type Processor func(ctx context.Context, b detect.RawBatch, key string) (detect.IngestResult, error)

// WorkerConfig tunes a worker.
type WorkerConfig struct {
	Durable string        // consumer name shared by the workers (default DefaultDurable)
	AckWait time.Duration // redelivery after a worker died holding a batch (default 30s)
	Fetch   int           // batches fetched at once (default 8)
}

// Work consumes the stream until ctx ends: each batch is processed, then
// acked; a batch whose processing fails is nacked for redelivery after a
// pause; a batch of a worker that dies is redelivered after AckWait. Every
// worker of every machine shares one durable consumer.
func (s *Stream) Work(ctx context.Context, cfg WorkerConfig, proc Processor, log *slog.Logger) error {
	if cfg.Durable == "" {
		cfg.Durable = DefaultDurable
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.Fetch <= 0 {
		cfg.Fetch = 8
	}
	cons, err := s.st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: cfg.Durable, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: cfg.AckWait, MaxAckPending: 1000, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("listen: consumer %s: %w", cfg.Durable, err)
	}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(cfg.Fetch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConnectionClosed) {
				return ctx.Err()
			}
			log.Warn("ingest fetch", "err", err)
			time.Sleep(time.Second)
			continue
		}
		for m := range batch.Messages() {
			s.handle(ctx, m, proc, log)
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil && !errors.Is(err, nats.ErrTimeout) {
			if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConnectionClosed) {
				return nil
			}
			log.Warn("ingest batch", "err", err)
		}
	}
	return ctx.Err()
}

func (s *Stream) handle(ctx context.Context, m jetstream.Msg, proc Processor, log *slog.Logger) {
	meta, err := m.Metadata()
	if err != nil {
		log.Warn("ingest message without metadata", "err", err)
		_ = m.Term()
		return
	}
	id, err := strconv.ParseInt(m.Headers().Get(headerSource), 10, 64)
	if err != nil || id <= 0 {
		log.Warn("ingest message without a source", "seq", meta.Sequence.Stream)
		_ = m.Term()
		return
	}
	b := detect.RawBatch{SourceID: id, Format: m.Headers().Get(headerFormat), Lines: bytes.Split(m.Data(), []byte{'\n'})}
	key := "nats:" + s.cfg.Stream + ":" + strconv.FormatUint(meta.Sequence.Stream, 10)
	if _, err := proc(ctx, b, key); err != nil {
		log.Warn("ingest batch failed; it will be redelivered", "seq", meta.Sequence.Stream, "source_id", id, "err", err)
		_ = m.NakWithDelay(5 * time.Second)
		return
	}
	if err := m.DoubleAck(ctx); err != nil {
		// The batch is stored; a redelivery is recognised by its key.
		log.Warn("ingest ack", "seq", meta.Sequence.Stream, "err", err)
	}
}
