package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"bulwark/internal/errs"
)

type sample struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantKind  errs.Kind
		wantField string
		wantErr   bool
	}{
		{name: "ok", body: `{"name":"a","count":2,"tags":["x"]}`},
		{name: "empty", body: ``, wantErr: true, wantKind: errs.Invalid},
		{name: "unknown field", body: `{"nam":"a"}`, wantErr: true, wantKind: errs.Invalid, wantField: "nam"},
		{name: "wrong type", body: `{"count":"two"}`, wantErr: true, wantKind: errs.Invalid, wantField: "count"},
		{name: "syntax", body: `{"name":}`, wantErr: true, wantKind: errs.Invalid},
		{name: "truncated", body: `{"name":"a"`, wantErr: true, wantKind: errs.Invalid},
		{name: "trailing", body: `{"name":"a"}{"name":"b"}`, wantErr: true, wantKind: errs.Invalid},
		{name: "array not object", body: `[1,2]`, wantErr: true, wantKind: errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v sample
			err := Decode(strings.NewReader(tt.body), &v)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode(%q) = %v, want error %v", tt.body, err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if k := errs.KindOf(err); k != tt.wantKind {
				t.Errorf("Decode(%q) kind = %v, want %v", tt.body, k, tt.wantKind)
			}
			if f := errs.FieldOf(err); f != tt.wantField {
				t.Errorf("Decode(%q) field = %q, want %q", tt.body, f, tt.wantField)
			}
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, httpBody(`{"name":"`+strings.Repeat("a", 2000)+`"}`), 100)
	var v sample
	err := Decode(body, &v)
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		t.Errorf("Decode over the limit = %v, want *http.MaxBytesError", err)
	}
}

func httpBody(s string) *nopCloser { return &nopCloser{strings.NewReader(s)} }

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// FuzzDecode: the API's only decoder of outside JSON never panics and
// always returns either a value or a classified, user-safe error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name":"a","count":1}`, `{"tags":[]}`, `{`, `{"x":1}`, `null`, `[]`, `"s"`, `{"count":1e999}`, "{\"name\":\"\xff\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var v sample
		err := Decode(strings.NewReader(body), &v)
		if err != nil && errs.KindOf(err) != errs.Invalid {
			t.Errorf("Decode(%q) error kind %v, want Invalid", body, errs.KindOf(err))
		}
	})
}
