package detect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"

	"bulwark/internal/detect/decode"
	"bulwark/internal/sharedtest"
	"bulwark/internal/sigma"
)

// TestDecodeStream checks how hunting splits a stream into events:
// NDJSON by line, pretty-printed JSON (as EVTX converters write records)
// by object, with the line each object starts on.
func TestDecodeStream(t *testing.T) {
	type got struct {
		line int
		id   string // the event's "id", or "error"
	}
	tests := []struct {
		name string
		in   string
		want []got
	}{
		{"ndjson", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n", []got{{1, "a"}, {2, "b"}}},
		{"ndjson with a bad line", "{\"id\":\"a\"}\n{nope\n{\"id\":\"c\"}\n", []got{{1, "a"}, {2, "error"}, {3, "c"}}},
		{"one pretty object", "{\n  \"id\": \"a\",\n  \"n\": {\"x\": 1}\n}\n", []got{{1, "a"}}},
		{"pretty objects one after another", "{\n \"id\": \"a\"\n}\n{\n \"id\": \"b\"\n}", []got{{1, "a"}, {4, "b"}}},
		{"an array", "[\n  {\"id\": \"a\"},\n  {\n    \"id\": \"b\"\n  }\n]\n", []got{{2, "a"}, {3, "b"}}},
		{"an array on one line", "[{\"id\":\"a\"},{\"id\":\"b\"}]", []got{{1, "a"}, {1, "b"}}},
		{"not an object in the array", "[\n{\"id\":\"a\"},\n7\n]", []got{{2, "a"}, {3, "error"}}},
		{"broken pretty JSON stops the stream", "{\n \"id\": \"a\"\n}\n{\n \"id\": \n", []got{{1, "a"}, {4, "error"}}},
		{"byte order mark", "\ufeff{\n \"id\": \"a\"\n}\n", []got{{1, "a"}}},
		{"an array cut after a comma", "[\n{\"id\":\"a\"},\n", []got{{2, "a"}, {3, "error"}}},
		{"data after the array", "[\n{\"id\":\"a\"}\n]\n[\n{\"id\":\"b\"}\n]\n", []got{{2, "a"}, {4, "error"}}},
		{"a stray bracket after an object", "{\n \"id\": \"a\"\n}\n}\n{\n \"id\": \"b\"\n}\n", []got{{1, "a"}, {4, "error"}}},
		{"an array without its closing bracket", "[\n{\"id\":\"a\"}\n", []got{{2, "a"}}},
	}
	dec, err := decode.New(decode.KindJSON, decode.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out []got
			err := decodeStream(strings.NewReader(tc.in), dec, decode.Options{}, func(n int, ev decode.Event, err error) error {
				if err != nil {
					out = append(out, got{n, "error"})
				} else {
					out = append(out, got{n, ev.Text("id")})
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(out, tc.want) {
				t.Errorf("got %v, want %v", out, tc.want)
			}
		})
	}
	t.Run("line numbers of many objects", func(t *testing.T) {
		in := jsonArray(1000, func(i int) string { return "{\n  \"id\": \"" + strconv.Itoa(i) + "\"\n}" })
		i := 0
		err := decodeStream(strings.NewReader(in), dec, decode.Options{}, func(n int, ev decode.Event, err error) error {
			if err != nil || ev.Text("id") != strconv.Itoa(i) || n != 2+3*i {
				t.Fatalf("event %d: line %d, id %q, err %v", i, n, ev.Text("id"), err)
			}
			i++
			return nil
		})
		if err != nil || i != 1000 {
			t.Fatalf("%d events, err %v", i, err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		old := maxPrettyJSONBytes
		maxPrettyJSONBytes = 64
		defer func() { maxPrettyJSONBytes = old }()
		in := "{\n \"id\": \"" + strings.Repeat("x", 100) + "\"\n}\n"
		err := decodeStream(strings.NewReader(in), dec, decode.Options{}, func(int, decode.Event, error) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "one object per line") {
			t.Fatalf("err = %v, want the size refusal", err)
		}
	})
	t.Run("the callback's error ends the stream", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := decodeStream(strings.NewReader("[{\"id\":\"a\"},{\"id\":\"b\"}]"), dec, decode.Options{}, func(int, decode.Event, error) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("err = %v after %d calls", err, calls)
		}
	})
}

// jsonArray is a pretty-printed JSON array of n records.
func jsonArray(n int, record func(i int) string) string {
	var b strings.Builder
	b.WriteString("[\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(record(i))
	}
	b.WriteString("\n]\n")
	return b.String()
}

// BenchmarkDecodeStreamArray reads a pretty-printed array of many small
// records: the cost per record must not grow with the records before it.
func BenchmarkDecodeStreamArray(b *testing.B) {
	in := jsonArray(20000, func(i int) string { return "  {\"id\": \"" + strconv.Itoa(i) + "\", \"n\": 1}" })
	dec, err := decode.New(decode.KindJSON, decode.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := decodeStream(strings.NewReader(in), dec, decode.Options{}, func(int, decode.Event, error) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// regressionDir holds SigmaHQ's published regression samples (see its
// README): one EVTX record rendered as pretty-printed JSON per rule, named
// by the rule's id.
const regressionDir = "testdata/public/sigmahq-regression"

// regressionMisses are the published samples that must not fire their
// rule here, with the reason: SigmaHQ's own checker passes them because it
// reads less of the event than the rule names, or runs a later version of
// the rule than the snapshot's.
var regressionMisses = map[string]string{
	// WMI Event Subscription: the sample is the SCM Event Provider's
	// registration (Provider, Query, User and PossibleCause in UserData),
	// exactly what the rule's filter_scmevent excludes; a checker that
	// does not read UserData never applies the filter.
	"0b7889b4-5577-4521-a60a-3376ee7f9f7b": "the rule's own filter excludes the sample",
	// CAPI2 private key acquisition (service capi2, EventID 70): the
	// sample is event 70 of the RemoteDesktopServices-RdpCoreTS channel,
	// outside the rule's logsource.
	"e2b5163d-7deb-4566-9af3-40afea6858c3": "the sample's channel is not the rule's logsource",
	// HackTool - Dumpert: the snapshot's version of the rule looks for
	// "MD5=09D278F9…" in Hashes; the sample carries that value as its
	// IMPHASH, which a later version of the rule (without "MD5=")
	// matches.
	"2704ab9e-afe2-4854-a3b1-0c0706d03578": "the snapshot's rule predates the sample",
}

// TestSigmaHQRegressionSamples hunts SigmaHQ's own published test events
// with the SigmaHQ snapshot's rules, the way `bulwark hunt` does: every
// sample must fire the rule it was published for, except the few listed
// in regressionMisses, which must not.
func TestSigmaHQRegressionSamples(t *testing.T) {
	samples, err := filepath.Glob(filepath.Join(regressionDir, "*.json"))
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples in %s: %v", regressionDir, err)
	}
	want := map[string]bool{}
	for _, s := range samples {
		want[strings.TrimSuffix(filepath.Base(s), ".json")] = true
	}
	col, _ := sigmaHQSnapshot(t)
	t.Logf("%d samples; %d SigmaHQ rules loaded, %d rejected", len(samples), len(col.Rules), len(col.Rejects))
	for id := range want {
		if !slices.ContainsFunc(col.Rules, func(r *sigma.CompiledRule) bool { return r.ID == id }) {
			t.Errorf("sample %s.json: no rule with that id in the snapshot", id)
		}
	}
	fired, sum := huntRegression(t, NewRules(col), samples)
	if sum.Rejected > 0 {
		t.Errorf("%d samples did not decode", sum.Rejected)
	}
	ok := 0
	for id := range want {
		hit := slices.Contains(fired[id], id)
		if hit {
			ok++
		}
		switch why, miss := regressionMisses[id]; {
		case miss && hit:
			t.Errorf("sample %s.json fired its rule, listed as a miss (%s)", id, why)
		case !miss && !hit:
			t.Errorf("sample %s.json did not fire its rule; fired: %v", id, fired[id])
		}
	}
	for id := range regressionMisses {
		if !want[id] {
			t.Errorf("regressionMisses names %s, which has no sample", id)
		}
	}
	t.Logf("%d of %d samples fire their rule, %d are known not to (%d events, %d matches in all)", ok, len(want), len(regressionMisses), sum.Events, sum.Matches)
}

// sigmaHQSnapshot loads every rule file of the SigmaHQ snapshot in
// ../shared/testdata, straight from the archive, and returns the files by
// the id of the rules they hold.
func sigmaHQSnapshot(t *testing.T) (*sigma.Collection, map[string][]byte) {
	t.Helper()
	col := &sigma.Collection{}
	byName := map[string][]byte{}
	sharedtest.SigmaHQRules(t, func(name string, data []byte) {
		byName[name] = data
		col.AddBytes(name, data, sigma.LoadOptions{})
	})
	files := map[string][]byte{}
	for _, r := range col.Rules {
		file, _, _ := strings.Cut(r.Source, "#") // name#document
		files[r.ID] = byName[file]
	}
	return col, files
}

// huntRegression hunts the samples with rules and returns, per sample id,
// the ids of the rules that fired on it.
func huntRegression(t *testing.T, rules *Rules, samples []string) (map[string][]string, HuntSummary) {
	t.Helper()
	fired := map[string][]string{}
	sum, err := Hunt(context.Background(), HuntOptions{Rules: rules, Format: decode.KindWindows}, samples, func(m HuntMatch) error {
		id := strings.TrimSuffix(m.File, ".json")
		fired[id] = append(fired[id], m.RuleID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fired, sum
}

// FuzzDecodeStream feeds hunting's stream splitter any input: it must not
// panic, and the line numbers it reports never go back.
func FuzzDecodeStream(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n", "{\n \"a\": 1\n}\n{\n", "[\n{\"a\":[1,{\"b\":2}]},\n3]", "\ufeff[", "{\n\"a\":\"\\u00", "[{}]x"} {
		f.Add(s)
	}
	dec, err := decode.New(decode.KindAuto, decode.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		last := 0
		_ = decodeStream(strings.NewReader(in), dec, decode.Options{}, func(n int, _ decode.Event, _ error) error {
			if n < last {
				t.Fatalf("line %d after line %d", n, last)
			}
			last = n
			return nil
		})
	})
}

// TestRegressionSamplesListed checks that SOURCES.tsv names every
// regression sample with its published path and its length in
// characters, so a sample edited by accident shows.
func TestRegressionSamplesListed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(regressionDir, "SOURCES.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	listed := map[string]bool{}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 5 {
			t.Fatalf("SOURCES.tsv: %q has %d columns, want 5", l, len(f))
		}
		id, path, chars := f[0], f[2], f[4]
		if !strings.HasPrefix(path, "regression_data/") || !strings.HasSuffix(path, "/"+id+".json") {
			t.Errorf("%s: path %q is not its published sample", id, path)
		}
		text, err := os.ReadFile(filepath.Join(regressionDir, id+".json"))
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if n := strconv.Itoa(utf8.RuneCount(text)); n != chars {
			t.Errorf("%s.json has %s characters, SOURCES.tsv says %s as published", id, n, chars)
		}
		listed[id] = true
	}
	samples, _ := filepath.Glob(filepath.Join(regressionDir, "*.json"))
	for _, s := range samples {
		if id := strings.TrimSuffix(filepath.Base(s), ".json"); !listed[id] {
			t.Errorf("%s is not in SOURCES.tsv", filepath.Base(s))
		}
	}
	if len(listed) != len(samples) {
		t.Errorf("SOURCES.tsv lists %d samples, the folder holds %d", len(listed), len(samples))
	}
}

// TestRegressionSamplesAgainstSigmaGo runs sigma-go v0.6.6 (the baseline
// bulwark bench measures against) on the same published samples, each
// with its own rule only, as SigmaHQ's checker does, and on the fields
// our decoder gives it (so field mapping is not held against it). Every
// sample sigma-go matches must fire here too; the figures go to the log.
func TestRegressionSamplesAgainstSigmaGo(t *testing.T) {
	samples, err := filepath.Glob(filepath.Join(regressionDir, "*.json"))
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples in %s: %v", regressionDir, err)
	}
	col, files := sigmaHQSnapshot(t)
	fired, _ := huntRegression(t, NewRules(col), samples)
	dec, err := decode.New(decode.KindWindows, decode.Options{})
	if err != nil {
		t.Fatal(err)
	}
	oursFired, goFired, goRejected := 0, 0, 0
	for _, s := range samples {
		id := strings.TrimSuffix(filepath.Base(s), ".json")
		ours, theirs := slices.Contains(fired[id], id), false
		rule, ok := files[id]
		if !ok {
			t.Fatalf("%s: no rule file", id)
		}
		gr, err := sigmago.ParseRule(rule)
		if err != nil {
			goRejected++
		} else {
			ev := evaluator.ForRule(gr)
			f, _ := os.Open(s)
			err = decodeStream(f, dec, decode.Options{}, func(_ int, e decode.Event, err error) error {
				if err != nil {
					return nil
				}
				m := map[string]any{}
				for _, fl := range e.Fields() {
					m[fl.Name] = fl.Value.String()
				}
				res, _ := ev.Matches(context.Background(), m)
				theirs = theirs || res.Match
				return nil
			})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		if ours {
			oursFired++
		}
		if theirs {
			goFired++
			// sigma-go reads no logsource: it fires the capi2 rule on
			// the sample from another channel (regressionMisses).
			if _, miss := regressionMisses[id]; !ours && !miss {
				t.Errorf("%s: sigma-go fires its rule, bulwark does not", id)
			}
		}
	}
	t.Logf("%d published samples, each with its own rule: bulwark fires %d; sigma-go v0.6.6 fires %d (its parser rejects %d of the rules)",
		len(samples), oursFired, goFired, goRejected)
}

// TestHuntTextFormatsByLine: in the text formats a file is read line by
// line even when its first line starts with '[', which in a JSON format
// would announce an array.
func TestHuntTextFormatsByLine(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "app.log")
	text := "[2026-11-20 10:00:00] app started\n<34>Nov 20 10:00:01 host sshd[42]: Failed password for root from 203.0.113.9 port 22 ssh2\n<34>Nov 20 10:00:02 host sshd[42]: Failed password for root from 203.0.113.9 port 22 ssh2\n"
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []decode.SourceKind{decode.KindSyslog, decode.KindAccessLog} {
		sum, err := Hunt(context.Background(), HuntOptions{Format: f}, []string{name}, func(HuntMatch) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if got := sum.Events + sum.Rejected; got != 3 {
			t.Errorf("%s: %d events and %d rejected, want the 3 lines read one by one", f, sum.Events, sum.Rejected)
		}
	}
}
