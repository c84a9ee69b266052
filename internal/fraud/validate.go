package fraud

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bulwark/internal/errs"
	"bulwark/internal/ioc"
)

// canon is an identifier in canonical form.
type canon struct {
	Kind   IdentifierKind // subject kind (a URL becomes a domain)
	Value  string
	Key    string // lookup key: the account digits, otherwise Value
	Detail string // the URL of a domain, the name on an account
}

// Canonical normalises one identifier: phones to E.164 (Vietnam by
// default), URLs to their registered domain (the canonical URL kept as the
// detail), accounts and e-wallets to "CODE:digits", social profiles to
// "platform:handle", SMS sender names upper-case. It returns an *errs.Error
// naming the field "value" or "bank".
func Canonical(id Identifier) (kind IdentifierKind, value, detail string, err error) {
	c, err := canonical(id)
	return c.Kind, c.Value, c.Detail, err
}

func canonical(id Identifier) (canon, error) {
	v := strings.TrimSpace(id.Value)
	if v == "" {
		return canon{}, errs.Field("value", "is required")
	}
	if len(v) > 2048 {
		return canon{}, errs.Field("value", "is too long")
	}
	bad := func(err error) error {
		var ie *ioc.Error
		if errors.As(err, &ie) {
			return errs.Field("value", "%s", ie.Reason)
		}
		return errs.Field("value", "is not valid")
	}
	switch id.Kind {
	case KindPhone:
		p, err := ioc.NormalizePhone(v)
		if err != nil {
			return canon{}, bad(err)
		}
		return canon{Kind: KindPhone, Value: p, Key: p}, nil
	case KindSender:
		sn, err := ioc.Normalize(ioc.TypeSender, v)
		if err != nil {
			return canon{}, bad(err)
		}
		return canon{Kind: KindSender, Value: sn, Key: sn}, nil
	case KindURL, KindDomain:
		host, u, err := siteOf(v)
		if err != nil {
			return canon{}, bad(err)
		}
		reg, err := ioc.RegisteredDomain(host)
		if err != nil {
			return canon{}, bad(err)
		}
		return canon{Kind: KindDomain, Value: reg, Key: reg, Detail: u}, nil
	case KindSocial:
		sp, err := ioc.NormalizeSocial(v)
		if err != nil {
			return canon{}, bad(err)
		}
		return canon{Kind: KindSocial, Value: sp, Key: sp}, nil
	case KindAccount, KindWallet:
		bank := strings.TrimSpace(id.Bank)
		if bank == "" {
			if b, n, ok := strings.Cut(v, ":"); ok {
				bank, v = b, n
			}
		}
		if bank == "" {
			return canon{}, errs.Field("bank", "is required for an account")
		}
		acc, err := ioc.NormalizeAccount(bank, v)
		if err != nil {
			var ie *ioc.Error
			if errors.As(err, &ie) && strings.Contains(ie.Reason, "bank") {
				return canon{}, errs.Field("bank", "%s", ie.Reason)
			}
			return canon{}, bad(err)
		}
		_, digits, _ := ioc.SplitAccount(acc)
		name, err := cleanText("account_name", id.AccountName, MaxName, false)
		if err != nil {
			return canon{}, err
		}
		return canon{Kind: id.Kind, Value: acc, Key: digits, Detail: strings.ToUpper(name)}, nil
	}
	return canon{}, errs.Field("kind", "must be one of phone, sender, url, social, account, ewallet")
}

// siteOf reads a URL or a bare domain and returns its host and the
// canonical URL ("" for a bare domain). URLs with credentials, odd schemes
// and IP hosts are refused by ioc or here.
func siteOf(v string) (host, canonURL string, err error) {
	if d, derr := ioc.NormalizeDomain(v); derr == nil {
		return d, "", nil
	}
	u, err := ioc.NormalizeURL(v)
	if err != nil {
		return "", "", err
	}
	rest := u[strings.Index(u, "://")+3:]
	host = rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	if strings.HasPrefix(host, "[") || (host != "" && host[len(host)-1] >= '0' && host[len(host)-1] <= '9') {
		return "", "", &ioc.Error{Type: ioc.TypeURL, Reason: "a site named by an IP address cannot be listed; give the link in the narrative"}
	}
	return host, u, nil
}

