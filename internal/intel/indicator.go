package intel

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/intel/warninglist"
	"bulwark/internal/ioc"
)

// Types are the indicator types intel stores, in display order.
var Types = []ioc.Type{
	ioc.TypeIPv4, ioc.TypeIPv6, ioc.TypeCIDR, ioc.TypeDomain, ioc.TypeURL,
	ioc.TypeMD5, ioc.TypeSHA1, ioc.TypeSHA256, ioc.TypeEmail, ioc.TypePhone,
	ioc.TypeFilename, ioc.TypeASN,
}

// Limits of one entry's fields.
const (
	MaxTags        = 32
	MaxTagLen      = 64
	MaxDescription = 4000
	MaxSource      = 200
	MaxShares      = 200
	MaxReason      = 500
)

// DefaultConfidence is the confidence of an entry that does not give one.
const DefaultConfidence = 50

// Indicator is what a reader sees of one indicator: the value and the
// entries visible to them, with figures summed over those entries.
type Indicator struct {
	ID    int64    `json:"id"`
	Type  ioc.Type `json:"type"`
	Value string   `json:"value"`
	// TLP is the strictest label of the visible entries: an export that
	// carries their combined data must not be shared more widely.
	TLP        access.TLP `json:"tlp"`
	Confidence int        `json:"confidence"`
	Tags       []string   `json:"tags"`
	FirstSeen  time.Time  `json:"first_seen"`
	LastSeen   time.Time  `json:"last_seen"`
	// ValidUntil is the latest expiry of the active entries; nil when one
	// of them never expires or none is active.
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	// Active: at least one visible entry is neither revoked nor expired.
	Active    bool      `json:"active"`
	Revoked   bool      `json:"revoked"`
	Entries   []Entry   `json:"entries"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Entry is one source's report of an indicator.
type Entry struct {
	ID            int64      `json:"id"`
	IndicatorID   int64      `json:"indicator_id"`
	AgencyID      int64      `json:"agency_id"`
	AgencyCode    string     `json:"agency_code"`
	Source        string     `json:"source"`
	TLP           access.TLP `json:"tlp"`
	Confidence    int        `json:"confidence"`
	Tags          []string   `json:"tags"`
	Description   string     `json:"description,omitempty"`
	FirstSeen     time.Time  `json:"first_seen"`
	LastSeen      time.Time  `json:"last_seen"`
	ValidUntil    *time.Time `json:"valid_until,omitempty"`
	Revoked       bool       `json:"revoked"`
	RevokedReason string     `json:"revoked_reason,omitempty"`
	ShareWith     []int64    `json:"share_with,omitempty"`
	People        []int64    `json:"people,omitempty"`
	CreatedBy     int64      `json:"created_by,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Active reports whether the entry may be used for matching at now.
func (e *Entry) Active(now time.Time) bool {
	return !e.Revoked && (e.ValidUntil == nil || e.ValidUntil.After(now))
}

// shared is the entry's audience for access.CanSee.
func (e *Entry) shared() access.Shared {
	return access.Shared{TLP: e.TLP, OwnerAgency: e.AgencyID, Agencies: e.ShareWith, People: e.People}
}

// Input is one report of an indicator, from a form, the API, an import or
// another capability.
type Input struct {
	Type        string     `json:"type"`
	Value       string     `json:"value"`
	TLP         access.TLP `json:"tlp"`
	Confidence  *int       `json:"confidence,omitempty"`
	Tags        []string   `json:"tags,omitempty"`
	Description string     `json:"description,omitempty"`
	// Source names where the report comes from within the agency ("manual"
	// when empty): a feed, a partner, an incident reference.
	Source     string     `json:"source,omitempty"`
	FirstSeen  *time.Time `json:"first_seen,omitempty"`
	LastSeen   *time.Time `json:"last_seen,omitempty"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	Revoked    bool       `json:"revoked,omitempty"`
	// ShareWith lists the agencies an AMBER entry is shared with.
	ShareWith []int64 `json:"share_with,omitempty"`
	// People names the users who may see a RED entry; the creator is
	// always added.
	People []int64 `json:"people,omitempty"`
	// AgencyID is the owner; the caller's agency when zero. Only admins and
	// the system may report for another agency.
	AgencyID int64 `json:"agency_id,omitempty"`
	// Confirm acknowledges warning-list hits; without it a hit refuses a
	// single report (imports report hits and go on).
	Confirm bool `json:"confirm,omitempty"`
}

// clean is a validated, normalised Input.
type clean struct {
	typ        ioc.Type
	value      string
	tlp        access.TLP
	confidence int
	tags       []string
	desc       string
	source     string
	firstSeen  time.Time
	lastSeen   time.Time
	validUntil *time.Time
	revoked    bool
	shares     []int64
	people     []int64
	agency     int64
	hits       []warninglist.Hit
}

// validate checks and normalises in. now fills the seen dates; defTLP
// applies when in.TLP is empty (imports pass the file's default). Errors
// are errs.Field errors naming the field.
func validate(in Input, now time.Time, defTLP access.TLP) (clean, error) {
	var c clean
	t, err := ioc.ParseType(in.Type)
	if err != nil || !slices.Contains(Types, t) {
		return c, errs.Field("type", "must be one of ipv4, ipv6, cidr, domain, url, md5, sha1, sha256, email, phone, filename, asn")
	}
	c.typ = t
	v, err := ioc.Normalize(t, in.Value)
	if err != nil {
		return c, errs.Field("value", "%s", strings.TrimPrefix(err.Error(), "invalid "))
	}
	c.value = v
	c.tlp = in.TLP
	if c.tlp == "" {
		c.tlp = defTLP
	}
	if c.tlp, err = access.ParseTLP(string(c.tlp)); err != nil {
		return c, err
	}
	c.confidence = DefaultConfidence
	if in.Confidence != nil {
		if *in.Confidence < 0 || *in.Confidence > 100 {
			return c, errs.Field("confidence", "must be from 0 to 100")
		}
		c.confidence = *in.Confidence
	}
	if c.tags, err = cleanTags(in.Tags); err != nil {
		return c, err
	}
	if len(in.Description) > MaxDescription || !utf8.ValidString(in.Description) {
		return c, errs.Field("description", "must be UTF-8 text of at most %d bytes", MaxDescription)
	}
	c.desc = strings.TrimSpace(in.Description)
	c.source = strings.TrimSpace(in.Source)
	if c.source == "" {
		c.source = "manual"
	}
	if len(c.source) > MaxSource || !utf8.ValidString(c.source) || strings.ContainsAny(c.source, "\r\n\t") {
		return c, errs.Field("source", "must be one line of at most %d bytes", MaxSource)
	}
	now = now.UTC().Truncate(time.Microsecond)
	c.firstSeen, c.lastSeen = now, now
	if in.FirstSeen != nil && !in.FirstSeen.IsZero() {
		c.firstSeen = in.FirstSeen.UTC().Truncate(time.Microsecond)
		c.lastSeen = c.firstSeen
	}
	if in.LastSeen != nil && !in.LastSeen.IsZero() {
		c.lastSeen = in.LastSeen.UTC().Truncate(time.Microsecond)
		if in.FirstSeen == nil || in.FirstSeen.IsZero() {
			c.firstSeen = c.lastSeen
		}
	}
	if c.lastSeen.Before(c.firstSeen) {
		return c, errs.Field("last_seen", "must not be before first_seen")
	}
	if in.ValidUntil != nil && !in.ValidUntil.IsZero() {
		vu := in.ValidUntil.UTC().Truncate(time.Microsecond)
		c.validUntil = &vu
	}
	c.revoked = in.Revoked
	if len(in.ShareWith) > MaxShares {
		return c, errs.Field("share_with", "at most %d agencies", MaxShares)
	}
	c.shares = uniqueIDs(in.ShareWith)
	if len(in.People) > MaxShares {
		return c, errs.Field("people", "at most %d people", MaxShares)
	}
	c.people = uniqueIDs(in.People)
	c.agency = in.AgencyID
	return c, nil
}

func uniqueIDs(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// cleanTags lower-cases, trims and de-duplicates tags. Commas are the
// stored separator, so they are refused.
func cleanTags(in []string) ([]string, error) {
	var out []string
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if len(t) > MaxTagLen || !utf8.ValidString(t) || strings.ContainsAny(t, ",\r\n\t") {
			return nil, errs.Field("tags", "each tag is one line of at most %d bytes without commas", MaxTagLen)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, errs.Field("tags", "at most %d tags", MaxTags)
	}
	slices.Sort(out)
	return out, nil
}

// joinTags is the stored form: ",a,b," so one tag is found with LIKE.
func joinTags(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return "," + strings.Join(tags, ",") + ","
}

func splitTags(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func unionTags(a, b []string) []string {
	out := slices.Clone(a)
	for _, t := range b {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	if len(out) > MaxTags {
		out = out[:MaxTags]
	}
	return out
}

// summarise fills the indicator's figures from its visible entries.
func (ind *Indicator) summarise(now time.Time) {
	ind.TLP, ind.Confidence, ind.Tags = "", 0, nil
	ind.Active, ind.Revoked, ind.ValidUntil = false, true, nil
	never := false
	for i, e := range ind.Entries {
		if ind.TLP == "" || e.TLP.Rank() > ind.TLP.Rank() {
			ind.TLP = e.TLP
		}
		ind.Confidence = max(ind.Confidence, e.Confidence)
		ind.Tags = unionTags(ind.Tags, e.Tags)
		if i == 0 || e.FirstSeen.Before(ind.FirstSeen) {
			ind.FirstSeen = e.FirstSeen
		}
		if e.LastSeen.After(ind.LastSeen) {
			ind.LastSeen = e.LastSeen
		}
		if !e.Revoked {
			ind.Revoked = false
		}
		if e.Active(now) {
			ind.Active = true
			if e.ValidUntil == nil {
				never = true
			} else if ind.ValidUntil == nil || e.ValidUntil.After(*ind.ValidUntil) {
				vu := *e.ValidUntil
				ind.ValidUntil = &vu
			}
		}
	}
	if never {
		ind.ValidUntil = nil
	}
	if ind.Tags == nil {
		ind.Tags = []string{}
	}
}
