package decode

import (
	"bufio"
	"errors"
	"io"
	"strconv"
)

// Framer splits a syslog TCP stream into messages per RFC 6587, choosing
// the framing per frame: a frame that starts with a digit 1-9 is octet
// counted ("MSG-LEN SP SYSLOG-MSG"), anything else runs to the next LF
// (non-transparent framing; a CR before the LF is dropped). Stray CR, LF
// and NUL bytes between frames are skipped, since some senders end octet
// counted frames with a newline too. A final frame without LF at the end of
// the stream is returned as a frame.
//
// Errors and what the caller does:
//   - an octet count over the limit (ReasonFrameTooLong), digits not
//     followed by a space (ReasonFrameSyntax) or a stream that ends inside
//     a counted frame (ReasonTruncated) is fatal: the count was the only
//     frame boundary, so the rest of the stream cannot be trusted. The
//     Framer returns the same error from then on; count it and close the
//     connection;
//   - a newline frame over the limit is not fatal: it is skipped up to its
//     LF in bounded memory, the error (ReasonFrameTooLong) is returned once
//     for counting, and the next call goes on with the following frame;
//   - a failing reader gives a fatal ReasonIO error.
//
// Every *Error returned says which in its Fatal field. A Framer is not safe
// for concurrent use.
type Framer struct {
	r         *bufio.Reader
	max       int
	maxDigits int
	off       int64
	buf       []byte
	err       error
}

// NewFramer returns a Framer over r for frames of at most max bytes
// (max <= 0 means DefaultMaxLineBytes).
func NewFramer(r io.Reader, max int) *Framer {
	if max <= 0 {
		max = DefaultMaxLineBytes
	}
	return &Framer{r: bufio.NewReaderSize(r, readBufSize), max: max, maxDigits: len(strconv.Itoa(max))}
}

// Offset returns the number of stream bytes consumed so far.
func (f *Framer) Offset() int64 { return f.off }

// Next returns the next frame. The slice is valid until the next call. At
// a clean end of stream it returns io.EOF.
func (f *Framer) Next() ([]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	for {
		c, err := f.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, f.fail(ReasonIO, f.off, "", err)
		}
		f.off++
		switch {
		case c == '\n' || c == '\r' || c == 0:
			continue
		case c >= '1' && c <= '9':
			return f.counted(int(c - '0'))
		}
		if err := f.r.UnreadByte(); err != nil {
			return nil, f.fail(ReasonIO, f.off, "", err)
		}
		f.off--
		return f.newline()
	}
}

func (f *Framer) fail(r Reason, off int64, msg string, cause error) error {
	f.err = &Error{Reason: r, Offset: off, Msg: msg, Err: cause, Fatal: true}
	return f.err
}

// counted reads an octet-counted frame whose first length digit was d.
func (f *Framer) counted(d int) ([]byte, error) {
	start := f.off - 1
	n, digits := d, 1
	for {
		c, err := f.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, f.fail(ReasonTruncated, start, "stream ended inside a frame length", nil)
			}
			return nil, f.fail(ReasonIO, f.off, "", err)
		}
		f.off++
		if c == ' ' {
			break
		}
		if c < '0' || c > '9' {
			return nil, f.fail(ReasonFrameSyntax, start, "octet count not followed by a space", nil)
		}
		digits++
		if digits > f.maxDigits {
			return nil, f.fail(ReasonFrameTooLong, start, "octet count longer than the limit", nil)
		}
		n = n*10 + int(c-'0')
	}
	if n > f.max {
		return nil, f.fail(ReasonFrameTooLong, start, "octet count "+strconv.Itoa(n)+" over the limit", nil)
	}
	// Grow with the data actually received, so a sender announcing a
	// large frame and sending nothing costs no memory.
	f.buf = f.buf[:0]
	for len(f.buf) < n {
		k := min(n-len(f.buf), readBufSize)
		f.buf = append(f.buf, make([]byte, k)...)
		got, err := io.ReadFull(f.r, f.buf[len(f.buf)-k:])
		f.off += int64(got)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, f.fail(ReasonTruncated, start, "stream ended inside a frame", nil)
			}
			return nil, f.fail(ReasonIO, f.off, "", err)
		}
	}
	return f.buf, nil
}

// newline reads a frame up to the next LF.
func (f *Framer) newline() ([]byte, error) {
	start := f.off
	line, res, n, err := readLine(f.r, f.max, &f.buf)
	f.off += n
	if err != nil {
		return nil, f.fail(ReasonIO, f.off, "", err)
	}
	switch res {
	case lineEOF:
		return nil, io.EOF
	case lineTooLong:
		return nil, &Error{Reason: ReasonFrameTooLong, Offset: start, Msg: "frame longer than the limit, skipped to its end"}
	}
	return line, nil
}
