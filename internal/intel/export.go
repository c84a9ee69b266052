package intel

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/ioc"
	"bulwark/internal/misp"
	"bulwark/internal/stix"
)

// Export formats.
const (
	ExportSTIX     = "stix"
	ExportMISP     = "misp"
	ExportCSV      = "csv"
	ExportPlain    = "plain"
	ExportRPZ      = "rpz"
	ExportFirewall = "firewall"
)

// ExportFormats lists the export formats.
var ExportFormats = []string{ExportSTIX, ExportMISP, ExportCSV, ExportPlain, ExportRPZ, ExportFirewall}

// ContentType is the media type of an export format.
func ContentType(format string) string {
	switch format {
	case ExportSTIX:
		return "application/stix+json;version=2.1"
	case ExportMISP:
		return "application/json"
	case ExportCSV:
		return "text/csv; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// FileName is a download name for an export.
func FileName(format string, at time.Time) string {
	ext := map[string]string{ExportSTIX: "json", ExportMISP: "json", ExportCSV: "csv", ExportPlain: "txt", ExportRPZ: "zone", ExportFirewall: "txt"}[format]
	return "bulwark-" + format + "-" + at.UTC().Format("20060102-150405") + "." + ext
}

// ExportResult counts what an export wrote and what it left out.
type ExportResult struct {
	Written int `json:"written"`
	Skipped int `json:"skipped"`
}

// Export writes the indicators the caller may see that pass f in the
// given format to w, streaming. Blocklists (rpz, firewall) and plain lists
// hold active indicators only; STIX, MISP and CSV carry revoked and
// expired ones with their state so a consumer can retract them. Any
// signed-in user may export what they see; anonymous callers get CLEAR.
// Every export is audited with its count.
func (s *Service) Export(ctx context.Context, w io.Writer, format string, f Filter) (ExportResult, error) {
	var res ExportResult
	var err error
	switch format {
	case ExportSTIX:
		res, err = s.exportSTIX(ctx, w, f)
	case ExportMISP:
		res, err = s.exportMISP(ctx, w, f)
	case ExportCSV:
		res, err = s.exportCSV(ctx, w, f)
	case ExportPlain:
		f.Active = true
		res, err = s.exportLines(ctx, w, f, func(ind Indicator) (string, bool) { return ind.Value, true })
	case ExportFirewall:
		f.Active = true
		res, err = s.exportLines(ctx, w, f, func(ind Indicator) (string, bool) {
			switch ind.Type {
			case ioc.TypeIPv4, ioc.TypeIPv6, ioc.TypeCIDR:
				return ind.Value, true
			}
			return "", false
		})
	case ExportRPZ:
		f.Active = true
		res, err = s.exportRPZ(ctx, w, f)
	default:
		return res, errs.Field("format", "must be one of stix, misp, csv, plain, rpz, firewall")
	}
	if err != nil {
		return res, err
	}
	_ = s.log.Write(ctx, audit.Entry{Action: "intel.export", ObjectType: "indicator", Detail: fmt.Sprintf("%s: %d written, %d skipped", format, res.Written, res.Skipped)})
	return res, nil
}

func (s *Service) exportSTIX(ctx context.Context, w io.Writer, f Filter) (ExportResult, error) {
	var res ExportResult
	sw, err := stix.NewWriter(w, stix.WriterOptions{Producer: stix.Producer{Name: s.cfg.Producer}, Now: s.now})
	if err != nil {
		return res, err
	}
	err = s.Each(ctx, f, func(ind Indicator) error {
		spec := stix.IndicatorSpec{Type: string(ind.Type), Value: ind.Value, TLP: string(ind.TLP), Labels: ind.Tags,
			IndicatorTypes: []string{"malicious-activity"}, Confidence: &ind.Confidence,
			Created: ind.CreatedAt, Modified: ind.UpdatedAt, ValidFrom: ind.FirstSeen, Revoked: ind.Revoked,
			Description: entryDescriptions(ind)}
		if ind.ValidUntil != nil && ind.ValidUntil.After(ind.FirstSeen) {
			spec.ValidUntil = *ind.ValidUntil
		}
		if _, err := sw.WriteIndicator(spec); err != nil {
			if errors.Is(err, stix.ErrNotExpressible) {
				res.Skipped++
				return nil
			}
			return err
		}
		res.Written++
		return nil
	})
	if err != nil {
		return res, err
	}
	return res, sw.Close()
}

func entryDescriptions(ind Indicator) string {
	var parts []string
	for _, e := range ind.Entries {
		if e.Description != "" && len(parts) < 5 {
			parts = append(parts, e.Description)
		}
	}
	return truncate(strings.Join(parts, "\n"), MaxDescription)
}

func (s *Service) exportMISP(ctx context.Context, w io.Writer, f Filter) (ExportResult, error) {
	var res ExportResult
	now := s.now()
	ew, err := misp.NewEventWriter(w, misp.EventSpec{Info: s.cfg.Producer + " indicators " + now.UTC().Format("2006-01-02 15:04"),
		Date: now, Analysis: 2, Distribution: 0, Orgc: misp.Org{Name: s.cfg.Producer}}, s.now)
	if err != nil {
		return res, err
	}
	err = s.Each(ctx, f, func(ind Indicator) error {
		tags := []string{"tlp:" + strings.ToLower(string(ind.TLP))}
		tags = append(tags, ind.Tags...)
		if _, err := ew.WriteAttribute(misp.AttributeSpec{Type: string(ind.Type), Value: ind.Value, ToIDs: ind.Active,
			Comment: truncate(entryDescriptions(ind), 1000), Tags: tags}); err != nil {
			if errors.Is(err, misp.ErrNoMISPType) {
				res.Skipped++
				return nil
			}
			return err
		}
		res.Written++
		return nil
	})
	if err != nil {
		return res, err
	}
	return res, ew.Close()
}

// CSVHeader is the header of CSV exports; the same names map it back on
// import (ExportCSVMapping).
var CSVHeader = []string{"type", "value", "tlp", "confidence", "tags", "first_seen", "last_seen", "valid_until", "revoked", "sources", "description"}

// ExportCSVMapping imports a Bulwark CSV export.
const ExportCSVMapping = "header,type=type,value=value,tlp=tlp,confidence=confidence,tags=tags,first_seen=first_seen,last_seen=last_seen,valid_until=valid_until,description=description"

// csvSafe keeps spreadsheet programs from running a free-text cell as a
// formula. Values are left as they are: they must import back unchanged.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *Service) exportCSV(ctx context.Context, w io.Writer, f Filter) (ExportResult, error) {
	var res ExportResult
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return res, err
	}
	err := s.Each(ctx, f, func(ind Indicator) error {
		var sources []string
		for _, e := range ind.Entries {
			sources = append(sources, e.AgencyCode+"/"+e.Source)
		}
		vu := ""
		if ind.ValidUntil != nil {
			vu = ind.ValidUntil.Format(time.RFC3339)
		}
		rec := []string{string(ind.Type), ind.Value, string(ind.TLP), strconv.Itoa(ind.Confidence), strings.Join(ind.Tags, "|"),
			ind.FirstSeen.Format(time.RFC3339), ind.LastSeen.Format(time.RFC3339), vu, strconv.FormatBool(ind.Revoked),
			csvSafe(strings.Join(sources, "|")), csvSafe(strings.ReplaceAll(entryDescriptions(ind), "\n", " "))}
		res.Written++
		return cw.Write(rec)
	})
	if err != nil {
		return res, err
	}
	cw.Flush()
	return res, cw.Error()
}

