package listen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"bulwark/internal/detect"
)

// Stream defaults.
const (
	DefaultStream     = "BULWARK_EVENTS"
	DefaultSubject    = "bulwark.events"
	DefaultDurable    = "bulwark-ingest"
	DefaultPartitions = 16
	DefaultLeaseTTL   = 15 * time.Second

	headerSource = "Bulwark-Source"
	headerFormat = "Bulwark-Format"
)

// StreamConfig names the JetStream stream of raw event batches.
//
// The stream is split into partitions, one subject each (Subject.0,
// Subject.1, ...): an agency's batches always go to the same partition, and
// at any time one worker takes a partition's batches, so each agency's
// events are correlated in one place (correlation windows live in a
// worker's memory). Workers share the partitions out through leases in a
// key-value bucket beside the stream (see Work).
type StreamConfig struct {
	URL     string
	Stream  string // default DefaultStream
	Subject string // default DefaultSubject
	// MaxAge is how long unprocessed batches are kept (default 7 days):
	// the stream is the buffer when every worker is down.
	MaxAge time.Duration
	// Partitions is the number of partitions of a new stream (default
	// DefaultPartitions, at most MaxPartitions). An existing stream keeps
	// its own: it is read from the stream's subjects.
	Partitions int
	// LeaseTTL is how long a worker's hold on a partition outlives its
	// last renewal (default DefaultLeaseTTL): after a crash, its partitions
	// wait that long for another worker. All workers of a stream must use
	// the same (the first opener's bucket keeps it).
	LeaseTTL time.Duration
}

// MaxPartitions bounds StreamConfig.Partitions.
const MaxPartitions = 1024

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
	if c.Partitions <= 0 {
		c.Partitions = DefaultPartitions
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
}

// Stream is a connection to the event stream, for publishing and consuming.
type Stream struct {
	cfg StreamConfig
	nc  *nats.Conn
	js  jetstream.JetStream
	st  jetstream.Stream
	// leases is the key-value bucket of partition leases ("p.N", held by a
	// worker id) and worker heartbeats ("w.ID").
	leases jetstream.KeyValue

	mu    sync.Mutex
	owned []int // partitions this Stream's worker holds, for Owned
}

// OpenStream connects to NATS and creates or updates the stream (file
// storage, work-queue retention: a batch is gone once a worker acked it)
// and the bucket of its workers' leases.
func OpenStream(ctx context.Context, cfg StreamConfig) (*Stream, error) {
	cfg.defaults()
	if cfg.Partitions > MaxPartitions {
		return nil, fmt.Errorf("listen: at most %d partitions", MaxPartitions)
	}
	nc, err := nats.Connect(cfg.URL, nats.Name("bulwark"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("listen: connect to nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("listen: jetstream: %w", err)
	}
	if st, err := js.Stream(ctx, cfg.Stream); err == nil {
		subjects := st.CachedInfo().Config.Subjects
		if slices.Equal(subjects, []string{cfg.Subject}) {
			nc.Close()
			return nil, fmt.Errorf("listen: stream %s has the single subject of a version without partitions: let its workers drain it, then delete it (nats stream rm %s)", cfg.Stream, cfg.Stream)
		}
		if n := partitionsOf(subjects, cfg.Subject); n > 0 {
			cfg.Partitions = n
		}
	}
	subjects := make([]string, cfg.Partitions)
	for p := range subjects {
		subjects[p] = partSubject(cfg.Subject, p)
	}
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: cfg.Stream, Subjects: subjects,
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, MaxAge: cfg.MaxAge})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("listen: create stream %s: %w", cfg.Stream, err)
	}
	kv, err := js.KeyValue(ctx, cfg.Stream+"_LEASES")
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: cfg.Stream + "_LEASES", History: 1, TTL: cfg.LeaseTTL,
			Storage: jetstream.MemoryStorage, Description: "partition leases of the ingest workers of " + cfg.Stream})
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("listen: lease bucket of %s: %w", cfg.Stream, err)
	}
	if st, err := kv.Status(ctx); err == nil && st.TTL() > 0 {
		cfg.LeaseTTL = st.TTL()
	}
	return &Stream{cfg: cfg, nc: nc, js: js, st: st, leases: kv}, nil
}

