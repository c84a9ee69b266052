package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/go-json-experiment/json/jsontext"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/detect"
	"bulwark/internal/detect/decode"
	"bulwark/internal/detect/index"
	"bulwark/internal/sigma"
	"bulwark/internal/store"
)

// benchLine is one event as it arrives on the wire.
type benchLine struct {
	raw    []byte
	format decode.SourceKind
}

// runBench measures detection's throughput, latency and memory against two
// baselines in the same run: sigma-go v0.6.6 evaluating the same rules on
// the same events, and the fastest JSON parser among the dependencies just
// parsing them. It runs outside the test suite.
func runBench(ctx context.Context, e cmdEnv, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var rules, events multiFlag
	fs.Var(&rules, "rules", "folder or file of Sigma rules (repeatable; default: none, indicator figures only)")
	fs.Var(&events, "events", "event files as for hunt (repeatable; default: a generated mix of Windows, Suricata, web and syslog events)")
	indicators := fs.String("indicators", "", "indicator list as for hunt (default: one million generated)")
	seconds := fs.Float64("seconds", 3, "seconds per throughput measurement")
	cores := fs.Int("cores", 1, "GOMAXPROCS for the throughput figures (per-core figures with 1)")
	maxEvents := fs.Int("max-events", 200_000, "events read from the files at most")
	baselineSeconds := fs.Float64("baseline-seconds", 10, "seconds for the sigma-go baseline (it is slow)")
	only := fs.String("only", "sigma,indicators,latency", "measurements to run, comma-separated: sigma, indicators, latency")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of bulwark's own Sigma measurement (without sigma in --only, of its indicator measurement) to this file")
	if err := fs.Parse(args); err != nil {
		return usageErr("%v", err)
	}
	parts := map[string]bool{}
	for _, p := range strings.Split(*only, ",") {
		switch p = strings.TrimSpace(p); p {
		case "sigma", "indicators", "latency":
			parts[p] = true
		case "":
		default:
			return usageErr("bench: --only: unknown measurement %q", p)
		}
	}
	events = append(events, fs.Args()...)
	dur := time.Duration(*seconds * float64(time.Second))
	prev := runtime.GOMAXPROCS(*cores)
	defer runtime.GOMAXPROCS(prev)
	out := e.stdout
	fmt.Fprintf(out, "bulwark bench: %s, GOMAXPROCS=%d, %d CPUs\n", runtime.Version(), *cores, runtime.NumCPU())

	lines, err := benchEvents(events, *maxEvents)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "events: %d (%s)\n", len(lines), describeLines(lines, events))

	// 1. Sigma: ours (decoding included) against sigma-go on the same rules.
	var ours *detect.Rules
	if len(rules) > 0 && (parts["sigma"] || parts["latency"]) {
		col, files, err := loadBenchRules(rules)
		if err != nil {
			return err
		}
		ours = detect.NewRules(col)
		fmt.Fprintf(out, "rules: %d loaded, %d not supported\n", ours.Set.Len(), len(ours.Rejects))
		if parts["sigma"] {
			if err := benchSigma(ctx, out, ours, col, files, lines, dur, time.Duration(*baselineSeconds*float64(time.Second)), *cores, *cpuProfile); err != nil {
				return err
			}
		}
	}

	// 2. Indicators: memory per indicator and matching against the parse floor.
	var ix *index.Index
	if parts["indicators"] || parts["latency"] {
		var count int
		var heap uint64
		var took time.Duration
		ix, count, heap, took, err = benchIndex(*indicators)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "indicator index: %d indicators in %v, %.1f bytes/indicator (heap), %.1f MB per million\n",
			count, took.Round(time.Millisecond), float64(heap)/float64(max(count, 1)), float64(heap)/float64(max(count, 1)))
	}
	if parts["indicators"] {
		iengine := detect.NewEngine()
		iengine.SetIndex(ix, nil)
		jsonLines := jsonOnly(lines)
		match := decodeAndMatch(iengine, false)
		if *cpuProfile != "" && !parts["sigma"] {
			if err := profileRun(*cpuProfile, dur, jsonLines, match); err != nil {
				return err
			}
		}
		indRate := measure(dur, jsonLines, match)
		floorName, floorRate := parseFloor(dur, jsonLines)
		fmt.Fprintf(out, "indicator matching, decoding included: %.0f events/s/core; parse floor (%s, parsing only) %.0f events/s/core; ratio %.2f\n",
			perCore(indRate, *cores), floorName, perCore(floorRate, *cores), indRate/max(floorRate, 1e-9))
	}

	// 3. Latency from receipt to stored alert, at half the peak rate.
	if parts["latency"] {
		p50, p99, peak, err := benchLatency(ctx, lines, ours, ix, dur)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "pipeline with SQLite: peak %.0f events/s; at half of it, batch of 100 from receipt to alerts stored: p50 %v, p99 %v\n",
			peak, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
	}
	return nil
}

