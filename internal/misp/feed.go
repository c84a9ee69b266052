package misp

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// MaxManifestBytes bounds manifest.json, which is decoded whole. CIRCL's
// OSINT feed manifest, with thousands of events, is a few megabytes.
const MaxManifestBytes = 64 << 20

// EventSummary is one entry of a feed's manifest.json.
type EventSummary struct {
	UUID          string
	Info          string
	Date          string
	Timestamp     int64 // Unix seconds of the event's last change
	ThreatLevelID int
	Analysis      int
	Orgc          Org
	Tags          []Tag
}

// HashEntry is one line of a feed's hashes.csv: the MD5 of an attribute
// value and the event holding it.
type HashEntry struct {
	Hash      string
	EventUUID string
}

// Feed reads a MISP feed: manifest.json, one <uuid>.json per event, and
// hashes.csv, from a folder (fs.FS) or a web server. Safe for concurrent
// use if the fs.FS or http.Client is.
type Feed struct {
	fsys   fs.FS
	client *http.Client
	base   *url.URL
}

// NewFSFeed returns a feed read from fsys, whose root holds manifest.json.
func NewFSFeed(fsys fs.FS) *Feed { return &Feed{fsys: fsys} }

// NewHTTPFeed returns a feed served under baseURL (e.g.
// https://www.circl.lu/doc/misp/feed-osint/). Timeouts and proxies belong
// to client; nil means http.DefaultClient.
func NewHTTPFeed(client *http.Client, baseURL string) (*Feed, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("misp feed: base URL %q is not an http(s) URL", baseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &Feed{client: client, base: u}, nil
}

// open returns the named file of the feed. The caller closes it.
func (f *Feed) open(ctx context.Context, name string) (io.ReadCloser, error) {
	if f.fsys != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return f.fsys.Open(name)
	}
	u := f.base.ResolveReference(&url.URL{Path: name})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("GET %s: %w", u, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("GET %s: status %s", u, resp.Status)
	}
	return resp.Body, nil
}

type summaryJSON struct {
	Info          string  `json:"info"`
	Date          string  `json:"date"`
	Timestamp     flexInt `json:"timestamp"`
	ThreatLevelID flexInt `json:"threat_level_id"`
	Analysis      flexInt `json:"analysis"`
	Orgc          Org     `json:"Orgc"`
	Tags          []Tag   `json:"Tag"`
}

// Manifest reads manifest.json and returns its events ordered by
// timestamp, then uuid. Entries whose key is not a UUID are skipped, since
// the key becomes a file name.
func (f *Feed) Manifest(ctx context.Context) ([]EventSummary, error) {
	rc, err := f.open(ctx, "manifest.json")
	if err != nil {
		return nil, fmt.Errorf("misp feed: open manifest: %w", err)
	}
	defer rc.Close()
	lr := &io.LimitedReader{R: rc, N: MaxManifestBytes + 1}
	var m map[string]summaryJSON
	if err := json.NewDecoder(lr).Decode(&m); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("misp feed: manifest over %d bytes: %w", MaxManifestBytes, ErrTooLarge)
		}
		return nil, fmt.Errorf("misp feed: decode manifest: %w", err)
	}
	out := make([]EventSummary, 0, len(m))
	for id, s := range m {
		if !validUUID(id) {
			continue
		}
		out = append(out, EventSummary{
			UUID: strings.ToLower(id), Info: s.Info, Date: s.Date, Timestamp: s.Timestamp.V,
			ThreatLevelID: int(s.ThreatLevelID.V), Analysis: int(s.Analysis.V), Orgc: s.Orgc, Tags: s.Tags,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Timestamp != out[j].Timestamp {
			return out[i].Timestamp < out[j].Timestamp
		}
		return out[i].UUID < out[j].UUID
	})
	return out, nil
}

// EventsSince returns the manifest's events changed after since (Unix
// seconds), oldest first, so an importer can record progress as it goes.
func (f *Feed) EventsSince(ctx context.Context, since int64) ([]EventSummary, error) {
	all, err := f.Manifest(ctx)
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(all), func(i int) bool { return all[i].Timestamp > since })
	return all[i:], nil
}

func validUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// OpenEvent opens <uuid>.json. The uuid is checked first so that a hostile
// manifest cannot name other files. The caller closes the reader.
func (f *Feed) OpenEvent(ctx context.Context, eventUUID string) (io.ReadCloser, error) {
	if !validUUID(eventUUID) {
		return nil, fmt.Errorf("misp feed: %q is not an event uuid", eventUUID)
	}
	rc, err := f.open(ctx, strings.ToLower(eventUUID)+".json")
	if err != nil {
		return nil, fmt.Errorf("misp feed: open event %s: %w", eventUUID, err)
	}
	return rc, nil
}

// ReadEvent opens and streams one event of the feed; see the package-level
// ReadEvent.
func (f *Feed) ReadEvent(ctx context.Context, eventUUID string, opts ReadOptions, fn func(Attribute) error) (*Event, error) {
	rc, err := f.OpenEvent(ctx, eventUUID)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadEvent(rc, opts, fn)
}

// Hashes streams hashes.csv, calling fn per line. A feed without the file
// gives an error wrapping fs.ErrNotExist.
func (f *Feed) Hashes(ctx context.Context, fn func(HashEntry) error) error {
	rc, err := f.open(ctx, "hashes.csv")
	if err != nil {
		return fmt.Errorf("misp feed: open hashes: %w", err)
	}
	defer rc.Close()
	return ReadHashes(rc, fn)
}

// ReadHashes reads hashes.csv lines "hash,event-uuid". Empty lines are
// skipped; a line without two fields is an error with its line number.
func ReadHashes(r io.Reader, fn func(HashEntry) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("misp feed: hashes.csv: %w", err)
		}
		if len(rec) < 2 || rec[0] == "" || rec[1] == "" {
			line, _ := cr.FieldPos(0)
			return fmt.Errorf("misp feed: hashes.csv line %d: want hash,event-uuid", line)
		}
		if err := fn(HashEntry{Hash: rec[0], EventUUID: rec[1]}); err != nil {
			return err
		}
	}
}
