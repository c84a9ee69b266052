package stix

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrNoIndicator is returned by DecodeObservable for an object that holds
// no value Bulwark can use as an indicator.
var ErrNoIndicator = errors.New("no indicator value")

// Indicator is the part of a STIX 2.1 indicator object that Bulwark uses.
// Zero times mean the property was absent.
type Indicator struct {
	ID                string
	SpecVersion       string
	Name              string
	Description       string
	Pattern           string
	PatternType       string // "stix" when the object does not say (STIX 2.0)
	PatternVersion    string
	IndicatorTypes    []string
	Labels            []string
	Confidence        *int // 0-100, nil when absent
	ValidFrom         time.Time
	ValidUntil        time.Time
	Created           time.Time
	Modified          time.Time
	Revoked           bool
	CreatedByRef      string
	ObjectMarkingRefs []string
}

// indicatorJSON mirrors the wire form; timestamps stay strings so that a
// bad one is reported with the property name.
type indicatorJSON struct {
	Type              string   `json:"type"`
	SpecVersion       string   `json:"spec_version"`
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Description       string   `json:"description"`
	Pattern           string   `json:"pattern"`
	PatternType       string   `json:"pattern_type"`
	PatternVersion    string   `json:"pattern_version"`
	IndicatorTypes    []string `json:"indicator_types"`
	Labels            []string `json:"labels"`
	Confidence        *int     `json:"confidence"`
	ValidFrom         string   `json:"valid_from"`
	ValidUntil        string   `json:"valid_until"`
	Created           string   `json:"created"`
	Modified          string   `json:"modified"`
	Revoked           bool     `json:"revoked"`
	CreatedByRef      string   `json:"created_by_ref"`
	ObjectMarkingRefs []string `json:"object_marking_refs"`
}

// DecodeIndicator decodes and checks an indicator object. It accepts STIX
// 2.0 indicators too (no spec_version, no pattern_type). The pattern itself
// is not parsed here; see Extract.
func DecodeIndicator(raw []byte) (*Indicator, error) {
	var j indicatorJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("stix: decode indicator: %w", err)
	}
	if j.Type != "indicator" {
		return nil, fmt.Errorf("stix: decode indicator: type is %q", j.Type)
	}
	if err := checkID("indicator", j.ID); err != nil {
		return nil, fmt.Errorf("stix: decode indicator: %w", err)
	}
	in := &Indicator{
		ID: j.ID, SpecVersion: j.SpecVersion, Name: j.Name, Description: j.Description,
		Pattern: j.Pattern, PatternType: j.PatternType, PatternVersion: j.PatternVersion,
		IndicatorTypes: j.IndicatorTypes, Labels: j.Labels, Confidence: j.Confidence,
		Revoked: j.Revoked, CreatedByRef: j.CreatedByRef, ObjectMarkingRefs: j.ObjectMarkingRefs,
	}
	fail := func(format string, args ...any) (*Indicator, error) {
		return nil, fmt.Errorf("stix: decode indicator %s: "+format, append([]any{j.ID}, args...)...)
	}
	if in.Pattern == "" {
		return fail("no pattern")
	}
	if in.PatternType == "" {
		in.PatternType = "stix"
	}
	if in.Confidence != nil && (*in.Confidence < 0 || *in.Confidence > 100) {
		return fail("confidence %d outside 0-100", *in.Confidence)
	}
	for _, f := range []struct {
		name string
		src  string
		dst  *time.Time
	}{
		{"valid_from", j.ValidFrom, &in.ValidFrom},
		{"valid_until", j.ValidUntil, &in.ValidUntil},
		{"created", j.Created, &in.Created},
		{"modified", j.Modified, &in.Modified},
	} {
		if f.src == "" {
			continue
		}
		t, err := ParseTimestamp(f.src)
		if err != nil {
			return fail("%s: %w", f.name, err)
		}
		*f.dst = t
	}
	if !in.ValidUntil.IsZero() && !in.ValidUntil.After(in.ValidFrom) {
		return fail("valid_until is not later than valid_from")
	}
	return in, nil
}

// ParseTimestamp parses a STIX timestamp: RFC 3339 in UTC with a Z suffix.
func ParseTimestamp(s string) (time.Time, error) {
	if !strings.HasSuffix(s, "Z") {
		return time.Time{}, fmt.Errorf("timestamp %q is not in UTC (Z)", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q: %w", s, err)
	}
	return t.UTC(), nil
}

// observableJSON holds the properties of the supported cyber-observables.
type observableJSON struct {
	Value  string            `json:"value"`
	Number json.Number       `json:"number"`
	Name   string            `json:"name"`
	Hashes map[string]string `json:"hashes"`
}

// DecodeObservable maps a cyber-observable object (ipv4-addr, ipv6-addr,
// domain-name, url, file, email-addr, autonomous-system) to observables. A
// file gives one observable per supported hash plus its name. It returns an
// error wrapping ErrNoIndicator for other types or objects without a usable
// value.
func DecodeObservable(obj Object) ([]Observable, error) {
	var j observableJSON
	if err := json.Unmarshal(obj.Raw, &j); err != nil {
		return nil, fmt.Errorf("stix: decode %s: %w", obj.ID, err)
	}
	var out []Observable
	single := func(t string) {
		if j.Value == "" {
			return
		}
		if (t == TypeIPv4 || t == TypeIPv6) && strings.Contains(j.Value, "/") {
			t = TypeCIDR
		}
		out = append(out, Observable{Type: t, Value: j.Value})
	}
	switch obj.Type {
	case "ipv4-addr":
		single(TypeIPv4)
	case "ipv6-addr":
		single(TypeIPv6)
	case "domain-name":
		single(TypeDomain)
	case "url":
		single(TypeURL)
	case "email-addr":
		single(TypeEmail)
	case "autonomous-system":
		if n, err := strconv.ParseUint(j.Number.String(), 10, 32); err == nil {
			out = append(out, Observable{Type: TypeASN, Value: strconv.FormatUint(n, 10)})
		}
	case "file":
		// Fixed order so results are deterministic.
		for _, alg := range []string{"MD5", "SHA-1", "SHA-256"} {
			for k, v := range j.Hashes {
				if v != "" && hashType(k) == hashType(alg) {
					out = append(out, Observable{Type: hashType(alg), Value: v})
					break
				}
			}
		}
		if j.Name != "" {
			out = append(out, Observable{Type: TypeFilename, Value: j.Name})
		}
	default:
		return nil, fmt.Errorf("stix: decode %s: type %s: %w", obj.ID, obj.Type, ErrNoIndicator)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("stix: decode %s: %w", obj.ID, ErrNoIndicator)
	}
	return out, nil
}