// benchSigma measures Sigma matching with decoding, ours against sigma-go
// v0.6.6 on the same rules and the same JSON lines. Both sides are warmed
// up first (ours builds its per-logsource indexes on first use, sigma-go
// gets a bundle per logsource built up front), so start-up work is not
// counted for either; the ratio is taken on CPU time (see rate).
func benchSigma(ctx context.Context, out io.Writer, ours *detect.Rules, col *sigma.Collection, files map[string][]byte, lines []benchLine, dur, baseDur time.Duration, cores int, cpuProfile string) error {
	engine := detect.NewEngine()
	engine.SetRules(ours)
	// sigma-go reads JSON only: both sides get the same lines, shuffled
	// (with a fixed seed) so that the few thousand events the slow side
	// gets through are a fair sample of all of them, not the first file.
	same := jsonOnly(lines)
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(same), func(i, j int) { same[i], same[j] = same[j], same[i] })
	match := decodeAndMatch(engine, true)
	for _, l := range same {
		match(l)
	}
	if n := rejected(same); n > 0 {
		fmt.Fprintf(out, "bulwark's decoders reject %d of the %d JSON lines (sigma-go is given them all)\n", n, len(same))
	}
	if cpuProfile != "" {
		if err := profileRun(cpuProfile, dur, same, match); err != nil {
			return err
		}
	}
	goRules, goFails := sigmaGoRules(files, col)
	fmt.Fprintf(out, "sigma-go v0.6.6: %d of the same rules parsed, %d rejected\n", len(goRules), goFails)
	byIndex := sigmaGoByIndex(goRules, same)
	scoped, dropped := sigmaGoScoped(goRules)
	if dropped > 0 {
		fmt.Fprintf(out, "sigma-go with a logsource configuration: %d rules whose logsource no Windows event has are left out (bulwark never evaluates them either)\n", dropped)
	}
	base := func(l benchLine) { byIndex(l.raw) }
	documented := func(l benchLine) { scoped(l.raw) }
	// The two sides take turns in short rounds, so that both see the
	// same load from whatever else runs on the machine.
	// Each side goes on from where its previous round stopped.
	const rounds = 5
	var oursT, baseT, docT tally
	for range rounds {
		oursT.add(measureTally(dur/rounds, same, oursT.events, match))
		baseT.add(measureTally(baseDur/rounds, same, baseT.events, base))
		docT.add(measureTally(baseDur/rounds, same, docT.events, documented))
	}
	oursRate, baseRate, docRate := oursT.rate(), baseT.rate(), docT.rate()
	fmt.Fprintf(out, "sigma matching over %d JSON events, decoding included, per CPU second (wall-clock rate in brackets): bulwark %.0f events/s/core (%.0f), sigma-go by logsource %.0f events/s/core (%.0f), ratio %.0fx (wall clock %.0fx)\n",
		len(same), perCore(oursRate.best(), cores), perCore(oursRate.wall, cores), perCore(baseRate.best(), cores), perCore(baseRate.wall, cores),
		oursRate.best()/max(baseRate.best(), 1e-9), oursRate.wall/max(baseRate.wall, 1e-9))
	fmt.Fprintf(out, "sigma-go scoped by a logsource configuration (its documented set-up) %.0f events/s/core (%.0f), ratio %.0fx (wall clock %.0fx)\n",
		perCore(docRate.best(), cores), perCore(docRate.wall, cores),
		oursRate.best()/max(docRate.best(), 1e-9), oursRate.wall/max(docRate.wall, 1e-9))
	return nil
}