func (s *Service) exportLines(ctx context.Context, w io.Writer, f Filter, line func(Indicator) (string, bool)) (ExportResult, error) {
	var res ExportResult
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "# %s indicators, exported %s\n", s.cfg.Producer, s.now().UTC().Format(time.RFC3339))
	err := s.Each(ctx, f, func(ind Indicator) error {
		l, ok := line(ind)
		if !ok {
			res.Skipped++
			return nil
		}
		res.Written++
		_, err := bw.WriteString(l + "\n")
		return err
	})
	if err != nil {
		return res, err
	}
	return res, bw.Flush()
}

// rpzName reports whether d can be written as an owner name of the zone
// (letters, digits, hyphens, underscores; labels of 1-63 bytes; the
// whole name with the wildcard and origin within 255 bytes).
func rpzName(d, origin string) bool {
	if d == "" || len(d)+len(origin)+3 > 254 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// exportRPZ writes a DNS Response Policy Zone: every active domain and its
// subdomains answer NXDOMAIN (CNAME .).
func (s *Service) exportRPZ(ctx context.Context, w io.Writer, f Filter) (ExportResult, error) {
	var res ExportResult
	if f.Type != "" && f.Type != ioc.TypeDomain {
		return res, errs.Field("type", "an RPZ zone holds domains only")
	}
	f.Type = ioc.TypeDomain
	origin := strings.TrimSuffix(s.cfg.RPZDomain, ".") + "."
	bw := bufio.NewWriterSize(w, 64<<10)
	now := s.now().UTC()
	fmt.Fprintf(bw, "; %s response policy zone, exported %s\n", s.cfg.Producer, now.Format(time.RFC3339))
	fmt.Fprintf(bw, "$TTL 300\n$ORIGIN %s\n", origin)
	fmt.Fprintf(bw, "@ IN SOA localhost. hostmaster.localhost. %d 3600 600 604800 300\n", uint32(now.Unix()))
	fmt.Fprintf(bw, "@ IN NS localhost.\n")
	err := s.Each(ctx, f, func(ind Indicator) error {
		if !rpzName(ind.Value, origin) {
			res.Skipped++
			return nil
		}
		res.Written++
		_, err := fmt.Fprintf(bw, "%s CNAME .\n*.%s CNAME .\n", ind.Value, ind.Value)
		return err
	})
	if err != nil {
		return res, err
	}
	return res, bw.Flush()
}

// ParseExportFilter reads the common export and list filters from
// query-string style values (type, tlp, tag, since as a date or RFC 3339
// time, active).
func ParseExportFilter(get func(string) string) (Filter, error) {
	var f Filter
	if t := get("type"); t != "" {
		typ, err := ioc.ParseType(t)
		if err != nil {
			return f, errs.Field("type", "unknown indicator type")
		}
		f.Type = typ
	}
	if t := get("tlp"); t != "" {
		tlp, err := access.ParseTLP(t)
		if err != nil {
			return f, err
		}
		f.TLP = tlp
	}
	f.Tag = get("tag")
	if s := get("since"); s != "" {
		t, err := parseLooseTime(s)
		if err != nil {
			return f, errs.Field("since", "must be a date YYYY-MM-DD or an RFC 3339 time")
		}
		f.Since = t
	}
	f.Active = get("active") == "true"
	f.Query = get("q")
	return f, nil
}
