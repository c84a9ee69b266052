package decode

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEventGetLargeAndDuplicates(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{`)
	for i := range 100 {
		fmt.Fprintf(&b, `"f%d":%d,`, i, i)
	}
	b.WriteString(`"f7":"again","x":{"f8":1},"x.f8":2}`)
	ev, err := NewJSONDecoder(Options{}).Decode([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Len() != 101 {
		t.Errorf("Len() = %d, want 101", ev.Len())
	}
	for i := range 100 {
		name := fmt.Sprintf("f%d", i)
		want := fmt.Sprint(i)
		if i == 7 {
			want = "again"
		}
		if got := ev.Text(name); got != want {
			t.Errorf("Text(%s) = %q, want %q", name, got, want)
		}
	}
	if got := ev.Text("x.f8"); got != "2" {
		t.Errorf(`Text("x.f8") = %q, want "2" (last wins)`, got)
	}
	if ev.Has("nope") {
		t.Errorf("Has(nope) = true")
	}
}

func TestEventSetDeleteCopy(t *testing.T) {
	ev, err := NewSyslogDecoder(Options{Now: fixedNow}).Decode([]byte(sampleRFC5424))
	if err != nil {
		t.Fatal(err)
	}
	before := ev
	n := ev.Len()
	if !ev.Delete(FieldSourceToken) {
		t.Fatalf("Delete(token) = false")
	}
	ev.Set("agency.id", Int(42))
	ev.Set("host.name", String("renamed"))
	if ev.Has(FieldSourceToken) || ev.Text("agency.id") != "42" || ev.Text("host.name") != "renamed" || ev.Len() != n {
		t.Errorf("after Delete/Set: token %v, agency %q, host %q, len %d (want %d)", ev.Has(FieldSourceToken), ev.Text("agency.id"), ev.Text("host.name"), ev.Len(), n)
	}
	if before.Text(FieldSourceToken) != "s3cr3t-token" || before.Has("agency.id") || before.Text("host.name") != "fw-01.so-tc.local" {
		t.Errorf("the earlier copy changed")
	}
}

func TestValue(t *testing.T) {
	type got struct {
		Kind  string
		Text  string
		Str   string
		F     float64
		FOK   bool
		I     int64
		IOK   bool
		B     bool
		BOK   bool
		N     int
		Scals []string
	}
	probe := func(v Value) got {
		g := got{Kind: v.Kind().String(), Text: v.Text(), Str: v.String(), N: len(v.List())}
		g.F, g.FOK = v.Float()
		g.I, g.IOK = v.Int()
		g.B, g.BOK = v.Bool()
		for s := range v.Scalars() {
			g.Scals = append(g.Scals, s.Text())
		}
		return g
	}
	tests := []struct {
		name string
		v    Value
		want got
	}{
		{"string", String("12"), got{Kind: "string", Text: "12", Str: "12", F: 12, FOK: true, I: 12, IOK: true, Scals: []string{"12"}}},
		{"number", Number("1.50"), got{Kind: "number", Text: "1.50", Str: "1.50", F: 1.5, FOK: true, Scals: []string{"1.50"}}},
		{"bool", Bool(true), got{Kind: "bool", Text: "true", Str: "true", B: true, BOK: true, Scals: []string{"true"}}},
		{"null", Null(), got{Kind: "null"}},
		{"zero", Value{}, got{Kind: "none"}},
		{"list", List(String("a"), Int(2), Null()), got{Kind: "list", Str: "[a, 2, ]", N: 3, Scals: []string{"a", "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, probe(tt.v)); diff != "" {
				t.Errorf("Value %s (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// TestIndexHoldsManyFields checks the index (positions in 20 bits, hash
// bits above) on an event with more fields than a small table has
// entries, duplicates folded, and that Options bounds the values of an
// event below what the index can hold.
func TestIndexHoldsManyFields(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	const n = 5000
	for i := range n {
		fmt.Fprintf(&b, `"f%d":%d,`, i, i)
	}
	b.WriteString(`"f7":"last"}`)
	ev, err := NewJSONDecoder(Options{}).Decode([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Len() != n {
		t.Fatalf("%d fields, want %d (the duplicate folded)", ev.Len(), n)
	}
	for i := range n {
		want := strconv.Itoa(i)
		if i == 7 {
			want = "last"
		}
		if got := ev.Text("f" + strconv.Itoa(i)); got != want {
			t.Fatalf("f%d = %q, want %q", i, got, want)
		}
	}
	if ev.Has("f5000") || ev.Has("g1") {
		t.Error("absent names found")
	}
	if got := (Options{MaxValues: 1 << 24}).withDefaults().MaxValues; got >= maxFields {
		t.Errorf("MaxValues 1<<24 becomes %d, want below %d", got, maxFields)
	}
}