// sigmaGoByIndex returns sigma-go's strongest set-up: the rules in one
// bundle per event logsource (the logsource index bulwark has), built
// up front for the logsources of lines. It returns the titles of the
// rules an event matches.
func sigmaGoByIndex(rules []sigmago.Rule, lines []benchLine) func(raw []byte) []string {
	ctx := context.Background()
	bundles := map[sigma.Logsource]evaluator.RuleEvaluatorBundle{}
	for _, l := range lines {
		var m map[string]any
		if json.Unmarshal(l.raw, &m) != nil {
			continue
		}
		ls, _ := sigma.WindowsEventLogsource(sigma.MapEvent(m))
		if _, ok := bundles[ls]; ok {
			continue
		}
		var fit []sigmago.Rule
		for _, r := range rules {
			if sigma.Fits(sigma.Logsource{Product: r.Logsource.Product, Category: r.Logsource.Category, Service: r.Logsource.Service}, ls) {
				fit = append(fit, r)
			}
		}
		bundles[ls] = evaluator.ForRules(fit)
	}
	return func(raw []byte) []string {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil {
			return nil
		}
		ls, _ := sigma.WindowsEventLogsource(sigma.MapEvent(m))
		b, ok := bundles[ls]
		if !ok {
			return nil
		}
		results, _ := b.Matches(ctx, m)
		var titles []string
		for _, r := range results {
			if r.Match {
				titles = append(titles, r.Title)
			}
		}
		return titles
	}
}

// sigmaGoScoped returns sigma-go as its documentation sets it up: one
// evaluator per rule, configured with the Windows logsources bulwark
// derives (sigmaGoConfig), asked first whether the rule is relevant to
// the event (its logsource condition) and then whether it matches. Rules
// whose logsource no Windows event has are left out, and counted: with
// sigma-go's configuration they would be relevant to every event. It
// returns the titles of the rules an event matches.
func sigmaGoScoped(rules []sigmago.Rule) (match func(raw []byte) []string, dropped int) {
	ctx := context.Background()
	selectors := sigma.WindowsLogsourceSelectors()
	known := func(ls sigma.Logsource) bool { _, ok := selectors[ls]; return ok }
	cfg := sigmaGoConfig(selectors)
	var evals []*evaluator.RuleEvaluator
	for _, r := range rules {
		ls := r.Logsource
		if (ls.Product != "" && ls.Product != "windows") ||
			(ls.Category != "" && !known(sigma.Logsource{Product: "windows", Category: ls.Category})) ||
			(ls.Service != "" && !known(sigma.Logsource{Product: "windows", Service: ls.Service})) {
			dropped++
			continue
		}
		evals = append(evals, evaluator.ForRule(r, evaluator.WithConfig(cfg)))
	}
	return func(raw []byte) []string {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil {
			return nil
		}
		var titles []string
		for _, e := range evals {
			if ok, _ := e.RelevantToEvent(ctx, sigmaGoIndex, m); !ok {
				continue
			}
			if res, _ := e.Matches(ctx, m); res.Match {
				titles = append(titles, e.Title)
			}
		}
		return titles
	}, dropped
}

// anys returns xs as a []any, as sigma-go's field matchers hold values.
func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// sigmaGoIndex is the one index of sigmaGoConfig.
const sigmaGoIndex = "windows"

// sigmaGoConfig writes the Windows logsources bulwark derives as a
// sigma-go configuration: each service and category becomes a logsource
// mapping whose conditions select its events by Channel, EventID and
// EventType, as Sigma's legacy configurations (and sigma-go's) scope rules.
func sigmaGoConfig(selectors map[sigma.Logsource][]sigma.WindowsSelector) sigmago.Config {
	cfg := sigmago.Config{
		Title: "bulwark Windows logsources",
		Logsources: map[string]sigmago.LogsourceMapping{
			"windows": {Logsource: sigmago.Logsource{Product: "windows"}, Index: []string{sigmaGoIndex}},
		},
	}
	for ls, sels := range selectors {
		var cond sigmago.Search
		for _, s := range sels {
			m := sigmago.EventMatcher{{Field: "Channel", Values: anys(s.Channels)}}
			if len(s.EventIDs) > 0 {
				m = append(m, sigmago.FieldMatcher{Field: "EventID", Values: anys(s.EventIDs)})
			}
			if len(s.EventTypes) > 0 {
				m = append(m, sigmago.FieldMatcher{Field: "EventType", Values: anys(s.EventTypes)})
			}
			cond.EventMatchers = append(cond.EventMatchers, m)
		}
		name := "category " + ls.Category
		if ls.Service != "" {
			name = "service " + ls.Service
		}
		cfg.Logsources[name] = sigmago.LogsourceMapping{
			Logsource:  sigmago.Logsource{Category: ls.Category, Service: ls.Service},
			Index:      []string{sigmaGoIndex},
			Conditions: cond,
		}
	}
	return cfg
}

