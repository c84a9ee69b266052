// Package i18n holds the message catalogs of the interface: Vietnamese first,
// English second. Every text a page shows comes from here, keyed by a stable
// name; templates never hard-code words.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"bulwark/internal/errs"
)

//go:embed locales
var localeFS embed.FS

// Languages lists the supported languages, the default first.
var Languages = []string{"vi", "en"}

// Default is the language used when none is chosen.
const Default = "vi"

// Catalog holds every language's messages.
type Catalog struct {
	msgs map[string]map[string]string
}

// Load parses the embedded catalogs: every locales/<lang>/*.json file,
// one per capability, merged. A key defined twice is an error, so two
// capabilities cannot silently overwrite each other's words.
func Load() (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, lang := range Languages {
		dir := path.Join("locales", lang)
		entries, err := fs.ReadDir(localeFS, dir)
		if err != nil {
			return nil, fmt.Errorf("i18n: read %s: %w", lang, err)
		}
		m := map[string]string{}
		from := map[string]string{}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			b, err := fs.ReadFile(localeFS, path.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("i18n: read %s/%s: %w", lang, e.Name(), err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("i18n: parse %s/%s: %w", lang, e.Name(), err)
			}
			for k, v := range part {
				if prev, dup := from[k]; dup {
					return nil, fmt.Errorf("i18n: key %q defined in both %s/%s and %s/%s", k, lang, prev, lang, e.Name())
				}
				from[k] = e.Name()
				m[k] = v
			}
		}
		c.msgs[lang] = m
	}
	return c, nil
}

// Supported returns lang if it is supported, else the default.
func Supported(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	for _, l := range Languages {
		if l == lang {
			return l
		}
	}
	return Default
}

// Keys returns the sorted keys of one language, for tests.
func (c *Catalog) Keys(lang string) []string {
	var out []string
	for k := range c.msgs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether key exists in lang.
func (c *Catalog) Has(lang, key string) bool {
	_, ok := c.msgs[lang][key]
	return ok
}

// T returns the message for key in lang, formatted with args. A missing key
// falls back to the default language and then to the key itself, so a gap
// shows up visibly instead of as an empty string.
func (c *Catalog) T(lang, key string, args ...any) string {
	msg, ok := c.msgs[lang][key]
	if !ok {
		msg, ok = c.msgs[Default][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Lang binds a catalog to one language, for templates: {{.L.T "key"}}.
type Lang struct {
	Code string
	c    *Catalog
}

// For returns the catalog bound to lang.
func (c *Catalog) For(lang string) Lang { return Lang{Code: Supported(lang), c: c} }

// T translates key.
func (l Lang) T(key string, args ...any) string { return l.c.T(l.Code, key, args...) }

// Other is the language the switch offers.
func (l Lang) Other() string {
	if l.Code == "vi" {
		return "en"
	}
	return "vi"
}

// Catalog keys of service error messages and field labels, in the
// errors_<area>.json files: the English format string or field name
// behind a prefix, so the English text itself is the stable key.
const (
	ErrorKeyPrefix = "err:"
	FieldKeyPrefix = "field:"
)

// ErrorKey is the catalog key of an English error format string.
func ErrorKey(format string) string { return ErrorKeyPrefix + format }

// FieldKey is the catalog key of a field name's label.
func FieldKey(name string) string { return FieldKeyPrefix + name }

// own returns key's message in lang itself, without falling back.
func (c *Catalog) own(lang, key string) (string, bool) {
	if c == nil {
		return "", false
	}
	s, ok := c.msgs[lang][key]
	return s, ok
}

// Errors returns the localizer of service errors for this language: a
// message without a translation stays English.
func (l Lang) Errors() errs.Localizer {
	return errs.Localizer{
		Message: func(format string) (string, bool) { return l.c.own(l.Code, ErrorKey(format)) },
		Field:   func(name string) (string, bool) { return l.c.own(l.Code, FieldKey(name)) },
	}
}

// Error is errs.Message in this language: "label: message".
func (l Lang) Error(err error) string { return errs.Localize(err, l.Errors()) }

// ErrorMessage is the message of err in this language without the field's
// label, for showing next to the field.
func (l Lang) ErrorMessage(err error) string { return errs.LocalizeMessage(err, l.Errors()) }
