// Package feed reads the public vulnerability catalogues Bulwark imports
// offline: NVD CVE JSON 2.0 files (the yearly and "modified" feeds, and
// saved API 2.0 responses, which share the shape
// {"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{...}}]})
// and the CISA Known Exploited Vulnerabilities catalogue
// ({"catalogVersion":...,"vulnerabilities":[{"cveID":...}]}).
//
// Files are streamed with the encoding/json token API: one record is in
// memory at a time, so a 300 MB yearly feed imports in constant memory.
// Gzip files (the NVD ships .json.gz) are recognised by their magic bytes.
// A record that does not fit the format (a bad CVE id, a CPE that does not
// parse, a version range with both ends given twice) is reported as a
// Problem and skipped, or the bad part dropped, and the import goes on; only
// a broken JSON stream or an oversized file stops it.
//
// Formats: NVD "CVE API 2.0" schema (https://csrc.nist.gov/schema/nvd/api/2.0/cve_api_json_2.0.schema)
// and CISA's known_exploited_vulnerabilities.json schema
// (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json).
package feed

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"bulwark/internal/sysinv/cpe"
)

// Kind is the catalogue a file holds.
type Kind string

// The catalogues.
const (
	NVD Kind = "nvd"
	KEV Kind = "kev"
)

// DefaultMaxSize bounds an uncompressed file: the largest yearly NVD feed
// is a few hundred megabytes.
const DefaultMaxSize = 2 << 30

// maxRecord bounds one record; real CVE records with hundreds of CPE
// matches stay well under a megabyte.
const maxRecord = 16 << 20

// maxDescription bounds the stored description.
const maxDescription = 4000

// maxProblems bounds the problems kept in a report; the count goes on.
const maxProblems = 200

// CVE is one NVD record, reduced to what matching and findings need.
type CVE struct {
	ID           string
	Published    time.Time
	LastModified time.Time
	Status       string
	Description  string
	CVSS         float64 // base score of the preferred metric, 0 when none
	Severity     string  // LOW, MEDIUM, HIGH, CRITICAL (or NONE)
	Vector       string
	CVSSVersion  string
	// KEVAdded and KEVDue are set when the NVD record carries CISA's
	// exploit date and action due date (cisaExploitAdd, cisaActionDue).
	KEVAdded       string
	KEVDue         string
	Configurations []Configuration
}

// Configuration is an NVD configuration: its nodes joined by Operator
// (OR when empty; AND means "vulnerable software running on a platform").
type Configuration struct {
	Operator string `json:"operator,omitempty"`
	Negate   bool   `json:"negate,omitempty"`
	Nodes    []Node `json:"nodes"`
}

// Node is a list of CPE matches joined by Operator (OR or AND).
type Node struct {
	Operator string  `json:"operator,omitempty"`
	Negate   bool    `json:"negate,omitempty"`
	Matches  []Match `json:"cpeMatch"`
}

// Match is one cpeMatch: a criteria CPE (maybe with ANY version) and an
// optional version range. Vulnerable false marks a platform condition.
type Match struct {
	Vulnerable bool   `json:"vulnerable"`
	Criteria   string `json:"criteria"`
	cpe.Range
}

// KEVEntry is one entry of the CISA catalogue.
type KEVEntry struct {
	CVEID          string
	Vendor         string
	Product        string
	Name           string
	DateAdded      string // YYYY-MM-DD
	Description    string
	RequiredAction string
	DueDate        string // YYYY-MM-DD, CISA's date for US federal agencies
	Ransomware     string // Known or Unknown
	Notes          string
}

// Problem is a record (or part of one) that was skipped.
type Problem struct {
	Index   int    `json:"index"` // position in the vulnerabilities array
	ID      string `json:"id,omitempty"`
	Message string `json:"message"`
}

// Handler receives the records. CVE and KEV may be nil when that kind is
// not expected; a non-nil error from them stops the read.
type Handler struct {
	CVE      func(CVE) error
	KEV      func(KEVEntry) error
	Progress func(records int, bytes int64) // every 1,000 records; may be nil
}

// Info describes what was read.
type Info struct {
	Kind           Kind      `json:"kind"`
	CatalogVersion string    `json:"catalog_version,omitempty"`
	Timestamp      string    `json:"timestamp,omitempty"`
	Records        int       `json:"records"`
	Skipped        int       `json:"skipped"`
	ProblemCount   int       `json:"problem_count"`
	Problems       []Problem `json:"problems,omitempty"`
	Bytes          int64     `json:"bytes"`
}

func (in *Info) problem(p Problem) {
	in.ProblemCount++
	if len(in.Problems) < maxProblems {
		in.Problems = append(in.Problems, p)
	}
}

// ErrTooLarge is returned when the file exceeds the size limit.
var ErrTooLarge = errors.New("feed: file too large")

type countingReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n > c.max {
		return 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.max)
	}
	// Never hand the decoder more than max+1 bytes, so a value that
	// completes beyond the limit is cut off rather than accepted.
	if room := c.max - c.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.max)
	}
	return n, err
}