// profileRun runs fn over lines for d with a CPU profile written to file.
func profileRun(file string, d time.Duration, lines []benchLine, fn func(benchLine)) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: %w", err)
	}
	measureTally(d, lines, 0, fn)
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

func perCore(rate float64, cores int) float64 { return rate / float64(max(cores, 1)) }

// rate is a throughput figure: events per second of wall time, and per
// second of CPU time the process used meanwhile (every thread, garbage
// collection included). On a shared machine other processes take cores
// away at random; CPU time is what the work itself cost, so ratios between
// two measurements taken minutes apart are compared on it.
type rate struct {
	wall, cpu float64
}

// best is the CPU figure when the platform reports CPU time, else wall.
func (r rate) best() float64 {
	if r.cpu > 0 {
		return r.cpu
	}
	return r.wall
}

// measure runs fn over lines, round robin, for d on GOMAXPROCS goroutines
// and returns events per second (wall time).
func measure(d time.Duration, lines []benchLine, fn func(benchLine)) float64 {
	return measureTally(d, lines, 0, fn).rate().wall
}

// tally is what a measurement counted: events, wall time and the CPU time
// the process used meanwhile.
type tally struct {
	events    int
	wall, cpu time.Duration
}

func (t *tally) add(o tally) {
	t.events += o.events
	t.wall += o.wall
	t.cpu += o.cpu
}

func (t tally) rate() rate {
	r := rate{wall: float64(t.events) / max(t.wall.Seconds(), 1e-9)}
	if t.cpu > 0 {
		r.cpu = float64(t.events) / t.cpu.Seconds()
	}
	return r
}

// measureTally runs fn over lines, round robin from line from, for d on
// GOMAXPROCS goroutines.
func measureTally(d time.Duration, lines []benchLine, from int, fn func(benchLine)) tally {
	if len(lines) == 0 {
		return tally{}
	}
	n := runtime.GOMAXPROCS(0)
	counts := make([]int, n)
	deadline := time.Now().Add(d)
	cpu0 := processCPU()
	start := time.Now()
	done := make(chan struct{})
	for w := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			i := from + w*len(lines)/n
			for c := 0; ; c++ {
				if c%256 == 0 && time.Now().After(deadline) {
					return
				}
				fn(lines[i%len(lines)])
				i++
				counts[w]++
			}
		}()
	}
	for range n {
		<-done
	}
	t := tally{wall: time.Since(start), cpu: processCPU() - cpu0}
	for _, c := range counts {
		t.events += c
	}
	if t.cpu < 0 {
		t.cpu = 0
	}
	return t
}

// decodeAndMatch decodes a line with its format's decoder and matches it
// (rules, or indicators for agency 1).
func decodeAndMatch(e *detect.Engine, rules bool) func(benchLine) {
	decs := map[decode.SourceKind]decode.Decoder{}
	for _, k := range decode.SourceKinds() {
		decs[k], _ = decode.New(k, decode.Options{})
	}
	// Each goroutine has its snapshot and decoding memory; as in the
	// server, an event's storage is reused unless it raised a hit.
	type worker struct {
		snap *detect.Snapshot
		mem  decode.Memory
		ev   decode.Event // as a batch's slice holds them: no allocation each
		hits []detect.Hit
	}
	workers := make(chan *worker, runtime.GOMAXPROCS(0))
	for range cap(workers) {
		workers <- &worker{snap: e.Snapshot()}
	}
	now := time.Now()
	return func(l benchLine) {
		w := <-workers
		var err error
		w.ev, err = decs[l.format].DecodeWith(l.raw, &w.mem)
		if err == nil {
			w.hits = w.snap.Match(&w.ev, 1, now, w.hits[:0])
			if len(w.hits) == 0 {
				w.mem.Release()
			}
		}
		workers <- w
	}
}

// rejected counts the lines their format's decoder rejects.
func rejected(lines []benchLine) int {
	decs := map[decode.SourceKind]decode.Decoder{}
	n := 0
	for _, l := range lines {
		d := decs[l.format]
		if d == nil {
			d, _ = decode.New(l.format, decode.Options{})
			decs[l.format] = d
		}
		if _, err := d.Decode(l.raw); err != nil {
			n++
		}
	}
	return n
}