// partSubject is the subject of partition p.
func partSubject(subject string, p int) string { return subject + "." + strconv.Itoa(p) }

// partitionsOf returns the number of partitions of a stream with these
// subjects (subject.0 to subject.N-1), 0 when they are not of that form.
func partitionsOf(subjects []string, subject string) int {
	for p, s := range subjects {
		if s != partSubject(subject, p) {
			return 0
		}
	}
	return len(subjects)
}

// Partition is the partition of an agency's batches.
func (s *Stream) Partition(agency int64) int { return int(uint64(agency) % uint64(s.cfg.Partitions)) }

// Partitions is the stream's number of partitions.
func (s *Stream) Partitions() int { return s.cfg.Partitions }

// Owned returns the partitions whose batches this Stream's worker (Work)
// takes now.
func (s *Stream) Owned() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.owned)
}

// Close closes the connection (pending acks are lost: their batches are
// redelivered).
func (s *Stream) Close() { s.nc.Close() }

// Publish stores one batch in the stream; it implements detect.Publisher.
func (s *Stream) Publish(ctx context.Context, b detect.RawBatch) error {
	msg := nats.NewMsg(partSubject(s.cfg.Subject, s.Partition(b.AgencyID)))
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
	// Durable names the consumers shared by the workers, one per
	// partition: Durable-0, Durable-1, ... (default DefaultDurable).
	Durable string
	AckWait time.Duration // redelivery after a worker died holding a batch (default 30s)
	Fetch   int           // batches fetched at once (default 8)
	// ID names the worker in the lease bucket (default: host name,
	// process id and a random suffix).
	ID string
	// Handover, when set, carries the correlation windows of a partition's
	// agencies from the worker that gives the partition up to the one
	// that takes it, through an object store beside the stream
	// (StateBucket). A *detect.Service is one.
	Handover Handover
	// Checkpoint is how often, with Handover, a held partition's windows
	// are also saved while its batches come, between two batches: a
	// worker that dies then costs its partitions' next holder only the
	// windows of the batches since (default LeaseTTL/3; negative: never).
	Checkpoint time.Duration
}

// Handover exports and imports the correlation windows of the agencies a
// predicate selects (detect.Service's ExportCorrelations and
// ImportCorrelations).
type Handover interface {
	// ExportCorrelations encodes the windows and forgets them here.
	ExportCorrelations(part func(agency int64) bool) ([]byte, error)
	// SnapshotCorrelations encodes them and keeps them.
	SnapshotCorrelations(part func(agency int64) bool) ([]byte, error)
	ImportCorrelations(part func(agency int64) bool, data []byte) error
}

// MaxHandover bounds the correlation state handed over with one partition;
// larger state is not handed over (the next holder starts afresh, as
// after a crash) and a warning says so.
const MaxHandover = 64 << 20

// StateBucket names the object store that holds the correlation state of
// partitions between two holders ("p.N").
func StateBucket(stream string) string { return stream + "_STATE" }

