package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits on rule text, so that a hostile or broken rule file cannot exhaust
// memory or time.
const (
	// DefaultMaxFileSize bounds one rule file read by the loaders.
	DefaultMaxFileSize = 1 << 20
	// maxDocuments bounds the YAML documents in one file.
	maxDocuments = 1000
	// maxNodes bounds the YAML nodes of one rule.
	maxNodes = 100_000
)

// Logsource says which events a rule applies to. Empty fields match any.
type Logsource struct {
	Product  string `yaml:"product"`
	Category string `yaml:"category"`
	Service  string `yaml:"service"`
}

// String renders the logsource as product/category/service.
func (l Logsource) String() string {
	return l.Product + "/" + l.Category + "/" + l.Service
}

// Related links a rule to another rule (derived, obsolete, merged, renamed,
// similar).
type Related struct {
	ID   string `yaml:"id"`
	Type string `yaml:"type"`
}

// Rule is one parsed Sigma rule document: a detection rule or, when
// Correlation is not nil, a correlation rule. Author and Title are kept
// because alerts must credit the rule's author (Detection Rule License).
type Rule struct {
	ID             string
	Name           string // the v2 name other rules refer to
	Title          string
	Status         string
	Description    string
	Author         string
	License        string
	Date           string
	Modified       string
	Level          string
	References     []string
	Tags           []string
	FalsePositives []string
	Fields         []string
	Related        []Related
	Logsource      Logsource
	// Detection is nil for correlation rules.
	Detection *Detection
	// Correlation is set for correlation rules.
	Correlation *CorrelationSpec
	// Source names the file and document the rule came from, when loaded.
	Source string
}

// Detection is a rule's detection section: named selections and one or
// more conditions (several conditions are alternatives).
type Detection struct {
	// Names lists the selection names in document order.
	Names      []string
	Conditions []string
	// Timeframe is the deprecated v1 aggregation window, kept for reporting.
	Timeframe string
	nodes     map[string]*yaml.Node
}

// stringList accepts a YAML scalar or a sequence of scalars.
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*s = nil
			return nil
		}
		*s = stringList{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(stringList, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: want a string, got a %s", c.Line, kindName(c))
			}
			out = append(out, c.Value)
		}
		*s = out
		return nil
	}
	return fmt.Errorf("line %d: want a string or a list of strings, got a %s", n.Line, kindName(n))
}

// ruleDoc mirrors the YAML layout of a rule for decoding.
type ruleDoc struct {
	ID             string          `yaml:"id"`
	Name           string          `yaml:"name"`
	Title          string          `yaml:"title"`
	Status         string          `yaml:"status"`
	Description    string          `yaml:"description"`
	Author         string          `yaml:"author"`
	License        string          `yaml:"license"`
	Date           string          `yaml:"date"`
	Modified       string          `yaml:"modified"`
	Level          string          `yaml:"level"`
	References     stringList      `yaml:"references"`
	Tags           stringList      `yaml:"tags"`
	FalsePositives stringList      `yaml:"falsepositives"`
	Fields         stringList      `yaml:"fields"`
	Related        []Related       `yaml:"related"`
	Logsource      Logsource       `yaml:"logsource"`
	Action         string          `yaml:"action"`
	Detection      yaml.Node       `yaml:"detection"`
	Correlation    *correlationDoc `yaml:"correlation"`
}

// ParseRule parses a single-document Sigma rule.
func ParseRule(data []byte) (*Rule, error) {
	rules, errs := ParseRules(data)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	if len(rules) != 1 {
		return nil, fmt.Errorf("sigma: parse rule: want one document, got %d", len(rules))
	}
	return rules[0], nil
}

// DocumentError is the error for one YAML document of a multi-document file
// that could not be parsed; the other documents are still returned.
type DocumentError struct {
	Index int // zero-based document index
	ID    string
	Title string
	Err   error
}

func (e *DocumentError) Error() string {
	who := e.Title
	if who == "" {
		who = e.ID
	}
	if who != "" {
		return fmt.Sprintf("document %d (%q): %v", e.Index, who, e.Err)
	}
	return fmt.Sprintf("document %d: %v", e.Index, e.Err)
}

