// Package listen holds detection's network inputs: syslog over TCP (RFC 6587
// framing, optional TLS) and UDP, and the NATS JetStream stream that
// `bulwark ingest` workers consume. Listeners find the sending source by the
// token in RFC 5424 structured data (SD-ID bulwark@32473, param token) or by
// the sender's address, and hand events to the detection service; nothing is
// dropped quietly: every frame is accepted or counted as rejected with a
// reason.
package listen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"bulwark/internal/detect"
	"bulwark/internal/detect/decode"
)

// Ingester is what the listeners need from the detection service.
// *detect.Service implements it.
type Ingester interface {
	SourceByToken(ctx context.Context, token string) (detect.Source, error)
	SourceBySender(ctx context.Context, addr netip.Addr) (detect.Source, error)
	SubmitEvents(ctx context.Context, src detect.Source, format string, events []decode.Event, wait bool, hit func(i int)) (detect.IngestResult, error)
	CountRejected(src *detect.Source, reason string, n int)
}

// SyslogConfig configures the syslog listeners. An empty address leaves
// that listener off.
type SyslogConfig struct {
	TCPAddr string
	UDPAddr string
	// TLS, when set, makes the TCP listener speak TLS (RFC 5425).
	TLS *tls.Config
	// MaxMessage bounds one message (default decode.DefaultMaxLineBytes).
	MaxMessage int
	// MaxConns bounds concurrent TCP connections (default 1000).
	MaxConns int
	// Batch is the most messages handed over at once; Flush how long a
	// partial batch waits (defaults 500 and 200ms).
	Batch int
	Flush time.Duration
	// IdleTimeout closes a TCP connection silent that long (default 10m).
	IdleTimeout time.Duration
	Decode      decode.Options
}

func (c *SyslogConfig) defaults() {
	if c.MaxMessage <= 0 {
		c.MaxMessage = decode.DefaultMaxLineBytes
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 1000
	}
	if c.Batch <= 0 {
		c.Batch = 500
	}
	if c.Flush <= 0 {
		c.Flush = 200 * time.Millisecond
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 10 * time.Minute
	}
	c.Decode.MaxLineBytes = c.MaxMessage
}

// Syslog is the running syslog listeners.
type Syslog struct {
	cfg  SyslogConfig
	in   Ingester
	log  *slog.Logger
	dec  *decode.SyslogDecoder
	tcp  net.Listener
	udp  net.PacketConn
	wg   sync.WaitGroup
	sem  chan struct{}
	done chan struct{}
}

// NewSyslog binds the configured addresses (so a test can use port 0 and
// read TCPAddr/UDPAddr) but serves nothing until Serve.
func NewSyslog(cfg SyslogConfig, in Ingester, log *slog.Logger) (*Syslog, error) {
	cfg.defaults()
	s := &Syslog{cfg: cfg, in: in, log: log, dec: decode.NewSyslogDecoder(cfg.Decode), sem: make(chan struct{}, cfg.MaxConns), done: make(chan struct{})}
	if cfg.TCPAddr != "" {
		ln, err := net.Listen("tcp", cfg.TCPAddr)
		if err != nil {
			return nil, fmt.Errorf("listen: syslog tcp %s: %w", cfg.TCPAddr, err)
		}
		if cfg.TLS != nil {
			ln = tls.NewListener(ln, cfg.TLS)
		}
		s.tcp = ln
	}
	if cfg.UDPAddr != "" {
		pc, err := net.ListenPacket("udp", cfg.UDPAddr)
		if err != nil {
			if s.tcp != nil {
				s.tcp.Close()
			}
			return nil, fmt.Errorf("listen: syslog udp %s: %w", cfg.UDPAddr, err)
		}
		s.udp = pc
	}
	return s, nil
}

// TCPAddr is the bound TCP address ("" when off).
func (s *Syslog) TCPAddr() string {
	if s.tcp == nil {
		return ""
	}
	return s.tcp.Addr().String()
}

// UDPAddr is the bound UDP address ("" when off).
func (s *Syslog) UDPAddr() string {
	if s.udp == nil {
		return ""
	}
	return s.udp.LocalAddr().String()
}

// Serve accepts until ctx ends, then closes the listeners and waits for
// the connections to finish their current batch.
func (s *Syslog) Serve(ctx context.Context) {
	go func() {
		<-ctx.Done()
		close(s.done)
		if s.tcp != nil {
			s.tcp.Close()
		}
		if s.udp != nil {
			s.udp.Close()
		}
	}()
	if s.udp != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveUDP(ctx)
		}()
	}
	if s.tcp != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.acceptTCP(ctx)
		}()
	}
	<-ctx.Done()
	s.wg.Wait()
}

func (s *Syslog) acceptTCP(ctx context.Context) {
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			s.log.Warn("syslog accept", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		select {
		case s.sem <- struct{}{}:
		default:
			s.in.CountRejected(nil, "too_many_connections", 1)
			c.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			s.serveConn(ctx, c)
		}()
	}
}

// frame is one decoded message waiting for its batch.
type frame struct {
	src detect.Source
	ev  decode.Event
}

// batcher groups messages per source and hands them over. Messages are
// decoded into storage it reuses from batch to batch (decode.Memory, one
// per position in the batch): once a batch is handed over, the storage of
// each event that raised nothing is released, as HTTP ingestion does.
type batcher struct {
	s       *Syslog
	pending map[int64][]decode.Event
	slots   map[int64][]int // per source: each pending event's position in mems
	srcs    map[int64]detect.Source
	mems    decode.Memories
	n       int
	wait    bool
}

