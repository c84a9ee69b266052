package misp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MISP writes numbers and booleans sometimes as JSON numbers and sometimes
// as strings ("3", "1", "true"), depending on version and endpoint; these
// types accept both.

// flexInt is an integer that may be written as a string. Null and "" leave
// it unset.
type flexInt struct {
	V   int64
	Set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*f = flexInt{}
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*f = flexInt{V: n, Set: true}
	return nil
}

// flexBool is a boolean that may be written as true, "true", 1 or "1".
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "true", "1":
		*f = true
	case "false", "0", "", "null":
		*f = false
	default:
		return fmt.Errorf("not a boolean: %s", b)
	}
	return nil
}

// errLimit is what boundedReader returns when a value outgrows its limit.
var errLimit = errors.New("size limit reached")

// boundedReader caps how far the decoder may read while one value is being
// decoded; the decoder reads only when the current value is incomplete, so
// errLimit means that value is too large.
type boundedReader struct {
	r     io.Reader
	n     int64
	limit int64 // -1 when no value is being bounded
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.limit >= 0 {
		left := b.limit - b.n
		if left <= 0 {
			return 0, errLimit
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

// skipValue consumes one JSON value token by token, so that large members
// we do not use (galaxies, related events) never sit in memory whole.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}