// Work takes batches from the stream until ctx ends. The worker holds
// leases on some of the stream's partitions and processes the batches of
// those only, one after the other per partition: each batch is processed,
// then acked; a batch whose processing fails is nacked for redelivery
// after a pause; a batch of a worker that dies is redelivered after
// AckWait to the partition's next holder.
//
// Every LeaseTTL/3 the worker renews its leases and its heartbeat, counts
// the live workers (their heartbeats), and takes free partitions or gives
// up some of its own until it holds its fair share (the partitions over
// the live workers, rounded up). A worker that stops gives its partitions
// up at once; those of a worker that died are taken once its leases
// expire (LeaseTTL). With cfg.Handover, a partition given up (when the
// shares change, or the worker stops) takes its agencies' correlation
// windows to its next holder: they are stored after its last batch and
// before its lease is freed, and the next holder restores them before its
// first batch. While it holds a partition, a worker also saves its
// windows every cfg.Checkpoint, between two batches, so that the next
// holder of a partition whose holder died goes on from the last save.
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
	if cfg.ID == "" {
		cfg.ID = workerID()
	}
	if cfg.Checkpoint == 0 {
		cfg.Checkpoint = s.cfg.LeaseTTL / 3
	}
	w := &worker{s: s, cfg: cfg, proc: proc, log: log, held: map[int]*held{}}
	if cfg.Handover != nil {
		var err error
		if w.state, err = s.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: StateBucket(s.cfg.Stream),
			Storage: jetstream.FileStorage, Description: "correlation state of partitions between two holders, " + s.cfg.Stream}); err != nil {
			return fmt.Errorf("listen: state bucket of %s: %w", s.cfg.Stream, err)
		}
	}
	defer w.releaseAll(ctx)
	tick := time.NewTicker(s.cfg.LeaseTTL / 3)
	defer tick.Stop()
	for {
		if err := w.balance(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.nc.IsClosed() {
				return nil
			}
			log.Warn("ingest leases", "worker", cfg.ID, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// workerID names a worker: host, process and a random suffix, in the
// characters a key may hold.
func workerID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, host)
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// worker is the state of one Work call.
type worker struct {
	s    *Stream
	cfg  WorkerConfig
	proc Processor
	log  *slog.Logger
	held map[int]*held
	// state holds the correlation state handed over (cfg.Handover).
	state jetstream.ObjectStore
}

// held is a partition a worker holds: its lease revision and the
// goroutine consuming it.
type held struct {
	rev    uint64
	cancel context.CancelFunc
	done   chan struct{}
}

func leaseKey(p int) string { return "p." + strconv.Itoa(p) }

// balance renews the worker's heartbeat and leases, then gives up or
// takes partitions towards its fair share.
func (w *worker) balance(ctx context.Context) error {
	defer w.publish()
	kv := w.s.leases
	if _, err := kv.Put(ctx, "w."+w.cfg.ID, nil); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	live, err := w.liveWorkers(ctx)
	if err != nil {
		return err
	}
	fair := (w.s.cfg.Partitions + live - 1) / live
	for p, h := range w.held {
		rev, err := kv.Update(ctx, leaseKey(p), []byte(w.cfg.ID), h.rev)
		if err != nil {
			// Expired and perhaps taken: another worker may hold it.
			w.log.Warn("ingest partition lease lost", "worker", w.cfg.ID, "partition", p, "err", err)
			w.stop(p)
			continue
		}
		h.rev = rev
	}
	for len(w.held) > fair {
		if err := w.giveUp(ctx, slices.Max(slices.Collect(maps.Keys(w.held)))); err != nil {
			return err
		}
	}
	// Start the search at a place of the worker's own, so that workers
	// starting together try different partitions first.
	first := int(crc32.ChecksumIEEE([]byte(w.cfg.ID)) % uint32(w.s.cfg.Partitions))
	for i := 0; i < w.s.cfg.Partitions && len(w.held) < fair; i++ {
		p := (first + i) % w.s.cfg.Partitions
		if w.held[p] != nil {
			continue
		}
		rev, err := kv.Create(ctx, leaseKey(p), []byte(w.cfg.ID))
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue
		}
		if err != nil {
			return fmt.Errorf("take partition %d: %w", p, err)
		}
		w.takeOver(ctx, p)
		if err := w.start(ctx, p, rev); err != nil {
			_ = kv.Delete(ctx, leaseKey(p), jetstream.LastRevision(rev))
			return err
		}
	}
	return nil
}

// liveWorkers counts the heartbeats in the bucket (this worker's included).
func (w *worker) liveWorkers(ctx context.Context) (int, error) {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	keys, err := w.s.leases.ListKeysFiltered(lctx, "w.*")
	if err != nil {
		return 0, fmt.Errorf("list workers: %w", err)
	}
	n := 0
	for range keys.Keys() {
		n++
	}
	return max(n, 1), nil
}

// start consumes partition p (leased at revision rev) in a goroutine.
func (w *worker) start(ctx context.Context, p int, rev uint64) error {
	cons, err := w.s.st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: w.cfg.Durable + "-" + strconv.Itoa(p),
		FilterSubject: partSubject(w.s.cfg.Subject, p), AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: w.cfg.AckWait, MaxAckPending: 1000, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("consumer of partition %d: %w", p, err)
	}
	pctx, cancel := context.WithCancel(ctx)
	h := &held{rev: rev, cancel: cancel, done: make(chan struct{})}
	w.held[p] = h
	w.log.Info("ingest partition taken", "worker", w.cfg.ID, "partition", p)
	go func() {
		defer close(h.done)
		w.s.consume(pctx, cons, w.cfg, w.proc, w.log, w.checkpointer(pctx, p))
	}()
	return nil
}