// jsonOnly keeps the JSON lines (the baselines read JSON only).
func jsonOnly(lines []benchLine) []benchLine {
	var out []benchLine
	for _, l := range lines {
		if len(l.raw) > 0 && l.raw[0] == '{' {
			out = append(out, l)
		}
	}
	return out
}

// parseFloor measures the JSON parsers among the dependencies reading every
// value of each line, and returns the fastest.
func parseFloor(d time.Duration, lines []benchLine) (string, float64) {
	std := measure(d, lines, func(l benchLine) {
		var m map[string]any
		_ = json.Unmarshal(l.raw, &m)
	})
	// The tokeniser is reset for each line rather than made anew, as
	// bulwark's side reuses its decoding storage: a floor is the parser
	// at its cheapest.
	type tokenizer struct {
		r   *bytes.Reader
		dec *jsontext.Decoder
	}
	toks := sync.Pool{New: func() any {
		r := bytes.NewReader(nil)
		return &tokenizer{r: r, dec: jsontext.NewDecoder(r)}
	}}
	tok := measure(d, lines, func(l benchLine) {
		t := toks.Get().(*tokenizer)
		defer toks.Put(t)
		t.r.Reset(l.raw)
		t.dec.Reset(t.r)
		for {
			if _, err := t.dec.ReadToken(); err != nil {
				return
			}
		}
	})
	stdTok := measure(d, lines, func(l benchLine) {
		dec := json.NewDecoder(bytes.NewReader(l.raw))
		for {
			if _, err := dec.Token(); err != nil {
				return
			}
		}
	})
	best, rate := "encoding/json Unmarshal", std
	if tok > rate {
		best, rate = "go-json-experiment jsontext tokens", tok
	}
	if stdTok > rate {
		best, rate = "encoding/json tokens", stdTok
	}
	return best, rate
}

// loadBenchRules loads rule folders and keeps the raw files for sigma-go.
func loadBenchRules(dirs []string) (*sigma.Collection, map[string][]byte, error) {
	all := &sigma.Collection{}
	files := map[string][]byte{}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !(strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[p] = data
			all.AddBytes(p, data, detect.LoadOptions())
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("bench: rules: %w", err)
		}
	}
	return all, files, nil
}

// sigmaGoRules parses the files our engine loaded with sigma-go.
func sigmaGoRules(files map[string][]byte, col *sigma.Collection) ([]sigmago.Rule, int) {
	loaded := map[string]bool{}
	for _, r := range col.Rules {
		loaded[r.Source] = true
		loaded[strings.SplitN(r.Source, "#", 2)[0]] = true
	}
	var out []sigmago.Rule
	fails := 0
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if !loaded[n] {
			continue
		}
		r, err := sigmago.ParseRule(files[n])
		if err != nil {
			fails++
			continue
		}
		out = append(out, r)
	}
	return out, fails
}

// accessLogName reports whether a file name is a web server access log's
// (access.log, access_log, ssl-access-log.gz...). Other names that merely
// hold the word, as OTRF's credential_access recordings do, are JSON.
func accessLogName(base string) bool {
	b := strings.ToLower(base)
	for _, n := range []string{"access.log", "access_log", "access-log"} {
		if strings.Contains(b, n) {
			return true
		}
	}
	return false
}

