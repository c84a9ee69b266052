package sigma

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Correlation types of the Sigma v2 specification.
const (
	EventCount      = "event_count"
	ValueCount      = "value_count"
	Temporal        = "temporal"
	TemporalOrdered = "temporal_ordered"
)

// CorrelationSpec is the correlation section of a Sigma v2 correlation
// rule.
type CorrelationSpec struct {
	Type     string
	Rules    []string // names or ids of the rules correlated
	GroupBy  []string
	Timespan time.Duration
	// Field is value_count's field whose distinct values are counted.
	Field string
	// Conditions must all hold for the count (event_count, value_count) or
	// the number of distinct rules seen (temporal: default gte len(Rules)).
	Conditions []CountCondition
	// Aliases map an alias used in GroupBy to each rule's own field name.
	Aliases map[string]map[string]string
	// Generate asks that the correlated rules also raise their own alerts.
	Generate bool
}

// CountCondition is one comparison, such as gte 10.
type CountCondition struct {
	Op    string // gt, gte, lt, lte, eq, neq
	Value int64
}

// Holds reports whether n satisfies the condition.
func (c CountCondition) Holds(n int64) bool {
	switch c.Op {
	case "gt":
		return n > c.Value
	case "gte":
		return n >= c.Value
	case "lt":
		return n < c.Value
	case "lte":
		return n <= c.Value
	case "eq":
		return n == c.Value
	case "neq":
		return n != c.Value
	}
	return false
}

type correlationDoc struct {
	Type      string                       `yaml:"type"`
	Rules     stringList                   `yaml:"rules"`
	GroupBy   stringList                   `yaml:"group-by"`
	Timespan  string                       `yaml:"timespan"`
	Timeframe string                       `yaml:"timeframe"`
	Condition yaml.Node                    `yaml:"condition"`
	Aliases   map[string]map[string]string `yaml:"aliases"`
	Generate  bool                         `yaml:"generate"`
}

func (d *correlationDoc) spec() (*CorrelationSpec, error) {
	s := &CorrelationSpec{
		Type: d.Type, Rules: d.Rules, GroupBy: d.GroupBy,
		Aliases: d.Aliases, Generate: d.Generate,
	}
	switch d.Type {
	case EventCount, ValueCount, Temporal, TemporalOrdered:
	case "":
		return nil, errors.New("missing type")
	default:
		return nil, fmt.Errorf("%w correlation type %q", ErrUnsupported, d.Type)
	}
	if len(s.Rules) == 0 {
		return nil, errors.New("missing rules")
	}
	span := d.Timespan
	if span == "" {
		span = d.Timeframe
	}
	ts, err := ParseTimespan(span)
	if err != nil {
		return nil, err
	}
	s.Timespan = ts
	if d.Condition.Kind == 0 {
		if d.Type == EventCount || d.Type == ValueCount {
			return nil, errors.New("missing condition")
		}
		s.Conditions = []CountCondition{{Op: "gte", Value: int64(len(s.Rules))}}
		return s, nil
	}
	if d.Condition.Kind != yaml.MappingNode {
		return nil, errors.New("condition must be a mapping such as {gte: 10}")
	}
	c := d.Condition.Content
	for i := 0; i+1 < len(c); i += 2 {
		k, v := strings.ToLower(c[i].Value), c[i+1].Value
		if k == "field" {
			s.Field = v
			continue
		}
		switch k {
		case "gt", "gte", "lt", "lte", "eq", "neq":
		default:
			return nil, fmt.Errorf("%w condition operator %q", ErrUnsupported, k)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("condition %s: want an integer, got %q", k, v)
		}
		s.Conditions = append(s.Conditions, CountCondition{Op: k, Value: n})
	}
	if len(s.Conditions) == 0 {
		return nil, errors.New("condition has no comparison")
	}
	if s.Type == ValueCount && s.Field == "" {
		return nil, errors.New("value_count needs condition.field")
	}
	return s, nil
}

// ParseTimespan parses a Sigma timespan such as 30s, 5m, 1h, 2d or 1w.
func ParseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("bad timespan %q", s)
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n <= 0 || n > 1_000_000 {
		return 0, fmt.Errorf("bad timespan %q", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("bad timespan unit in %q", s)
	}
	return time.Duration(n) * unit, nil
}