// stop ends the consumption of partition p, waiting for the batch being
// processed.
func (w *worker) stop(p int) {
	h := w.held[p]
	h.cancel()
	<-h.done
	delete(w.held, p)
	w.log.Info("ingest partition left", "worker", w.cfg.ID, "partition", p)
}

// giveUp stops partition p and, while the connection works, frees its
// lease for another worker.
func (w *worker) giveUp(ctx context.Context, p int) error {
	rev := w.held[p].rev
	w.stop(p)
	if w.s.nc.IsClosed() {
		return nil
	}
	w.handOver(ctx, p)
	if err := w.s.leases.Delete(ctx, leaseKey(p), jetstream.LastRevision(rev)); err != nil {
		return fmt.Errorf("give up partition %d: %w", p, err)
	}
	return nil
}

// inPartition selects the agencies of partition p.
func (w *worker) inPartition(p int) func(agency int64) bool {
	return func(agency int64) bool { return w.s.Partition(agency) == p }
}

// handOver stores the correlation windows of partition p, given up, for
// its next holder. A failure costs the next holder the windows, not the
// events: it is logged.
func (w *worker) handOver(ctx context.Context, p int) {
	if w.state == nil {
		return
	}
	data, err := w.cfg.Handover.ExportCorrelations(w.inPartition(p))
	switch {
	case err != nil:
		w.log.Warn("ingest partition handover: export", "partition", p, "err", err)
		data = nil
	case len(data) > MaxHandover:
		w.log.Warn("ingest partition handover: state too large; the next holder starts afresh", "partition", p, "bytes", len(data))
		data = nil
	}
	if err := w.storeState(ctx, p, data); err != nil {
		w.log.Warn("ingest partition handover: store", "partition", p, "err", err)
		return
	}
	if data != nil {
		w.log.Info("ingest partition handed over", "worker", w.cfg.ID, "partition", p, "bytes", len(data))
	}
}

// storeState writes data as partition p's state in the bucket, or removes
// the state there when data is nil (the partition's agencies hold no
// window).
func (w *worker) storeState(ctx context.Context, p int, data []byte) error {
	if data == nil {
		if err := w.state.Delete(ctx, leaseKey(p)); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return err
		}
		return nil
	}
	_, err := w.state.PutBytes(ctx, leaseKey(p), data)
	return err
}

// checkpointer returns what partition p's goroutine calls after each
// fetch with the number of batches it processed: once batches came and
// cfg.Checkpoint passed since the last save, it saves the partition's
// windows for a next holder, as handOver does, but keeps them. It runs
// between two batches, so a save holds exactly the batches processed
// (and acked) before it. nil without Handover or checkpoints.
func (w *worker) checkpointer(ctx context.Context, p int) func(handled int) {
	if w.state == nil || w.cfg.Checkpoint < 0 {
		return nil
	}
	dirty, last := false, time.Now()
	return func(handled int) {
		dirty = dirty || handled > 0
		if !dirty || time.Since(last) < w.cfg.Checkpoint || ctx.Err() != nil {
			return
		}
		data, err := w.cfg.Handover.SnapshotCorrelations(w.inPartition(p))
		if err == nil && len(data) > MaxHandover {
			err = fmt.Errorf("%d bytes, more than %d", len(data), MaxHandover)
		}
		if err == nil {
			err = w.storeState(ctx, p, data)
		}
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("ingest partition checkpoint", "partition", p, "err", err)
			}
			return
		}
		dirty, last = false, time.Now()
	}
}

