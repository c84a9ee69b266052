package blob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"bulwark/internal/errs"
)

// S3Config names an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...).
type S3Config struct {
	Endpoint  string // host[:port], e.g. s3.example.gov.vn
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string
	Prefix    string // key prefix inside the bucket, e.g. "bulwark/"
	Insecure  bool   // plain HTTP (tests, a local MinIO)
	// Transport overrides the HTTP transport (private CAs, tests).
	Transport http.RoundTripper
}

// S3 is a Store in an S3-compatible bucket, through minio-go. An upload
// goes to a temporary key in parts (at most PartSize in memory at once)
// while its SHA-256 is computed, then is copied server-side to its
// content address and the temporary object removed.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
}

// PartSize is the size of the parts an upload of unknown length is sent
// in; it bounds the memory one upload uses.
const PartSize = 8 << 20

// NewS3 connects to the bucket and checks that it exists.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("blob: S3 needs an endpoint and a bucket")
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    !cfg.Insecure,
		Region:    cfg.Region,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: S3 client: %w", err)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "the S3 evidence store does not answer")
	}
	if !ok {
		return nil, fmt.Errorf("blob: S3 bucket %q does not exist", cfg.Bucket)
	}
	return &S3{c: c, bucket: cfg.Bucket, prefix: cfg.Prefix}, nil
}

func (s *S3) key(sum string) string { return s.prefix + "objects/" + sum[:2] + "/" + sum }

// limitedHash counts and hashes what is read, and fails past max so an
// oversized upload stops at once instead of being sent whole.
type limitedHash struct {
	ctx  context.Context
	r    io.Reader
	h    hash.Hash
	n    int64
	max  int64
	over bool
}

var errTooLarge = errors.New("upload over the size limit")

func (l *limitedHash) Read(p []byte) (int, error) {
	if err := l.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		l.over = true
		return 0, errTooLarge
	}
	l.h.Write(p[:n])
	return n, err
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, r io.Reader, max int64) (Info, error) {
	if max <= 0 {
		max = DefaultMaxSize
	}
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	tmp := s.prefix + "tmp/" + hex.EncodeToString(rnd[:])
	lr := &limitedHash{ctx: ctx, r: r, h: sha256.New(), max: max}
	// The payload is not signed chunk by chunk (we hash it ourselves, and
	// TLS protects it on the way), which every S3-compatible server takes.
	_, err := s.c.PutObject(ctx, s.bucket, tmp, lr, -1, minio.PutObjectOptions{PartSize: PartSize, DisableContentSha256: true,
		ContentType: "application/octet-stream"})
	if err != nil {
		_ = s.c.RemoveObject(context.WithoutCancel(ctx), s.bucket, tmp, minio.RemoveObjectOptions{})
		if lr.over {
			return Info{}, errs.E(errs.TooLarge, "the file is larger than the limit of %d bytes", max)
		}
		if ctx.Err() != nil {
			return Info{}, ctx.Err()
		}
		if kind := errs.KindOf(err); kind != errs.Internal {
			return Info{}, err
		}
		return Info{}, errs.Wrap(errs.Unavailable, err, "the evidence store refused the file")
	}
	defer s.c.RemoveObject(context.WithoutCancel(ctx), s.bucket, tmp, minio.RemoveObjectOptions{})
	info := Info{SHA256: hex.EncodeToString(lr.h.Sum(nil)), Size: lr.n}
	if _, err := s.c.StatObject(ctx, s.bucket, s.key(info.SHA256), minio.StatObjectOptions{}); err == nil {
		return info, nil // already stored
	}
	if _, err := s.c.CopyObject(ctx, minio.CopyDestOptions{Bucket: s.bucket, Object: s.key(info.SHA256)},
		minio.CopySrcOptions{Bucket: s.bucket, Object: tmp}); err != nil {
		return Info{}, errs.Wrap(errs.Unavailable, err, "the evidence store could not keep the file")
	}
	return info, nil
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, sum string) (io.ReadCloser, Info, error) {
	if !ValidSum(sum) {
		return nil, Info{}, errs.E(errs.NotFound, "no such file")
	}
	st, err := s.c.StatObject(ctx, s.bucket, s.key(sum), minio.StatObjectOptions{})
	if err != nil {
		if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" || strings.Contains(code, "NotFound") {
			return nil, Info{}, errs.Wrap(errs.NotFound, err, "no such file")
		}
		return nil, Info{}, errs.Wrap(errs.Unavailable, err, "the evidence store does not answer")
	}
	o, err := s.c.GetObject(ctx, s.bucket, s.key(sum), minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, errs.Wrap(errs.Unavailable, err, "the evidence store does not answer")
	}
	return o, Info{SHA256: sum, Size: st.Size}, nil
}

// Delete implements Store. S3 answers a removal of a missing key with
// success, which is what Delete promises.
func (s *S3) Delete(ctx context.Context, sum string) error {
	if !ValidSum(sum) {
		return errs.E(errs.Invalid, "not a file hash")
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.key(sum), minio.RemoveObjectOptions{}); err != nil {
		if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" || strings.Contains(code, "NotFound") {
			return nil
		}
		return errs.Wrap(errs.Unavailable, err, "the evidence store could not delete the file")
	}
	return nil
}
