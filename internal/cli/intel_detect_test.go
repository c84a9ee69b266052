package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"bulwark/internal/detect"
)

// TestNewIndicatorMatchedSoon: with detection's loop running, an indicator
// shared through the API is matched by the next events within seconds (the
// intel change hook asks for a rebuild), not at the five-minute refresh.
func TestNewIndicatorMatchedSoon(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.app.Detect.Run(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for e.app.Detect.IndexStats().Took == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first index build did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if e.app.Detect.Config().IndexRefresh < time.Minute {
		t.Fatalf("index refresh is %s: the test would not show the hook", e.app.Detect.Config().IndexRefresh)
	}
	var src detect.CreatedSource
	decodeJSON(t, e.call(t, "POST", "/api/v1/sources", detectAnalyst, `{"name":"Cổng dịch vụ công","kind":"windows","format":"windows"}`, 201), &src)
	event := []byte(`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"Computer":"web01","Image":"C:\\x.exe","DestinationIp":"203.0.113.91","DestinationPort":443}` + "\n")
	var res detect.IngestResult
	_, b := e.sendEvents(t, src.Token, event, false)
	decodeJSON(t, b, &res)
	if res.Matched != 0 {
		t.Fatalf("matched before the indicator exists: %+v", res)
	}
	e.call(t, "POST", "/api/v1/indicators", standAnalyst, `{"type":"ipv4","value":"203.0.113.91","tlp":"GREEN","confidence":90,"confirm":true}`, 201)
	start := time.Now()
	for {
		_, b := e.sendEvents(t, src.Token, event, false)
		decodeJSON(t, b, &res)
		if res.Matched == 1 {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("the new indicator is not matched 20 s after it was shared")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("new indicator matched %s after it was shared", time.Since(start).Round(10*time.Millisecond))
}