// takeOver restores the correlation windows handed over with partition p,
// or saved by a holder that died since (none when it had none). The state
// stays in the bucket until this worker saves its own: should it die
// first, the next holder goes on from the same state, which lacks only
// the batches processed since. A state is saved between batches, after
// the last one's ack: only a batch whose ack failed can come again and
// count twice.
func (w *worker) takeOver(ctx context.Context, p int) {
	if w.state == nil {
		return
	}
	part := w.inPartition(p)
	data, err := w.readState(ctx, p)
	if err != nil {
		w.log.Warn("ingest partition handover: read; starting afresh", "partition", p, "err", err)
		data = nil
	}
	if err := w.cfg.Handover.ImportCorrelations(part, data); err != nil {
		w.log.Warn("ingest partition handover: restore; starting afresh", "partition", p, "err", err)
		_ = w.cfg.Handover.ImportCorrelations(part, nil)
	}
	if data != nil {
		w.log.Info("ingest partition taken over with its correlation state", "worker", w.cfg.ID, "partition", p, "bytes", len(data))
	}
}

// readState reads the state stored for partition p: nil when there is
// none, an error when it is larger than MaxHandover.
func (w *worker) readState(ctx context.Context, p int) ([]byte, error) {
	obj, err := w.state.Get(ctx, leaseKey(p))
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	info, err := obj.Info()
	if err != nil {
		return nil, err
	}
	if info.Size > MaxHandover {
		return nil, fmt.Errorf("%d bytes, more than %d", info.Size, MaxHandover)
	}
	return io.ReadAll(io.LimitReader(obj, MaxHandover+1))
}

// publish records the held partitions for Owned.
func (w *worker) publish() {
	owned := slices.Sorted(maps.Keys(w.held))
	w.s.mu.Lock()
	w.s.owned = owned
	w.s.mu.Unlock()
}

// releaseAll stops every partition and, when the connection still works,
// frees the leases and the heartbeat so that other workers take over at
// once.
func (w *worker) releaseAll(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for p := range w.held {
		_ = w.giveUp(rctx, p)
	}
	if !w.s.nc.IsClosed() {
		_ = w.s.leases.Delete(rctx, "w."+w.cfg.ID)
	}
	w.publish()
}

// consume processes the batches of one partition's consumer until ctx
// ends or the connection closes. Batches fetched and not yet processed
// when ctx ends are nacked, so the partition's next holder gets them at
// once.
func (s *Stream) consume(ctx context.Context, cons jetstream.Consumer, cfg WorkerConfig, proc Processor, log *slog.Logger, cycle func(handled int)) {
	for ctx.Err() == nil {
		// The wait for batches ends with ctx, so that a partition given
		// up stops at once and its lease is not held past its renewal.
		fctx, cancel := context.WithTimeout(ctx, time.Second)
		batch, err := cons.Fetch(cfg.Fetch, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			if ctx.Err() != nil || s.nc.IsClosed() {
				return
			}
			log.Warn("ingest fetch", "err", err)
			time.Sleep(time.Second)
			continue
		}
		handled := 0
		for m := range batch.Messages() {
			if ctx.Err() != nil {
				_ = m.Nak()
				continue
			}
			// A batch begun is finished, even when the partition is
			// given up meanwhile.
			s.handle(context.WithoutCancel(ctx), m, proc, log)
			handled++
		}
		cancel()
		if cycle != nil {
			cycle(handled)
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			if s.nc.IsClosed() {
				return
			}
			log.Warn("ingest batch", "err", err)
		}
	}
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
