// Package blob keeps files (evidence, signed reports) by the SHA-256 of
// their content. Put streams the content to a temporary file while hashing
// it, refuses it past a size limit, then moves it under its hash, so the
// same file uploaded twice is stored once and a stored file is never
// changed. Nothing is held whole in memory.
//
// The Store interface is small so that an S3-compatible store can sit
// behind it; Local (a folder) is the default and complete implementation.
// Because one stored file may serve several records (of any capability
// sharing the store), Delete is only for callers that have checked that
// no record refers to the hash any more.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"bulwark/internal/errs"
)

// DefaultMaxSize is the default upload limit: 100 MiB.
const DefaultMaxSize = 100 << 20

// Info describes a stored file.
type Info struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Store keeps content by SHA-256. Implementations are safe for concurrent
// use.
type Store interface {
	// Put reads r to its end and stores it; more than max bytes is an
	// errs.TooLarge error and nothing is kept. Storing content that already
	// exists succeeds and keeps one copy.
	Put(ctx context.Context, r io.Reader, max int64) (Info, error)
	// Open returns the content stored under sum, or errs.NotFound.
	Open(ctx context.Context, sum string) (io.ReadCloser, Info, error)
	// Delete removes the content stored under sum. Content is shared by
	// hash, so the caller must first make sure nothing else refers to it.
	// Deleting what is not there succeeds (a retried deletion is harmless);
	// a malformed sum is errs.Invalid.
	Delete(ctx context.Context, sum string) error
}

// Local is a Store in a folder: objects/ab/cd/<sha256>, with tmp/ for
// uploads in progress (same file system, so the final move is atomic).
type Local struct {
	dir string
}

// NewLocal returns a Local store in dir, creating its folders.
func NewLocal(dir string) (*Local, error) {
	for _, d := range []string{filepath.Join(dir, "objects"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("blob: create %s: %w", d, err)
		}
	}
	return &Local{dir: dir}, nil
}

// ValidSum reports whether s is a lower-case hex SHA-256.
func ValidSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (l *Local) path(sum string) string {
	return filepath.Join(l.dir, "objects", sum[:2], sum[2:4], sum)
}

// ctxReader stops a long copy when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, r io.Reader, max int64) (Info, error) {
	if max <= 0 {
		max = DefaultMaxSize
	}
	tmp, err := os.CreateTemp(filepath.Join(l.dir, "tmp"), "up-*")
	if err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	// One byte past the limit tells "exactly max" from "too large".
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(ctxReader{ctx, r}, max+1))
	if err != nil {
		var tl interface{ Timeout() bool }
		if errors.As(err, &tl) || errs.KindOf(err) != errs.Internal {
			return Info{}, err
		}
		return Info{}, fmt.Errorf("blob: put: read upload: %w", err)
	}
	if n > max {
		return Info{}, errs.E(errs.TooLarge, "the file is larger than the limit of %d bytes", max)
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, fmt.Errorf("blob: put: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("blob: put: close: %w", err)
	}
	info := Info{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}
	dst := l.path(info.SHA256)
	if _, err := os.Stat(dst); err == nil {
		return info, nil // already stored; the deferred clean-up drops the copy
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o440); err != nil {
		return Info{}, fmt.Errorf("blob: put: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Info{}, fmt.Errorf("blob: put: move into place: %w", err)
	}
	keep = true
	return info, nil
}

// Delete implements Store. The emptied ab/cd folders stay: removing them
// could race with a Put of other content moving a file into them.
func (l *Local) Delete(ctx context.Context, sum string) error {
	if !ValidSum(sum) {
		return errs.E(errs.Invalid, "not a file hash")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(l.path(sum)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", sum, err)
	}
	return nil
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, sum string) (io.ReadCloser, Info, error) {
	if !ValidSum(sum) {
		return nil, Info{}, errs.E(errs.NotFound, "no such file")
	}
	f, err := os.Open(l.path(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, Info{}, errs.Wrap(errs.NotFound, err, "no such file")
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("blob: open %s: %w", sum, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("blob: stat %s: %w", sum, err)
	}
	return f, Info{SHA256: sum, Size: st.Size()}, nil
}
