package directive

import (
	"regexp"
	"testing"
)

var feedTokenShape = regexp.MustCompile(`^bcal_[a-z2-7]{32}$`)

// FuzzFeedToken: the shape check in front of the database accepts exactly
// the secrets newFeedToken makes, whatever arrives in the address.
func FuzzFeedToken(f *testing.F) {
	for _, s := range []string{newFeedToken(), "", "bcal_", "bcal_" + "A234567abcdefghijklmnopqrstuvwxy", "bwk_x", "bcal_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validFeedToken(s) != feedTokenShape.MatchString(s) {
			t.Fatalf("validFeedToken(%q) = %v", s, validFeedToken(s))
		}
	})
	for range 100 {
		if tok := newFeedToken(); !validFeedToken(tok) {
			f.Fatalf("newFeedToken made %q, which the check refuses", tok)
		}
	}
}