// Read streams a catalogue from r. want is NVD, KEV or "" to detect the
// kind from the content. max bounds the uncompressed size (DefaultMaxSize
// when <= 0). The returned Info holds the counts and problems even when the
// error is not nil (the records before a broken point were delivered).
func Read(r io.Reader, want Kind, max int64, h Handler) (Info, error) {
	if max <= 0 {
		max = DefaultMaxSize
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return Info{}, fmt.Errorf("feed: gzip: %w", err)
		}
		defer gz.Close()
		src = gz
	}
	cr := &countingReader{r: src, max: max}
	info := Info{Kind: want}
	err := read(cr, &info, h)
	info.Bytes = cr.n
	return info, err
}

func read(r io.Reader, info *Info, h Handler) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("feed: the file is not a JSON object: %w", err)
	}
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("feed: read key: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "vulnerabilities":
			seen = true
			if err := readArray(dec, info, h); err != nil {
				return err
			}
		case "format":
			var s string
			if err := dec.Decode(&s); err != nil {
				return fmt.Errorf("feed: read format: %w", err)
			}
			if s == "NVD_CVE" {
				if err := setKind(info, NVD); err != nil {
					return err
				}
			}
		case "catalogVersion":
			var s string
			if err := dec.Decode(&s); err != nil {
				return fmt.Errorf("feed: read catalogVersion: %w", err)
			}
			info.CatalogVersion = truncate(s, 64)
			if err := setKind(info, KEV); err != nil {
				return err
			}
		case "timestamp", "dateReleased":
			var s string
			if err := dec.Decode(&s); err != nil {
				return fmt.Errorf("feed: read %s: %w", key, err)
			}
			info.Timestamp = truncate(s, 64)
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("feed: skip %q: %w", truncate(key, 40), err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	if !seen {
		return errors.New("feed: no \"vulnerabilities\" array: neither an NVD CVE 2.0 nor a KEV file")
	}
	return nil
}

func setKind(info *Info, k Kind) error {
	if info.Kind != "" && info.Kind != k {
		return fmt.Errorf("feed: expected a %s file, this is a %s file", info.Kind, k)
	}
	info.Kind = k
	return nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("expected %q, got %v", d, tok)
	}
	return nil
}

func readArray(dec *json.Decoder, info *Info, h Handler) error {
	if err := expectDelim(dec, '['); err != nil {
		return fmt.Errorf("feed: \"vulnerabilities\" is not an array: %w", err)
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("feed: record %d: %w", i, err)
		}
		if len(raw) > maxRecord {
			info.Skipped++
			info.problem(Problem{Index: i, Message: fmt.Sprintf("record larger than %d bytes", maxRecord)})
			continue
		}
		if info.Kind == "" {
			info.Kind = sniff(raw)
		}
		var err error
		switch info.Kind {
		case NVD:
			err = handleNVD(raw, i, info, h)
		case KEV:
			err = handleKEV(raw, i, info, h)
		default:
			info.Skipped++
			info.problem(Problem{Index: i, Message: "neither an NVD nor a KEV record"})
		}
		if err != nil {
			return err
		}
		if h.Progress != nil && (i+1)%1000 == 0 {
			h.Progress(i+1, 0)
		}
	}
	return expectDelim(dec, ']')
}

