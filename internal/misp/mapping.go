package misp

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrUnmapped marks an attribute that does not become an indicator; the
// *UnmappedError wrapping it says why.
var ErrUnmapped = errors.New("attribute not mapped")

// UnmappedError reports why an attribute gives no indicator.
type UnmappedError struct {
	Type   string
	Reason string
}

// Error describes the problem.
func (e *UnmappedError) Error() string {
	return fmt.Sprintf("misp attribute type %q: %s", e.Type, e.Reason)
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *UnmappedError) Unwrap() error { return ErrUnmapped }

func unmapped(typ, format string, args ...any) error {
	return &UnmappedError{Type: typ, Reason: fmt.Sprintf(format, args...)}
}

// notIndicators are known MISP types that describe context rather than an
// observable Bulwark can match, with the reason reported.
var notIndicators = map[string]string{
	"text": "free text", "comment": "free text", "other": "free text",
	"link":          "a reference to external analysis, not an observable",
	"vulnerability": "a CVE, handled by vulnerability management",
	"threat-actor":  "attribution", "campaign-name": "attribution", "campaign-id": "attribution",
	"attachment": "a file attachment", "malware-sample": "a file attachment",
	"yara": "a rule, not a value", "sigma": "a rule, not a value", "snort": "a rule, not a value",
	"suricata": "a rule, not a value", "stix2-pattern": "a pattern, not a value",
	"target-user": "a victim, not an indicator", "target-email": "a victim, not an indicator",
	"target-machine": "a victim, not an indicator", "target-org": "a victim, not an indicator",
	"target-location": "a victim, not an indicator", "target-external": "a victim, not an indicator",
}

// Map turns one attribute into indicators. Composite types give one or two
// (filename|md5 gives the file name and the hash; domain|ip both). ip-src
// and ip-dst give ipv4, ipv6 or cidr by the value's form. An attribute that
// gives no indicator returns an error wrapping ErrUnmapped (an
// *UnmappedError with the reason). ToIDs is not consulted: the importer
// decides what to do with attributes that are not marked for detection.
func Map(a Attribute) ([]Observable, error) {
	v := strings.TrimSpace(a.Value)
	if v == "" {
		return nil, unmapped(a.Type, "empty value")
	}
	one := func(t string) ([]Observable, error) { return []Observable{{Type: t, Value: v}}, nil }
	switch a.Type {
	case "ip-src", "ip-dst":
		return []Observable{ipObservable(v)}, nil
	case "ip-src|port", "ip-dst|port":
		ip, _, err := split(a.Type, v)
		if err != nil {
			return nil, err
		}
		return []Observable{ipObservable(ip)}, nil
	case "domain", "hostname":
		return one(TypeDomain)
	case "hostname|port":
		host, _, err := split(a.Type, v)
		if err != nil {
			return nil, err
		}
		return []Observable{{Type: TypeDomain, Value: host}}, nil
	case "domain|ip":
		d, ip, err := split(a.Type, v)
		if err != nil {
			return nil, err
		}
		return []Observable{{Type: TypeDomain, Value: d}, ipObservable(ip)}, nil
	case "url":
		return one(TypeURL)
	case "uri":
		// A uri is often only a path ("/gate.php"); only a full URL can
		// be matched as one.
		if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
			return one(TypeURL)
		}
		return nil, unmapped(a.Type, "not an absolute URL (a path alone is not an indicator)")
	case "md5":
		return one(TypeMD5)
	case "sha1":
		return one(TypeSHA1)
	case "sha256":
		return one(TypeSHA256)
	case "filename":
		return one(TypeFilename)
	case "filename|md5", "filename|sha1", "filename|sha256":
		name, hash, err := split(a.Type, v)
		if err != nil {
			return nil, err
		}
		return []Observable{{Type: TypeFilename, Value: name}, {Type: strings.TrimPrefix(a.Type, "filename|"), Value: hash}}, nil
	case "email", "email-src", "email-dst", "email-reply-to", "whois-registrant-email", "dns-soa-email":
		return one(TypeEmail)
	case "AS":
		return one(TypeASN)
	case "phone-number", "whois-registrant-phone":
		return one(TypePhone)
	}
	if why, ok := notIndicators[a.Type]; ok {
		return nil, unmapped(a.Type, "%s", why)
	}
	return nil, unmapped(a.Type, "type not supported")
}

// split cuts a composite value at its last '|': the second parts of the
// composite types Map supports (port, ip, hash) never contain one, while a
// file name might.
func split(typ, v string) (string, string, error) {
	i := strings.LastIndexByte(v, '|')
	if i <= 0 || i == len(v)-1 {
		return "", "", unmapped(typ, "composite value %q is not two parts joined by '|'", v)
	}
	return v[:i], v[i+1:], nil
}

func ipObservable(v string) Observable {
	switch {
	case strings.Contains(v, "/"):
		return Observable{Type: TypeCIDR, Value: v}
	case strings.Contains(v, ":"):
		return Observable{Type: TypeIPv6, Value: v}
	}
	return Observable{Type: TypeIPv4, Value: v}
}
