package sigma

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadDirAndFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.yml":          "title: A\nlogsource: {product: windows}\ndetection:\n    sel: {f: a}\n    condition: sel\n",
		"sub/b.yaml":     "title: B\ndetection:\n    sel: {f: b}\n    condition: sel\n---\ntitle: C\ndetection:\n    sel: {f: c}\n    condition: sel\n",
		"sub/bad.yml":    "title: Bad\ndetection:\n    sel: {f|re: '(?<=x)'}\n    condition: sel\n",
		"sub/notes.txt":  "not a rule",
		"deep/x/big.yml": string(make([]byte, DefaultMaxFileSize+1)),
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := LoadDir(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var titles, rejected []string
	for _, r := range c.Rules {
		titles = append(titles, r.Title+"@"+r.Source)
	}
	for _, r := range c.Rejects {
		rejected = append(rejected, r.File)
	}
	sort.Strings(titles)
	sort.Strings(rejected)
	if diff := cmp.Diff([]string{"A@a.yml", "B@sub/b.yaml#0", "C@sub/b.yaml#1"}, titles); diff != "" {
		t.Errorf("loaded (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"deep/x/big.yml", "sub/bad.yml"}, rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}

	one := LoadFile(filepath.Join(dir, "a.yml"), LoadOptions{})
	if len(one.Rules) != 1 || len(one.Rejects) != 0 {
		t.Errorf("LoadFile: %d rules, rejects %v", len(one.Rules), one.Rejects)
	}
	missing := LoadFile(filepath.Join(dir, "nope.yml"), LoadOptions{})
	if len(missing.Rejects) != 1 {
		t.Errorf("LoadFile of a missing file: rejects %v", missing.Rejects)
	}
	if _, err := LoadDir(filepath.Join(dir, "nope"), LoadOptions{}); err == nil {
		t.Error("LoadDir of a missing directory succeeded")
	}
}

// TestRuleSetConcurrent matches from many goroutines while logsource
// indexes are built on first use; run with -race.
func TestRuleSetConcurrent(t *testing.T) {
	c := &Collection{}
	c.AddBytes("r.yml", []byte(
		"title: A\nlogsource: {product: p, category: c1}\ndetection:\n    sel: {f|contains: evil}\n    condition: sel\n---\n"+
			"title: B\nlogsource: {product: p}\ndetection:\n    kw: [bad]\n    condition: kw\n"), LoadOptions{})
	rs := NewRuleSet(c.Rules)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				ls := Logsource{Product: "p", Category: []string{"c1", "c2", "c3"}[(g+i)%3]}
				ev := MapEvent{"f": "so evil and bad"}
				got := len(rs.Match(ev, ls, nil))
				want := 1
				if ls.Category == "c1" {
					want = 2
				}
				if got != want {
					t.Errorf("Match(%v) = %d rules, want %d", ls, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestRuleSetBucketCacheFull: beyond maxBuckets distinct logsources the
// rule set still matches, without caching more indexes.
func TestRuleSetBucketCacheFull(t *testing.T) {
	c := &Collection{}
	c.AddBytes("r.yml", []byte("title: A\nlogsource: {product: p}\ndetection:\n    sel: {f|endswith: x}\n    condition: sel\n"), LoadOptions{})
	rs := NewRuleSet(c.Rules)
	m := rs.NewMatcher()
	for i := range maxBuckets + 10 {
		ls := Logsource{Product: "p", Service: strconv.Itoa(i)}
		if got := len(m.Match(MapEvent{"f": "abX"}, ls, nil)); got != 1 {
			t.Fatalf("event %d: %d matches, want 1", i, got)
		}
	}
	if n := len(*rs.buckets.Load()); n != maxBuckets {
		t.Errorf("cached %d indexes, want the cap %d", n, maxBuckets)
	}
}