func (e *DocumentError) Unwrap() error { return e.Err }

// ParseRules parses every YAML document of data as a rule. A document that
// fails yields a *DocumentError and does not stop the others; a YAML syntax
// error ends the stream, since nothing after it can be located reliably.
func ParseRules(data []byte) ([]*Rule, []error) {
	var rules []*Rule
	var errs []error
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		if i >= maxDocuments {
			errs = append(errs, &DocumentError{Index: i, Err: fmt.Errorf("more than %d documents", maxDocuments)})
			break
		}
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, &DocumentError{Index: i, Err: fmt.Errorf("yaml: %w", err)})
			break
		}
		r, err := ruleFromNode(&n)
		if err != nil {
			de := &DocumentError{Index: i, Err: err}
			if r != nil {
				de.ID, de.Title = r.ID, r.Title
			}
			errs = append(errs, de)
			continue
		}
		if r != nil {
			rules = append(rules, r)
		}
	}
	return rules, errs
}

// ruleFromNode converts one document. It returns a nil rule and nil error
// for an empty document, and a partial rule (for naming) with an error.
func ruleFromNode(doc *yaml.Node) (r *Rule, err error) {
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return nil, nil
	}
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("a rule must be a mapping, got a %s", kindName(doc))
	}
	// Anchors and aliases are not used by Sigma and are the vehicle of
	// "billion laughs" expansion, so refuse them outright, and bound size.
	if err := checkTree(doc); err != nil {
		return nil, err
	}
	var d ruleDoc
	if err := doc.Decode(&d); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	r = &Rule{
		ID: d.ID, Name: d.Name, Title: d.Title, Status: d.Status,
		Description: d.Description, Author: d.Author, License: d.License,
		Date: d.Date, Modified: d.Modified, Level: d.Level,
		References: d.References, Tags: d.Tags, FalsePositives: d.FalsePositives,
		Fields: d.Fields, Related: d.Related, Logsource: d.Logsource,
	}
	switch {
	case d.Action != "":
		return r, fmt.Errorf("rule collections (action: %s) are not supported", d.Action)
	case d.Correlation != nil && d.Detection.Kind != 0:
		return r, errors.New("a rule cannot have both detection and correlation")
	case d.Correlation != nil:
		spec, err := d.Correlation.spec()
		if err != nil {
			return r, fmt.Errorf("correlation: %w", err)
		}
		r.Correlation = spec
		return r, nil
	case d.Detection.Kind == 0:
		return r, errors.New("missing detection")
	}
	det, err := parseDetection(&d.Detection)
	if err != nil {
		return r, fmt.Errorf("detection: %w", err)
	}
	r.Detection = det
	return r, nil
}

func parseDetection(n *yaml.Node) (*Detection, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("want a mapping, got a %s", kindName(n))
	}
	det := &Detection{nodes: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "condition":
			var c stringList
			if err := c.UnmarshalYAML(v); err != nil {
				return nil, fmt.Errorf("condition: %w", err)
			}
			det.Conditions = append(det.Conditions, c...)
		case "timeframe":
			det.Timeframe = v.Value
		default:
			if _, dup := det.nodes[k.Value]; dup {
				return nil, fmt.Errorf("selection %q defined twice", k.Value)
			}
			det.Names = append(det.Names, k.Value)
			det.nodes[k.Value] = v
		}
	}
	if len(det.Conditions) == 0 {
		return nil, errors.New("missing condition")
	}
	return det, nil
}

// checkTree rejects aliases and oversized documents.
func checkTree(root *yaml.Node) error {
	count := 0
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		count++
		if count > maxNodes {
			return fmt.Errorf("more than %d YAML nodes", maxNodes)
		}
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			return fmt.Errorf("line %d: YAML anchors and aliases are not allowed in rules", n.Line)
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return "scalar"
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return strings.ToLower(fmt.Sprint(n.Kind))
}
