package decode

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// readBufSize is the bufio size of the readers; lines longer than it are
// assembled in a separate buffer, up to the line limit.
const readBufSize = 64 << 10

// lineResult is what readLine found.
type lineResult int

const (
	lineOK      lineResult = iota
	lineTooLong            // the line was skipped
	lineEOF                // nothing left
)

// readLine reads up to and excluding the next LF (a final line without LF
// counts), assembling it in *buf. A line longer than max is read to its
// end without being kept. n is the number of bytes consumed.
func readLine(r *bufio.Reader, max int, buf *[]byte) (line []byte, res lineResult, n int64, err error) {
	*buf = (*buf)[:0]
	tooLong := false
	for {
		chunk, rerr := r.ReadSlice('\n')
		n += int64(len(chunk))
		if !tooLong {
			if len(*buf)+len(chunk) > max+2 { // +2: the CRLF is not content
				tooLong = true
				*buf = (*buf)[:0]
			} else if rerr == nil && len(*buf) == 0 {
				// The whole line is in the reader's buffer: no copy.
				line = chunk
			} else {
				*buf = append(*buf, chunk...)
			}
		}
		switch {
		case rerr == nil:
		case errors.Is(rerr, bufio.ErrBufferFull):
			continue
		case errors.Is(rerr, io.EOF):
			if n == 0 {
				return nil, lineEOF, 0, nil
			}
		default:
			return nil, lineEOF, n, rerr
		}
		if tooLong {
			return nil, lineTooLong, n, nil
		}
		if line == nil {
			line = *buf
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > max {
			return nil, lineTooLong, n, nil
		}
		return line, lineOK, n, nil
	}
}

// LineReader reads NDJSON (or any newline-delimited text) line by line,
// reporting each bad line and going on. It is not safe for concurrent use.
type LineReader struct {
	r    *bufio.Reader
	max  int
	line int
	off  int64
	buf  []byte
	err  error
}

// NewLineReader returns a LineReader over r. Lines longer than max bytes
// (without the line ending; max <= 0 means DefaultMaxLineBytes) are
// skipped in bounded memory: a 10 MB line costs a 64 KiB buffer, not 10 MB.
func NewLineReader(r io.Reader, max int) *LineReader {
	if max <= 0 {
		max = DefaultMaxLineBytes
	}
	return &LineReader{r: bufio.NewReaderSize(r, readBufSize), max: max}
}

// Next returns the next non-blank line, without its LF or CRLF, and its
// 1-based line number. The slice is valid until the next call.
//
// A line over the limit yields a non-fatal *Error (ReasonLineTooLong, with
// Line set); call Next again to continue with the following line. At the
// end Next returns io.EOF. A failing reader yields a fatal *Error
// (ReasonIO) wrapping its error, returned again by every later call.
func (l *LineReader) Next() (line []byte, lineNo int, err error) {
	for {
		if l.err != nil {
			return nil, l.line, l.err
		}
		start := l.off
		line, res, n, rerr := readLine(l.r, l.max, &l.buf)
		l.off += n
		if rerr != nil {
			l.err = &Error{Reason: ReasonIO, Line: l.line + 1, Offset: start, Err: rerr, Fatal: true}
			return nil, l.line, l.err
		}
		switch res {
		case lineEOF:
			return nil, l.line, io.EOF
		case lineTooLong:
			l.line++
			return nil, l.line, &Error{Reason: ReasonLineTooLong, Line: l.line, Offset: start, Msg: "line longer than the limit, skipped"}
		}
		l.line++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		return line, l.line, nil
	}
}

// DecodeLines reads r line by line (see LineReader, with o.MaxLineBytes)
// and calls fn with each line's number and decoded event or error; decode
// errors are *Error with Line set. It stops at the end of r (returning
// nil), at a read error (returned), or when fn returns an error (returned).
func DecodeLines(r io.Reader, d Decoder, o Options, fn func(lineNo int, ev Event, err error) error) error {
	o = o.withDefaults()
	lr := NewLineReader(r, o.MaxLineBytes)
	for {
		line, n, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var de *Error
		if err != nil && errors.As(err, &de) && de.Fatal {
			return err
		}
		var ev Event
		if err == nil {
			ev, err = d.Decode(line)
			if errors.As(err, &de) {
				de.Line = n
			}
		}
		if ferr := fn(n, ev, err); ferr != nil {
			return ferr
		}
	}
}
