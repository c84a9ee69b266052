package blob

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"bulwark/internal/errs"
)

// newS3 starts an in-memory S3 server (gofakes3) with a bucket and
// returns a store on it and the server's backend listing.
func newS3(t *testing.T) (*S3, func() []string) {
	t.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	ctx := context.Background()
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4("k", "s", ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MakeBucket(ctx, "evidence", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := NewS3(ctx, S3Config{Endpoint: u.Host, Bucket: "evidence", Region: "us-east-1", AccessKey: "k", SecretKey: "s", Prefix: "bulwark/", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		var keys []string
		for o := range c.ListObjects(ctx, "evidence", minio.ListObjectsOptions{Recursive: true}) {
			keys = append(keys, o.Key)
		}
		return keys
	}
	return s, list
}

func TestS3PutOpen(t *testing.T) {
	s, list := newS3(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		content  []byte
		max      int64
		wantKind errs.Kind
	}{
		{name: "small", content: []byte("chứng cứ"), max: 100},
		{name: "exactly the limit", content: bytes.Repeat([]byte("a"), 64), max: 64},
		{name: "one byte over", content: bytes.Repeat([]byte("b"), 65), max: 64, wantKind: errs.TooLarge},
		{name: "several parts", content: bytes.Repeat([]byte("0123456789abcdef"), (PartSize*2+12345)/16), max: 64 << 20},
		{name: "over the limit after a part", content: bytes.Repeat([]byte("z"), PartSize+10), max: PartSize + 1, wantKind: errs.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := s.Put(ctx, bytes.NewReader(tt.content), tt.max)
			if tt.wantKind != errs.Internal {
				if errs.KindOf(err) != tt.wantKind {
					t.Fatalf("Put = %v, want kind %v", err, tt.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Info{SHA256: sum(tt.content), Size: int64(len(tt.content))}
			if diff := cmp.Diff(want, info); diff != "" {
				t.Fatalf("Put (-want +got):\n%s", diff)
			}
			rc, got, err := s.Open(ctx, info.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(b, tt.content) || got != want {
				t.Errorf("Open = %d bytes, %+v", len(b), got)
			}
		})
	}
	// The same content twice is one object; no temporary object is left.
	if _, err := s.Put(ctx, strings.NewReader("chứng cứ"), 0); err != nil {
		t.Fatal(err)
	}
	for _, k := range list() {
		if !strings.HasPrefix(k, "bulwark/objects/") {
			t.Errorf("left behind: %s", k)
		}
	}
	if n := len(list()); n != 3 {
		t.Errorf("%d objects, want 3", n)
	}
	for _, bad := range []string{"", "../x", strings.Repeat("0", 64)} {
		if _, _, err := s.Open(ctx, bad); !errs.Is(err, errs.NotFound) {
			t.Errorf("Open(%q) = %v, want NotFound", bad, err)
		}
	}
}

func TestS3MissingBucket(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	if _, err := NewS3(context.Background(), S3Config{Endpoint: u.Host, Bucket: "nope", Region: "us-east-1", Insecure: true}); err == nil {
		t.Fatal("NewS3 on a missing bucket succeeded")
	}
}

func TestS3Delete(t *testing.T) {
	s, list := newS3(t)
	deleteCase(t, s)
	// Two contents were stored, one deleted and stored again: both keys
	// are there and nothing else.
	if keys := list(); len(keys) != 2 {
		t.Errorf("objects after deletes = %v, want 2", keys)
	}
	info, err := s.Put(context.Background(), strings.NewReader("x"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(context.Background(), info.SHA256); err != nil {
		t.Fatal(err)
	}
	for _, k := range list() {
		if strings.HasSuffix(k, info.SHA256) {
			t.Errorf("object %s still in the bucket", k)
		}
	}
}
