package decode

import (
	"errors"
	"io"

	"github.com/klauspost/compress/gzip"
)

// Defaults for GzipLimits. Real sensor NDJSON compresses 5 to 30 times
// (the Zeek and OTRF test data: 5x to 32x); a gzip bomb reaches 1000x.
const (
	DefaultGzipMaxBytes   = 1 << 30 // 1 GiB decompressed
	DefaultGzipMaxRatio   = 100
	DefaultGzipRatioAfter = 1 << 20 // ratio checked after 1 MiB out
)

// GzipLimits bound what a gzip stream may decompress to. The zero value
// means the defaults.
type GzipLimits struct {
	// MaxBytes is the most decompressed bytes read; beyond it Read fails
	// with ReasonGzipTooLarge. 0 means DefaultGzipMaxBytes.
	MaxBytes int64
	// MaxRatio is the most decompressed bytes per compressed byte read;
	// beyond it Read fails with ReasonGzipRatio. 0 means
	// DefaultGzipMaxRatio; a negative value turns the check off.
	MaxRatio int64
	// RatioAfter is how many bytes must be decompressed before the ratio
	// is checked: small inputs (a gzip header and a short line) have wild
	// ratios. 0 means DefaultGzipRatioAfter.
	RatioAfter int64
}

// NewGzipReader returns a reader of the decompressed content of r
// (concatenated gzip members are read as one stream) that fails, instead
// of going on, when the limits are passed. Its errors are fatal *Error
// values: ReasonGzip for corrupt data or a bad header (also returned by
// NewGzipReader itself), ReasonTruncated when the stream ends early,
// ReasonGzipTooLarge and ReasonGzipRatio for the limits. Close releases
// the decompressor; it does not close r.
func NewGzipReader(r io.Reader, l GzipLimits) (io.ReadCloser, error) {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultGzipMaxBytes
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = DefaultGzipMaxRatio
	}
	if l.RatioAfter <= 0 {
		l.RatioAfter = DefaultGzipRatioAfter
	}
	cr := &countingReader{r: r}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return nil, gzipError(err)
	}
	return &gzipLimited{zr: zr, in: cr, l: l}, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type gzipLimited struct {
	zr  *gzip.Reader
	in  *countingReader
	l   GzipLimits
	out int64
	err error
}

func (g *gzipLimited) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	// Never read past the size limit, so the limit costs no extra memory.
	if room := g.l.MaxBytes - g.out + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := g.zr.Read(p)
	g.out += int64(n)
	switch {
	case g.out > g.l.MaxBytes:
		g.err = &Error{Reason: ReasonGzipTooLarge, Offset: g.l.MaxBytes, Msg: "decompressed size over the limit", Fatal: true}
		return n - int(g.out-g.l.MaxBytes), g.err
	case g.l.MaxRatio > 0 && g.out >= g.l.RatioAfter && g.out > g.l.MaxRatio*max(g.in.n, 1):
		g.err = &Error{Reason: ReasonGzipRatio, Offset: g.out, Msg: "decompression ratio over the limit", Fatal: true}
		return n, g.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		g.err = gzipError(err)
		return n, g.err
	}
	return n, err
}

func (g *gzipLimited) Close() error { return g.zr.Close() }

func gzipError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &Error{Reason: ReasonTruncated, Offset: -1, Msg: "gzip stream ended early", Err: err, Fatal: true}
	}
	return &Error{Reason: ReasonGzip, Offset: -1, Err: err, Fatal: true}
}