func sniff(raw json.RawMessage) Kind {
	var probe struct {
		CVE   json.RawMessage `json:"cve"`
		CVEID string          `json:"cveID"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return ""
	}
	switch {
	case len(probe.CVE) > 0:
		return NVD
	case probe.CVEID != "":
		return KEV
	}
	return ""
}

var cveID = regexp.MustCompile(`^CVE-\d{4}-\d{4,12}$`)

// ValidCVEID reports whether s is a CVE identifier (CVE-YYYY-NNNN...).
func ValidCVEID(s string) bool { return cveID.MatchString(s) }

type nvdRecord struct {
	CVE struct {
		ID             string `json:"id"`
		Published      string `json:"published"`
		LastModified   string `json:"lastModified"`
		VulnStatus     string `json:"vulnStatus"`
		CISAExploitAdd string `json:"cisaExploitAdd"`
		CISAActionDue  string `json:"cisaActionDue"`
		Descriptions   []struct {
			Lang  string `json:"lang"`
			Value string `json:"value"`
		} `json:"descriptions"`
		Metrics        map[string][]nvdMetric `json:"metrics"`
		Configurations []Configuration        `json:"configurations"`
	} `json:"cve"`
}

type nvdMetric struct {
	Type     string `json:"type"`
	CVSSData struct {
		Version      string  `json:"version"`
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
		BaseSeverity string  `json:"baseSeverity"`
	} `json:"cvssData"`
	BaseSeverity string `json:"baseSeverity"` // v2 keeps it outside cvssData
}

// parseTime reads the NVD's timestamps ("2021-10-05T09:15:07.593", no zone,
// UTC) and plain dates.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", truncate(s, 40))
}

func handleNVD(raw json.RawMessage, i int, info *Info, h Handler) error {
	var rec nvdRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		info.Skipped++
		info.problem(Problem{Index: i, Message: "not an NVD CVE record: " + truncate(err.Error(), 200)})
		return nil
	}
	c := rec.CVE
	if !ValidCVEID(c.ID) {
		info.Skipped++
		info.problem(Problem{Index: i, ID: truncate(c.ID, 40), Message: "bad CVE id"})
		return nil
	}
	out := CVE{ID: c.ID, Status: truncate(c.VulnStatus, 40), KEVAdded: truncate(c.CISAExploitAdd, 10),
		KEVDue: truncate(c.CISAActionDue, 10)}
	var err error
	if out.LastModified, err = parseTime(c.LastModified); err != nil {
		info.Skipped++
		info.problem(Problem{Index: i, ID: c.ID, Message: "lastModified: " + err.Error()})
		return nil
	}
	out.Published, _ = parseTime(c.Published)
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			out.Description = truncate(d.Value, maxDescription)
			break
		}
	}
	out.CVSS, out.Severity, out.Vector, out.CVSSVersion = pickMetric(c.Metrics)
	for ci, conf := range c.Configurations {
		var nodes []Node
		for ni, n := range conf.Nodes {
			var ms []Match
			for mi, m := range n.Matches {
				if _, err := cpe.Parse(m.Criteria); err != nil {
					info.problem(Problem{Index: i, ID: c.ID, Message: fmt.Sprintf("configuration %d node %d match %d: %v", ci, ni, mi, err)})
					continue
				}
				if err := m.Range.Validate(); err != nil {
					info.problem(Problem{Index: i, ID: c.ID, Message: fmt.Sprintf("configuration %d node %d match %d: %v", ci, ni, mi, err)})
					continue
				}
				ms = append(ms, m)
			}
			if len(ms) > 0 {
				n.Matches = ms
				nodes = append(nodes, n)
			}
		}
		if len(nodes) > 0 {
			conf.Nodes = nodes
			out.Configurations = append(out.Configurations, conf)
		}
	}
	info.Records++
	if h.CVE == nil {
		return nil
	}
	return h.CVE(out)
}

// pickMetric prefers CVSS v4.0, then v3.1, v3.0, v2, and within a version
// the NVD's Primary score.
func pickMetric(m map[string][]nvdMetric) (score float64, severity, vector, version string) {
	for _, key := range []string{"cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"} {
		list := m[key]
		if len(list) == 0 {
			continue
		}
		best := list[0]
		for _, x := range list {
			if x.Type == "Primary" {
				best = x
				break
			}
		}
		sev := best.CVSSData.BaseSeverity
		if sev == "" {
			sev = best.BaseSeverity
		}
		s := best.CVSSData.BaseScore
		if s < 0 || s > 10 {
			s = 0
		}
		return s, truncate(strings.ToUpper(sev), 16), truncate(best.CVSSData.VectorString, 200), truncate(best.CVSSData.Version, 8)
	}
	return 0, "", "", ""
}

type kevRecord struct {
	CVEID          string `json:"cveID"`
	VendorProject  string `json:"vendorProject"`
	Product        string `json:"product"`
	Name           string `json:"vulnerabilityName"`
	DateAdded      string `json:"dateAdded"`
	Description    string `json:"shortDescription"`
	RequiredAction string `json:"requiredAction"`
	DueDate        string `json:"dueDate"`
	Ransomware     string `json:"knownRansomwareCampaignUse"`
	Notes          string `json:"notes"`
}

func handleKEV(raw json.RawMessage, i int, info *Info, h Handler) error {
	var rec kevRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		info.Skipped++
		info.problem(Problem{Index: i, Message: "not a KEV entry: " + truncate(err.Error(), 200)})
		return nil
	}
	if !ValidCVEID(rec.CVEID) {
		info.Skipped++
		info.problem(Problem{Index: i, ID: truncate(rec.CVEID, 40), Message: "bad CVE id"})
		return nil
	}
	if _, err := time.Parse("2006-01-02", rec.DateAdded); err != nil {
		info.Skipped++
		info.problem(Problem{Index: i, ID: rec.CVEID, Message: "dateAdded is not a YYYY-MM-DD date"})
		return nil
	}
	due := rec.DueDate
	if _, err := time.Parse("2006-01-02", due); err != nil {
		if due != "" {
			info.problem(Problem{Index: i, ID: rec.CVEID, Message: "dueDate ignored: not a YYYY-MM-DD date"})
		}
		due = ""
	}
	info.Records++
	if h.KEV == nil {
		return nil
	}
	return h.KEV(KEVEntry{CVEID: rec.CVEID, Vendor: truncate(rec.VendorProject, 200), Product: truncate(rec.Product, 200),
		Name: truncate(rec.Name, 500), DateAdded: rec.DateAdded, Description: truncate(rec.Description, maxDescription),
		RequiredAction: truncate(rec.RequiredAction, 1000), DueDate: due, Ransomware: truncate(rec.Ransomware, 20), Notes: truncate(rec.Notes, 2000)})
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}
