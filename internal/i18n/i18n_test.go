package i18n

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Keys("vi"), c.Keys("en")); diff != "" {
		t.Errorf("vi and en catalogs differ (-vi +en):\n%s", diff)
	}
	for _, lang := range Languages {
		for _, k := range c.Keys(lang) {
			if c.T(lang, k) == "" {
				t.Errorf("%s: %s is empty", lang, k)
			}
		}
	}
}

func TestT(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.For("en").T("nav.agencies"); got != "Agencies" {
		t.Errorf("en nav.agencies = %q", got)
	}
	if got := c.For("xx").Code; got != "vi" {
		t.Errorf("unsupported language falls back to %q, want vi", got)
	}
	if got := c.T("en", "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q, want the key itself", got)
	}
}
