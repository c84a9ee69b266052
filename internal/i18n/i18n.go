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
