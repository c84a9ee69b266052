package fraud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/ioc"
	"bulwark/internal/store"
)

// Blocklist kinds.
const (
	BlocklistRPZ      = "rpz"      // confirmed phishing domains as a DNS RPZ zone
	BlocklistDomains  = "domains"  // the same as CSV
	BlocklistPhones   = "phones"   // confirmed scam numbers as CSV, for telecoms
	BlocklistAccounts = "accounts" // confirmed mule accounts as CSV, for banks
)

// BlocklistKinds lists the kinds in display order.
var BlocklistKinds = []string{BlocklistRPZ, BlocklistDomains, BlocklistPhones, BlocklistAccounts}

// RPZOrigin is the zone name of the RPZ export.
const RPZOrigin = "rpz.bulwark.invalid."

// Blocklist is one rendered list with its validators.
type Blocklist struct {
	Kind         string
	ContentType  string
	Filename     string
	Body         []byte
	ETag         string    // strong, quoted
	LastModified time.Time // second precision
	Entries      int
}

// partnerKindOf says which partners a list is for.
func partnerKindOf(kind string) string {
	if kind == BlocklistAccounts {
		return "bank"
	}
	return "telecom"
}

// Blocklist renders a list of confirmed subjects for partners: telecom
// liaisons get numbers and domains, bank liaisons accounts, verifiers all.
// LastModified is the latest change to any subject of the list's kind.
func (s *Service) Blocklist(ctx context.Context, kind string) (Blocklist, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return Blocklist{}, err
	}
	var sk IdentifierKind
	switch kind {
	case BlocklistRPZ, BlocklistDomains:
		sk = KindDomain
	case BlocklistPhones:
		sk = KindPhone
	case BlocklistAccounts:
		sk = KindAccount
	default:
		return Blocklist{}, errs.E(errs.NotFound, "no blocklist %q; use rpz, domains, phones or accounts", kind)
	}
	if !access.CanDownloadBlocklist(p, partnerKindOf(kind)) {
		return Blocklist{}, s.log.Denied(ctx, "fraud.blocklist."+kind, "fraud_blocklist", kind)
	}
	var last store.Time
	if err := s.db.QueryRow(ctx, `SELECT MAX(updated_at) FROM fraud_subjects WHERE kind = ?`, string(sk)).Scan(&last); err != nil {
		return Blocklist{}, fmt.Errorf("fraud: blocklist: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT value, report_count, confirmed_at, reason FROM fraud_subjects WHERE kind = ? AND status = ? ORDER BY value`,
		string(sk), string(StatusConfirmed))
	if err != nil {
		return Blocklist{}, fmt.Errorf("fraud: blocklist: %w", err)
	}
	defer rows.Close()
	type entry struct {
		value   string
		reports int
		at      time.Time
	}
	var list []entry
	for rows.Next() {
		var e entry
		var at store.Time
		var reason string
		if err := rows.Scan(&e.value, &e.reports, &at, &reason); err != nil {
			return Blocklist{}, fmt.Errorf("fraud: blocklist: %w", err)
		}
		e.at = at.Time
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return Blocklist{}, fmt.Errorf("fraud: blocklist: %w", err)
	}
	b := Blocklist{Kind: kind, LastModified: last.Time.UTC().Truncate(time.Second), Entries: len(list)}
	var buf bytes.Buffer
	if kind == BlocklistRPZ {
		serial := uint32(b.LastModified.Unix())
		fmt.Fprintf(&buf, "; Bulwark: confirmed phishing domains (TLP:CLEAR), %d entries\n", len(list))
		fmt.Fprintf(&buf, "$TTL 300\n@ IN SOA localhost. hostmaster.localhost. %d 3600 600 86400 300\n@ IN NS localhost.\n", serial)
		for _, e := range list {
			// Values are canonical domains (NormalizeDomain output); the
			// byte check keeps anything else out of the zone file.
			if !zoneSafe(e.value) {
				continue
			}
			fmt.Fprintf(&buf, "%s CNAME .\n*.%s CNAME .\n", e.value, e.value)
		}
		b.ContentType, b.Filename = "text/dns; charset=utf-8", "bulwark-phishing.rpz"
	} else {
		w := csv.NewWriter(&buf)
		switch kind {
		case BlocklistDomains:
			_ = w.Write([]string{"domain", "reports", "confirmed_at"})
		case BlocklistPhones:
			_ = w.Write([]string{"phone_e164", "reports", "confirmed_at"})
		case BlocklistAccounts:
			_ = w.Write([]string{"bank", "account", "reports", "confirmed_at"})
		}
		for _, e := range list {
			at := ""
			if !e.at.IsZero() {
				at = e.at.UTC().Format(time.RFC3339)
			}
			if kind == BlocklistAccounts {
				bank, num, _ := ioc.SplitAccount(e.value)
				_ = w.Write([]string{bank, num, fmt.Sprint(e.reports), at})
				continue
			}
			_ = w.Write([]string{e.value, fmt.Sprint(e.reports), at})
		}
		w.Flush()
		b.ContentType, b.Filename = "text/csv; charset=utf-8", "bulwark-"+kind+".csv"
	}
	b.Body = buf.Bytes()
	sum := sha256.Sum256(b.Body)
	b.ETag = `"` + hex.EncodeToString(sum[:16]) + `"`
	return b, nil
}

// zoneSafe reports whether a canonical domain can be written as an owner
// name: letters, digits, hyphens, underscores and inner dots only.
func zoneSafe(d string) bool {
	if d == "" || len(d) > 253 || d[0] == '.' || d[len(d)-1] == '.' {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
