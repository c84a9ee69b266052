package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"bulwark/internal/api"
	"bulwark/internal/detect"
	"bulwark/internal/detect/listen"
)

// TestServeAndIngestWorker runs the scaled set-up of README: the server
// publishes event batches to a JetStream stream and a `bulwark ingest`
// worker (the command itself, on the same database) matches them. The rule
// is uploaded to the server after the worker started: the worker takes it
// up without a restart.
func TestServeAndIngestWorker(t *testing.T) {
	const natsURL = "nats://127.0.0.1:4222"
	nc, err := nats.Connect(natsURL, nats.Timeout(2*time.Second))
	if err != nil {
		if os.Getenv("BULWARK_TEST_NATS") == "required" {
			t.Fatalf("NATS at %s is required: %v", natsURL, err)
		}
		t.Skipf("NATS at %s unreachable (set BULWARK_TEST_NATS=required to fail instead): %v", natsURL, err)
	}
	t.Cleanup(nc.Close) // after the stream's deletion below
	var b [4]byte
	_, _ = rand.Read(b[:])
	stream := "TEST_CLI_" + strings.ToUpper(hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		if js, err := jetstream.New(nc); err == nil {
			_ = js.DeleteStream(context.Background(), stream)
			_ = js.DeleteKeyValue(context.Background(), stream+"_LEASES")
			_ = js.DeleteObjectStore(context.Background(), listen.StateBucket(stream))
		}
	})
	t.Setenv("BULWARK_NATS_URL", natsURL)
	t.Setenv("BULWARK_NATS_STREAM", stream)
	t.Setenv("BULWARK_NATS_SUBJECT", "test."+strings.ToLower(stream))
	t.Setenv("BULWARK_NATS_PARTITIONS", "4")
	t.Setenv("BULWARK_DETECT_RULES_REFRESH", "1s")
	data := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(data, "b.db")
	e := newTestEnv(t, dbURL, func(c *Config) { c.Data = data })

	var src detect.CreatedSource
	decodeJSON(t, e.call(t, "POST", "/api/v1/sources", detectAnalyst, `{"name":"Máy chủ","kind":"windows","format":"windows"}`, 201), &src)

	// A free port for the worker's /metrics.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runIngest(ctx, cmdEnv{stdout: io.Discard, stderr: io.Discard}, []string{"--data", data, "--database", dbURL, "--log-level", "error",
			"--metrics-addr", metricsAddr})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil && err != context.Canceled {
			t.Errorf("ingest = %v", err)
		}
	}()

	// The worker is up once its heartbeat is in the lease bucket.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if kv, err := js.KeyValue(ctx, stream+"_LEASES"); err == nil {
			if keys, err := kv.ListKeysFiltered(ctx, "w.*"); err == nil {
				n := 0
				for range keys.Keys() {
					n++
				}
				if n > 0 {
					break
				}
			}
		}
		if time.Since(start) > 20*time.Second {
			t.Fatal("the ingest worker did not start")
		}
	}

	e.uploadRule(t, "whoami.yml", apiTestRule)
	// The worker reloads rules within a second or so; events sent before
	// it did would match nothing, so wait for the reload to be due.
	time.Sleep(3 * time.Second)

	body := sysmonLine(`C:\Windows\System32\whoami.exe`, "whoami /all") + "\n" + sysmonLine(`C:\Windows\System32\svchost.exe`, "svchost -k netsvcs")
	resp, out := e.sendEvents(t, src.Token, []byte(body), false)
	var res detect.IngestResult
	decodeJSON(t, out, &res)
	if resp.StatusCode != 200 || res.Accepted != 2 || !res.Queued {
		t.Fatalf("events = %d %+v, want 2 accepted into the stream", resp.StatusCode, res)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var page api.Page[detect.Alert]
		decodeJSON(t, e.call(t, "GET", "/api/v1/alerts", detectAnalyst, "", 200), &page)
		if page.Total == 1 && page.Items[0].Title == "Whoami Execution From Web Server" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert from the worker: %+v", page)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The worker's own metrics: what it matched, and its partitions.
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"bulwark_ingest_partitions_held 4", "bulwark_detect_batch_seconds_count 1", `bulwark_detect_hits_total{kind="rule"} 1`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("worker metrics lack %q", want)
		}
	}
	var got detect.Source
	decodeJSON(t, e.call(t, "GET", fmt.Sprintf("/api/v1/sources/%d", src.ID), detectAnalyst, "", 200), &got)
	if got.Accepted != 2 || got.Matched != 1 {
		t.Errorf("source counts: accepted %d, matched %d; want 2 and 1", got.Accepted, got.Matched)
	}
}