// cleanText trims, checks UTF-8 and the length in runes, and drops control
// characters other than new lines and tabs. Markup is kept as text: pages
// escape it, and the narrative is never rendered as HTML.
func cleanText(field, s string, max int, multiline bool) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", errs.Field(field, "is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", errs.Field(field, "is too long: %d characters, at most %d", n, max)
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			if multiline {
				return r
			}
			return ' '
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s), nil
}

// prepared is a validated report ready to store.
type prepared struct {
	in     ReportInput
	subj   []canon
	phone  string // reporter's phone, E.164
	email  string // reporter's e-mail, lower-case
	occurs string
}

// prepare validates a report. Errors name the field, e.g.
// "identifiers[2].value".
func prepare(in ReportInput, now time.Time, requireConsent bool) (prepared, error) {
	var p prepared
	if !validChannel(in.Channel) {
		return p, errs.Field("channel", "choose how the scammer contacted you")
	}
	if in.ScamType == "" {
		in.ScamType = "other"
	}
	if !slices.Contains(ScamTypes, in.ScamType) {
		return p, errs.Field("scam_type", "is not a known kind of scam")
	}
	if in.OccurredOn != "" {
		d, err := time.Parse("2006-01-02", in.OccurredOn)
		if err != nil {
			return p, errs.Field("occurred_on", "must be a date YYYY-MM-DD")
		}
		if d.After(now.Add(24*time.Hour)) || d.Year() < 2000 {
			return p, errs.Field("occurred_on", "must not be in the future")
		}
		p.occurs = d.Format("2006-01-02")
	}
	if in.Amount < 0 || in.Amount > MaxAmount {
		return p, errs.Field("amount", "must be a whole number of đồng, 0 or more")
	}
	var err error
	if in.Narrative, err = cleanText("narrative", in.Narrative, MaxNarrative, true); err != nil {
		return p, err
	}
	if len(in.Identifiers) == 0 {
		return p, errs.Field("identifiers", "give at least one phone number, link, profile or account of the scammer")
	}
	if len(in.Identifiers) > MaxIdentifiers {
		return p, errs.Field("identifiers", "at most %d identifiers per report (got %d)", MaxIdentifiers, len(in.Identifiers))
	}
	seen := map[string]int{}
	for i, id := range in.Identifiers {
		c, err := canonical(id)
		if err != nil {
			var e *errs.Error
			if errors.As(err, &e) {
				return p, errs.InField(fmt.Sprintf("identifiers[%d].%s", i, e.Field), e)
			}
			return p, err
		}
		k := string(c.Kind) + "\x00" + c.Value
		if j, dup := seen[k]; dup {
			// The same site through two links: keep both URLs.
			if c.Detail != "" && p.subj[j].Detail != c.Detail && c.Kind == KindDomain {
				p.subj[j].Detail = joinDetail(p.subj[j].Detail, c.Detail)
			}
			continue
		}
		seen[k] = len(p.subj)
		p.subj = append(p.subj, c)
	}
	if in.Reporter.Name, err = cleanText("reporter.name", in.Reporter.Name, MaxName, false); err != nil {
		return p, err
	}
	if ph := strings.TrimSpace(in.Reporter.Phone); ph != "" {
		if p.phone, err = ioc.NormalizePhone(ph); err != nil {
			return p, errs.Field("reporter.phone", "is not a valid phone number")
		}
	}
	if em := strings.TrimSpace(in.Reporter.Email); em != "" {
		a, err := mail.ParseAddress(em)
		if err != nil || len(em) > 254 || a.Name != "" {
			return p, errs.Field("reporter.email", "is not a valid e-mail address")
		}
		p.email = strings.ToLower(a.Address)
	}
	if requireConsent && !in.Consent {
		return p, errs.Field("consent", "tick the box to agree to the processing of the data in this report")
	}
	p.in = in
	return p, nil
}

// joinDetail keeps up to a few distinct URLs for one domain of one report.
func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	parts := strings.Split(a, "\n")
	if slices.Contains(parts, b) || len(parts) >= 5 {
		return a
	}
	return a + "\n" + b
}
