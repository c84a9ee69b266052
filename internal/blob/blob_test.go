package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/errs"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestLocalPutOpen(t *testing.T) {
	dir := t.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name     string
		content  []byte
		max      int64
		wantKind errs.Kind // Internal means success
	}{
		{name: "empty", content: nil, max: 10},
		{name: "small", content: []byte("chứng cứ"), max: 100},
		{name: "exactly the limit", content: bytes.Repeat([]byte("a"), 64), max: 64},
		{name: "one byte over", content: bytes.Repeat([]byte("b"), 65), max: 64, wantKind: errs.TooLarge},
		{name: "large streamed", content: bytes.Repeat([]byte("0123456789abcdef"), 1<<16), max: 2 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := l.Put(ctx, bytes.NewReader(tt.content), tt.max)
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
				t.Fatalf("Put info (-want +got):\n%s", diff)
			}
			rc, got, err := l.Open(ctx, info.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			if !bytes.Equal(b, tt.content) || got != want {
				t.Errorf("Open returned %d bytes, info %+v", len(b), got)
			}
		})
	}
	// Nothing is left behind in tmp, refused uploads included.
	left, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(left) != 0 {
		t.Errorf("tmp holds %d files after puts", len(left))
	}
}

func TestLocalDeduplicatesConcurrentPuts(t *testing.T) {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	content := strings.Repeat("evidence ", 1000)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := l.Put(context.Background(), strings.NewReader(content), 0)
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	rc, _, err := l.Open(context.Background(), sum([]byte(content)))
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
}

func TestLocalOpenRefusesBadNames(t *testing.T) {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("0", 64)} {
		if _, _, err := l.Open(context.Background(), s); !errs.Is(err, errs.NotFound) {
			t.Errorf("Open(%q) = %v, want NotFound", s, err)
		}
	}
}

func TestLocalPutCancelled(t *testing.T) {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Put(ctx, strings.NewReader("x"), 0); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
}

func BenchmarkLocalPut(b *testing.B) {
	l, err := NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{64 << 10, 8 << 20} {
		data := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8}, size/8)
		b.Run(humanSize(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				data[0] = byte(i) // a new object each time
				data[1] = byte(i >> 8)
				if _, err := l.Put(context.Background(), bytes.NewReader(data), 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func humanSize(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

// deleteCase checks Delete on any Store: the content is gone afterwards,
// other content stays, deleting twice succeeds and a malformed hash is
// refused without touching anything.
func deleteCase(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	gone, err := s.Put(ctx, strings.NewReader("ảnh chụp màn hình lừa đảo"), 0)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := s.Put(ctx, strings.NewReader("bằng chứng khác"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, gone.SHA256); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, _, err := s.Open(ctx, gone.SHA256); !errs.Is(err, errs.NotFound) {
		t.Errorf("Open after Delete = %v, want NotFound", err)
	}
	if err := s.Delete(ctx, gone.SHA256); err != nil {
		t.Errorf("second Delete = %v, want success", err)
	}
	for _, bad := range []string{"", "../x", strings.ToUpper(kept.SHA256)} {
		if err := s.Delete(ctx, bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("Delete(%q) = %v, want Invalid", bad, err)
		}
	}
	rc, _, err := s.Open(ctx, kept.SHA256)
	if err != nil {
		t.Fatalf("other content after Delete: %v", err)
	}
	rc.Close()
	// The same content stored again after a deletion is back.
	if _, err := s.Put(ctx, strings.NewReader("ảnh chụp màn hình lừa đảo"), 0); err != nil {
		t.Fatal(err)
	}
	rc, _, err = s.Open(ctx, gone.SHA256)
	if err != nil {
		t.Fatalf("Open after storing again: %v", err)
	}
	rc.Close()
}

func TestLocalDelete(t *testing.T) {
	dir := t.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	deleteCase(t, l)
	// The file itself is gone from the folder, not just hidden.
	info, _ := l.Put(context.Background(), strings.NewReader("x"), 0)
	if err := l.Delete(context.Background(), info.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.path(info.SHA256)); !os.IsNotExist(err) {
		t.Errorf("file still on disk: %v", err)
	}
}
