package incident

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"bulwark/internal/access"
	"bulwark/internal/errs"

	"bulwark/internal/textcheck"
)

// Size limits of the text a person types, in characters. They are part of
// the API contract: a longer value is refused with an error naming the field.
const (
	MaxTitle     = 300
	MaxShort     = 300
	MaxMedium    = 2000
	MaxLong      = 20000
	MaxComment   = 20000
	MaxQuery     = 200
	MaxNameLen   = 255
	maxListLimit = 500
)

type text struct {
	field     string
	max       int
	required  bool
	multiline bool
}

// cleanText checks one free-text field the way every capability does
// (see internal/textcheck).
func cleanText(t text, s string) (string, error) {
	return textcheck.Clean(textcheck.Field{Name: t.field, Max: t.max, Required: t.required, Multiline: t.multiline}, s)
}

// cleaner collects the first error of a series of cleanText calls, so a
// form's checks read as a list.
type cleaner struct{ err error }

func (c *cleaner) text(dst *string, t text) {
	if c.err != nil {
		return
	}
	*dst, c.err = cleanText(t, *dst)
}

// fold maps text to its search form: lower case, Vietnamese diacritics
// removed (đ becomes d), runs of white space as one space, so "Tấn công"
// and "tan cong" match alike on both engines.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		default:
			r = unicode.ToLower(r)
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ParseSeverity checks a severity name.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Severities, v) {
		return "", errs.Field("severity", "must be one of low, medium, high, critical")
	}
	return v, nil
}

// ParseStatus checks a status name.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Statuses, v) {
		return "", errs.Field("status", "unknown status")
	}
	return v, nil
}

// ParsePAP accepts a PAP label in any case, with or without "PAP:".
func ParsePAP(s string) (PAP, error) {
	v := PAP(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "PAP:"))
	if v == "WHITE" {
		v = PAPClear
	}
	if !slices.Contains(PAPs, v) {
		return "", errs.Field("pap", "must be one of CLEAR, GREEN, AMBER, RED")
	}
	return v, nil
}

// clean checks and normalises an Input; now is the present, for refusing
// detection times in the future.
func clean(in Input, now time.Time) (Input, error) {
	c := &cleaner{}
	c.text(&in.Title, text{field: "title", max: MaxTitle, required: true})
	c.text(&in.Description, text{field: "description", max: MaxLong, multiline: true})
	c.text(&in.ReporterName, text{field: "reporter_name", max: MaxShort})
	c.text(&in.ReporterContact, text{field: "reporter_contact", max: MaxShort})
	c.text(&in.Operator, text{field: "operator", max: MaxShort})
	c.text(&in.SystemOwner, text{field: "system_owner", max: MaxShort})
	c.text(&in.AffectedSystems, text{field: "affected_systems", max: MaxMedium, multiline: true})
	c.text(&in.AffectedAddrs, text{field: "affected_addresses", max: MaxMedium, multiline: true})
	c.text(&in.Provider, text{field: "provider", max: MaxShort})
	c.text(&in.ImpactHarm, text{field: "impact_harm", max: MaxMedium * 5, multiline: true})
	c.text(&in.ImpactSpread, text{field: "impact_spread", max: MaxMedium * 5, multiline: true})
	c.text(&in.ImpactOps, text{field: "impact_operations", max: MaxMedium * 5, multiline: true})
	c.text(&in.Measures, text{field: "measures", max: MaxLong, multiline: true})
	c.text(&in.Lessons, text{field: "lessons", max: MaxLong, multiline: true})
	c.text(&in.Playbook, text{field: "playbook", max: 64})
	if c.err != nil {
		return in, c.err
	}
	cat := strings.ToLower(strings.TrimSpace(in.Category))
	if len(cat) > 100 || !ValidCategory(cat) {
		return in, errs.Field("category", "must be a category of the Reference Security Incident Taxonomy, as class/type (e.g. intrusions/system-compromise)")
	}
	in.Category = cat
	var err error
	if in.Severity == "" {
		in.Severity = SeverityMedium
	}
	if in.Severity, err = ParseSeverity(string(in.Severity)); err != nil {
		return in, err
	}
	if in.TLP == "" {
		in.TLP = access.Amber
	}
	if in.TLP, err = access.ParseTLP(string(in.TLP)); err != nil {
		return in, err
	}
	if in.PAP == "" {
		in.PAP = PAPAmber
	}
	if in.PAP, err = ParsePAP(string(in.PAP)); err != nil {
		return in, err
	}
	if in.SystemLevel < 0 || in.SystemLevel > 5 {
		return in, errs.Field("system_level", "must be 0 (unknown) or a security level from 1 to 5")
	}
	if len(in.Effects) > len(Effects) {
		return in, errs.Field("effects", "lists too many effects")
	}
	var effects []Effect
	for _, e := range in.Effects {
		e = Effect(strings.ToLower(strings.TrimSpace(string(e))))
		if !slices.Contains(Effects, e) {
			return in, errs.Field("effects", "must be among interruption, state_secret, integrity_loss, loss_of_control, spread")
		}
		if !slices.Contains(effects, e) {
			effects = append(effects, e)
		}
	}
	in.Effects = effects
	if in.DetectedAt.IsZero() {
		return in, errs.Field("detected_at", "is required")
	}
	if in.DetectedAt.After(now.Add(10 * time.Minute)) {
		return in, errs.Field("detected_at", "is in the future")
	}
	if in.DetectedAt.Year() < 2000 {
		return in, errs.Field("detected_at", "is too far in the past")
	}
	in.DetectedAt = in.DetectedAt.UTC().Truncate(time.Second)
	if len(in.Participants) > 50 {
		return in, errs.Field("participating_agency_ids", "at most 50 agencies")
	}
	if len(in.People) > 100 {
		return in, errs.Field("named_people", "at most 100 people")
	}
	return in, nil
}

func effectsText(es []Effect) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = string(e)
	}
	return strings.Join(s, ",")
}

func parseEffects(s string) []Effect {
	out := []Effect{}
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, Effect(p))
		}
	}
	return out
}