// mem returns the memory the next message is decoded with: that of the
// next position in the batch. A message that is then dropped leaves it to
// the one after.
func (b *batcher) mem() *decode.Memory { return b.mems.At(b.n) }

func (b *batcher) add(f frame) {
	if b.pending == nil {
		b.pending, b.slots, b.srcs = map[int64][]decode.Event{}, map[int64][]int{}, map[int64]detect.Source{}
	}
	b.pending[f.src.ID] = append(b.pending[f.src.ID], f.ev)
	b.slots[f.src.ID] = append(b.slots[f.src.ID], b.n)
	b.srcs[f.src.ID] = f.src
	b.n++
}

func (b *batcher) flush(ctx context.Context) {
	for id, evs := range b.pending {
		src, slots := b.srcs[id], b.slots[id]
		if _, err := b.s.in.SubmitEvents(ctx, src, string(decode.KindSyslog), evs, b.wait, func(i int) { b.mems.Keep(slots[i]) }); err != nil {
			reason := "overload"
			if !errors.Is(err, detect.ErrOverloaded) {
				reason = "internal"
				b.s.log.Warn("syslog submit", "source_id", id, "err", err)
			}
			b.s.in.CountRejected(&src, reason, len(evs))
			for _, slot := range slots { // nothing is known of them: kept
				b.mems.Keep(slot)
			}
		}
		clear(evs)
	}
	b.mems.Release()
	clear(b.pending)
	clear(b.slots)
	b.n = 0
}

// resolve finds the source of a message: the token in its structured data,
// else the sender's address.
func (s *Syslog) resolve(ctx context.Context, ev *decode.Event, from netip.Addr) (detect.Source, error) {
	if tok := ev.Text(decode.FieldSourceToken); tok != "" {
		return s.in.SourceByToken(ctx, tok)
	}
	return s.in.SourceBySender(ctx, from)
}

func (s *Syslog) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	from := addrOf(c.RemoteAddr())
	fr := decode.NewFramer(c, s.cfg.MaxMessage)
	b := &batcher{s: s, wait: true}
	type next struct {
		msg []byte
		err error
	}
	// The framer reads in this goroutine's helper so a partial batch is
	// flushed after Flush even while the sender is quiet.
	frames := make(chan next)
	ack := make(chan struct{})
	go func() {
		defer close(frames)
		for {
			_ = c.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
			m, err := fr.Next()
			if m != nil {
				m = append([]byte(nil), m...)
			}
			select {
			case frames <- next{m, err}:
			case <-s.done:
				return
			}
			if err != nil {
				var de *decode.Error
				if errors.Is(err, io.EOF) || (errors.As(err, &de) && de.Fatal) || (!errors.As(err, &de)) {
					return
				}
			}
			select {
			case <-ack:
			case <-s.done:
				return
			}
		}
	}()
	timer := time.NewTimer(s.cfg.Flush)
	defer timer.Stop()
	var src *detect.Source
	for {
		select {
		case <-s.done:
			b.flush(context.WithoutCancel(ctx))
			return
		case <-timer.C:
			if b.n > 0 {
				b.flush(ctx)
			}
			timer.Reset(s.cfg.Flush)
		case n, ok := <-frames:
			if !ok {
				b.flush(ctx)
				return
			}
			if n.err != nil {
				if errors.Is(n.err, io.EOF) {
					b.flush(ctx)
					return
				}
				s.in.CountRejected(src, string(decode.ReasonOf(n.err)), 1)
				var de *decode.Error
				if !errors.As(n.err, &de) || de.Fatal {
					b.flush(ctx)
					return
				}
				ack <- struct{}{}
				continue
			}
			ev, err := s.dec.DecodeWith(n.msg, b.mem())
			if err != nil {
				s.in.CountRejected(src, string(decode.ReasonOf(err)), 1)
			} else if found, err := s.resolve(ctx, &ev, from); err != nil {
				s.in.CountRejected(nil, "unknown_source", 1)
			} else {
				src = &found
				b.add(frame{found, ev})
				if b.n >= s.cfg.Batch {
					b.flush(ctx) // holds the reader back while the pipeline is busy: TCP backpressure
				}
			}
			ack <- struct{}{}
		}
	}
}

func (s *Syslog) serveUDP(ctx context.Context) {
	buf := make([]byte, 65536)
	b := &batcher{s: s}
	last := time.Now()
	for {
		_ = s.udp.SetReadDeadline(time.Now().Add(s.cfg.Flush))
		n, addr, err := s.udp.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if b.n > 0 {
					b.flush(ctx)
				}
				last = time.Now()
				continue
			}
			select {
			case <-s.done:
				b.flush(context.WithoutCancel(ctx))
				return
			default:
			}
			s.log.Warn("syslog udp", "err", err)
			continue
		}
		if n > s.cfg.MaxMessage {
			s.in.CountRejected(nil, string(decode.ReasonFrameTooLong), 1)
			continue
		}
		ev, err := s.dec.DecodeWith(buf[:n], b.mem())
		if err != nil {
			s.in.CountRejected(nil, string(decode.ReasonOf(err)), 1)
			continue
		}
		src, err := s.resolve(ctx, &ev, addrOf(addr))
		if err != nil {
			s.in.CountRejected(nil, "unknown_source", 1)
			continue
		}
		b.add(frame{src, ev})
		if b.n >= s.cfg.Batch || time.Since(last) > s.cfg.Flush {
			b.flush(ctx)
			last = time.Now()
		}
	}
}

func addrOf(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
