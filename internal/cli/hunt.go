package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/ulikunitz/xz"

	"bulwark/internal/detect"
	"bulwark/internal/detect/decode"
	"bulwark/internal/sigma"
)

// exitStatus is an error that asks Run for a specific exit status.
type exitStatus struct {
	code int
	msg  string
}

func (e *exitStatus) Error() string { return e.msg }
func (e *exitStatus) ExitCode() int { return e.code }

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runHunt evaluates Sigma rules and an indicator list over event files
// without a server. It prints one JSON line per match on stdout and a
// summary on stderr. Exit status: 0 nothing matched, 1 something matched,
// 2 an error (bad flags, unreadable rules or files).
func runHunt(ctx context.Context, e cmdEnv, args []string) error {
	fs := flag.NewFlagSet("hunt", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var rules, events multiFlag
	fs.Var(&rules, "rules", "folder or file of Sigma rules (repeatable)")
	fs.Var(&events, "events", "event file: NDJSON, lines or pretty-printed JSON records, .gz, or .zip of .json (repeatable; more files may follow the flags)")
	indicators := fs.String("indicators", "", "indicator list: one value per line (maltrail TSV, CSV first column, plain), optionally .gz or .xz")
	format := fs.String("format", "auto", "event format: "+kindNames())
	quiet := fs.Bool("summary", false, "print only the summary")
	listRejects := fs.Bool("rejects", false, "list the rules that could not be loaded, with the reason")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: bulwark hunt --rules DIR --events FILE... [--indicators FILE] [--format auto]")
		fmt.Fprintln(e.stderr, "exit status: 0 no match, 1 at least one match, 2 error")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &exitStatus{2, err.Error()}
	}
	events = append(events, fs.Args()...)
	if len(events) == 0 || (len(rules) == 0 && *indicators == "") {
		fs.Usage()
		return &exitStatus{2, "name event files and rules or indicators"}
	}
	opts := detect.HuntOptions{Format: decode.SourceKind(*format)}
	if len(rules) > 0 {
		all := &sigma.Collection{}
		for _, dir := range rules {
			st, err := os.Stat(dir)
			if err != nil {
				return &exitStatus{2, err.Error()}
			}
			var c *sigma.Collection
			if st.IsDir() {
				if c, err = sigma.LoadDir(dir, detect.LoadOptions()); err != nil {
					return &exitStatus{2, err.Error()}
				}
			} else {
				c = sigma.LoadFile(dir, detect.LoadOptions())
			}
			all.Rules = append(all.Rules, c.Rules...)
			all.Correlations = append(all.Correlations, c.Correlations...)
			all.Rejects = append(all.Rejects, c.Rejects...)
		}
		opts.Rules = detect.NewRules(all)
		total := len(all.Rules) + len(all.Correlations) + len(all.Rejects)
		fmt.Fprintf(e.stderr, "rules: %d loaded (%d correlation), %d not supported, %.1f%% supported\n",
			opts.Rules.Set.Len(), opts.Rules.Correlating, len(opts.Rules.Rejects), 100*float64(total-len(opts.Rules.Rejects))/float64(max(total, 1)))
		if *listRejects {
			for _, r := range opts.Rules.Rejects {
				fmt.Fprintf(e.stderr, "  not loaded: %s\n", r)
			}
		}
	}
	if *indicators != "" {
		r, closeFn, err := openIndicatorFile(*indicators)
		if err != nil {
			return &exitStatus{2, err.Error()}
		}
		ix, values, skipped, err := detect.ReadIndicatorList(r)
		closeFn()
		if err != nil {
			return &exitStatus{2, err.Error()}
		}
		opts.Index, opts.Values = ix, values
		fmt.Fprintf(e.stderr, "indicators: %d loaded, %d lines skipped\n", ix.Stats().Loaded, skipped)
	}
	out := bufio.NewWriter(e.stdout)
	enc := json.NewEncoder(out)
	sum, err := detect.Hunt(ctx, opts, events, func(m detect.HuntMatch) error {
		if *quiet {
			return nil
		}
		return enc.Encode(m)
	})
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return &exitStatus{2, err.Error()}
	}
	fmt.Fprintf(e.stderr, "summary: %d files, %d events (%d rejected), %d matches in %d events, %.0f events/s\n",
		sum.Files, sum.Events, sum.Rejected, sum.Matches, sum.EventsMatched, float64(sum.Events)/max(sum.Took.Seconds(), 1e-9))
	titles := make([]string, 0, len(sum.ByTitle))
	for t := range sum.ByTitle {
		titles = append(titles, t)
	}
	sort.Strings(titles)
	for _, t := range titles {
		fmt.Fprintf(e.stderr, "  %6d  %s\n", sum.ByTitle[t], t)
	}
	if sum.Matches > 0 {
		return &exitStatus{1, fmt.Sprintf("%d matches", sum.Matches)}
	}
	return nil
}

func kindNames() string {
	var names []string
	for _, k := range decode.SourceKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// openIndicatorFile opens a plain, .gz or .xz indicator list.
func openIndicatorFile(name string) (io.Reader, func(), error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	low := strings.ToLower(name)
	switch {
	case strings.HasSuffix(low, ".xz"):
		zr, err := xz.NewReader(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return zr, func() { f.Close() }, nil
	case strings.HasSuffix(low, ".gz"):
		zr, err := decode.NewGzipReader(f, decode.GzipLimits{})
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return zr, func() { zr.Close(); f.Close() }, nil
	}
	return f, func() { f.Close() }, nil
}
