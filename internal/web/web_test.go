package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"bulwark/internal/errs"
)

func TestLimiter(t *testing.T) {
	l := NewLimiter(time.Minute, 3)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if !l.Allow("a") {
			t.Fatalf("event %d refused within burst", i)
		}
	}
	if l.Allow("a") {
		t.Error("fourth event allowed")
	}
	if !l.Allow("b") {
		t.Error("another key was limited")
	}
	now = now.Add(time.Minute)
	if !l.Allow("a") {
		t.Error("not refilled after the interval")
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := SecurityHeaders(false)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for k, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": ContentSecurityPolicy,
		"Referrer-Policy":         "same-origin",
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestStatus(t *testing.T) {
	tests := map[errs.Kind]int{errs.Invalid: 400, errs.Unauthorized: 401, errs.Forbidden: 403, errs.NotFound: 404,
		errs.Conflict: 409, errs.TooLarge: 413, errs.RateLimited: 429, errs.Internal: 500, errs.Unavailable: 503}
	for k, want := range tests {
		if got := Status(k); got != want {
			t.Errorf("Status(%v) = %d, want %d", k, got, want)
		}
	}
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "198.51.100.2:5555"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 10.0.0.1")
	if got := ClientIP(r, false); got != "198.51.100.2" {
		t.Errorf("ClientIP without proxy = %q", got)
	}
	if got := ClientIP(r, true); got != "203.0.113.9" {
		t.Errorf("ClientIP with proxy = %q", got)
	}
}