// benchEvents reads event files (as hunt does) or generates a mix.
func benchEvents(files []string, limit int) ([]benchLine, error) {
	if len(files) == 0 {
		return generateEvents(20_000), nil
	}
	var out []benchLine
	for _, f := range files {
		format := decode.KindAuto
		if accessLogName(filepath.Base(f)) {
			format = decode.KindAccessLog
		}
		err := readEventFile(f, func(line []byte) bool {
			out = append(out, benchLine{raw: append([]byte(nil), line...), format: format})
			return len(out) < limit
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

var errEnough = errors.New("enough")

// readEventFile calls fn per line of a plain, .gz or .zip file.
func readEventFile(name string, fn func([]byte) bool) error {
	err := detect.ForEachStream(name, func(_ string, r io.Reader) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 && !fn(l) {
				return errEnough
			}
		}
		return sc.Err()
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

func describeLines(lines []benchLine, files []string) string {
	if len(files) == 0 {
		return "generated: Windows Sysmon, Suricata EVE, web access log, firewall syslog"
	}
	return fmt.Sprintf("%d files", len(files))
}

// generateEvents makes a realistic mix of the four source kinds, about one
// in fifty hitting an indicator of generateIndicators and a few firing
// common SigmaHQ Windows rules.
func generateEvents(n int) []benchLine {
	r := rand.New(rand.NewPCG(1, 2))
	images := []string{`C:\Windows\System32\svchost.exe`, `C:\Windows\explorer.exe`, `C:\Program Files\Google\Chrome\Application\chrome.exe`,
		`C:\Windows\System32\rundll32.exe`, `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `C:\Windows\System32\whoami.exe`}
	cmds := []string{"svchost.exe -k netsvcs -p -s Schedule", "explorer.exe", `chrome.exe --type=renderer --lang=vi`,
		`rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\temp\l.dmp full`, "powershell -NoProfile -EncodedCommand SQBFAFgA", "whoami /all"}
	out := make([]benchLine, 0, n)
	for i := range n {
		ip := fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(256), r.IntN(256))
		if i%50 == 0 {
			ip = benchIndicatorIP(r.IntN(1000))
		}
		switch i % 4 {
		case 0:
			k := r.IntN(len(images))
			if r.IntN(20) != 0 {
				k %= 3
			}
			ev, _ := json.Marshal(map[string]any{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Computer": fmt.Sprintf("ws%03d.binhan.gov.vn", r.IntN(300)),
				"Image": images[k], "CommandLine": cmds[k], "ParentImage": `C:\Windows\explorer.exe`, "User": `BINHAN\user` + fmt.Sprint(r.IntN(500)),
				"Hashes": fmt.Sprintf("SHA256=%064x", r.Uint64()), "ProcessId": r.IntN(60000), "UtcTime": "2026-11-20 02:00:00.000"})
			out = append(out, benchLine{raw: ev, format: decode.KindAuto})
		case 1:
			ev, _ := json.Marshal(map[string]any{"timestamp": "2026-11-20T02:00:00.000000+0700", "event_type": "alert", "src_ip": ip, "src_port": 40000 + r.IntN(20000),
				"dest_ip": "103.1.2." + fmt.Sprint(r.IntN(255)), "dest_port": 443, "proto": "TCP", "in_iface": "eth0",
				"alert":   map[string]any{"action": "allowed", "signature_id": 2000000 + r.IntN(1000), "signature": "ET POLICY Observed DNS Query", "category": "Potentially Bad Traffic", "severity": 2},
				"flow_id": r.Uint64() >> 12})
			out = append(out, benchLine{raw: ev, format: decode.KindAuto})
		case 2:
			out = append(out, benchLine{raw: fmt.Appendf(nil, `%s - - [20/Nov/2026:02:00:00 +0700] "GET /dich-vu-cong/ho-so?id=%d HTTP/1.1" 200 %d "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"`,
				ip, r.IntN(100000), r.IntN(50000)), format: decode.KindAccessLog})
		default:
			out = append(out, benchLine{raw: fmt.Appendf(nil, `<134>Nov 20 02:00:00 fw01 kernel: action=drop src=%s dst=10.0.0.%d spt=%d dpt=%d proto=tcp`,
				ip, r.IntN(255), 1024+r.IntN(60000), []int{22, 23, 3389, 445}[r.IntN(4)]), format: decode.KindSyslog})
		}
	}
	return out
}

func benchIndicatorIP(i int) string { return fmt.Sprintf("198.51.%d.%d", 100+i/250, i%250+1) }

// benchIndex builds the indicator index from a list or one million
// generated indicators (IPs, domains, URLs, hashes), measuring its heap.
func benchIndex(list string) (*index.Index, int, uint64, time.Duration, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	var ix *index.Index
	if list != "" {
		r, closeFn, err := openIndicatorFile(list)
		if err != nil {
			return nil, 0, 0, 0, err
		}
		ix, _, _, err = detect.ReadIndicatorList(r)
		closeFn()
		if err != nil {
			return nil, 0, 0, 0, err
		}
	} else {
		b := index.NewBuilder(index.Options{Members: []int64{1, 2, 3}})
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range 1_000_000 {
			ind := index.Indicator{ID: int64(i + 1), Audience: index.Everyone()}
			switch {
			case i < 1000:
				ind.Kind, ind.Value = index.KindIPv4, benchIndicatorIP(i)
			case i%4 == 0:
				ind.Kind, ind.Value = index.KindIPv4, fmt.Sprintf("%d.%d.%d.%d", 1+rng.IntN(223), rng.IntN(256), rng.IntN(256), rng.IntN(256))
			case i%4 == 1:
				ind.Kind, ind.Value = index.KindDomain, fmt.Sprintf("x%08x.example-%d.com", rng.Uint32(), i%97)
			case i%4 == 2:
				ind.Kind, ind.Value = index.KindURL, fmt.Sprintf("http://s%06x.example.net/p/%d", rng.Uint32()>>8, i)
			default:
				ind.Kind, ind.Value = index.KindSHA256, fmt.Sprintf("%016x%016x%016x%016x", rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64())
			}
			if i%10 == 9 {
				ind.Audience = index.Agencies(1)
			}
			_ = b.Add(ind)
		}
		ix = b.Build()
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := uint64(0)
	if after.HeapAlloc > before.HeapAlloc {
		heap = after.HeapAlloc - before.HeapAlloc
	}
	runtime.KeepAlive(ix)
	return ix, ix.Stats().Loaded, heap, took, nil
}

// benchLatency runs the real pipeline (decode, match, alerts stored in a
// temporary SQLite database) flat out to find its peak, then at half the
// peak in batches of 100, and returns the per-batch time from receipt to
// stored alerts.
func benchLatency(ctx context.Context, lines []benchLine, rules *detect.Rules, ix *index.Index, d time.Duration) (p50, p99 time.Duration, peak float64, err error) {
	dir, err := os.MkdirTemp("", "bulwark-bench-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"))
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return 0, 0, 0, err
	}
	now := time.Now()
	var agency int64
	if err := db.QueryRow(ctx, `INSERT INTO agencies (code, name_vi, kind, created_at, updated_at) VALUES ('BENCH', 'Bench', 'district', ?, ?) RETURNING id`, now, now).Scan(&agency); err != nil {
		return 0, 0, 0, err
	}
	svc, err := detect.New(detect.Deps{DB: db, Audit: audit.New(db, time.Now)}, detect.Config{})
	if err != nil {
		return 0, 0, 0, err
	}
	svc.Engine().SetRules(rules)
	svc.Engine().SetIndex(ix, nil)
	sys := access.With(ctx, access.SystemPrincipal())
	sources := map[decode.SourceKind]detect.Source{}
	for _, l := range lines {
		if _, ok := sources[l.format]; ok {
			continue
		}
		c, err := svc.CreateSource(sys, detect.SourceInput{AgencyID: agency, Name: "bench " + string(l.format), Kind: "other", Format: string(l.format)})
		if err != nil {
			return 0, 0, 0, err
		}
		sources[l.format] = c.Source
	}
	// Batches of 100 lines of one format.
	type batch struct {
		src  detect.Source
		body []byte
		n    int
	}
	var batches []batch
	byFormat := map[decode.SourceKind][][]byte{}
	for _, l := range lines {
		byFormat[l.format] = append(byFormat[l.format], l.raw)
		if len(byFormat[l.format]) == 100 {
			batches = append(batches, batch{sources[l.format], bytes.Join(byFormat[l.format], []byte{'\n'}), 100})
			byFormat[l.format] = nil
		}
	}
	if len(batches) == 0 {
		return 0, 0, 0, errors.New("bench: too few events for the latency run")
	}
	run := func(b batch) (time.Duration, error) {
		t := time.Now()
		_, err := svc.Ingest(ctx, b.src, bytes.NewReader(b.body), false)
		return time.Since(t), err
	}
	start, events := time.Now(), 0
	for i := 0; time.Since(start) < d; i++ {
		if _, err := run(batches[i%len(batches)]); err != nil {
			return 0, 0, 0, err
		}
		events += batches[i%len(batches)].n
	}
	peak = float64(events) / time.Since(start).Seconds()
	interval := time.Duration(float64(time.Second) * 100 / (peak / 2))
	var lat []time.Duration
	start = time.Now()
	next := start
	for i := 0; time.Since(start) < d; i++ {
		time.Sleep(time.Until(next))
		next = next.Add(interval)
		l, err := run(batches[i%len(batches)])
		if err != nil {
			return 0, 0, 0, err
		}
		lat = append(lat, l)
	}
	slices.Sort(lat)
	return lat[len(lat)*50/100], lat[min(len(lat)-1, len(lat)*99/100)], peak, nil
}
