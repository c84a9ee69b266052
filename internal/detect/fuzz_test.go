package detect_test

import (
	"strings"
	"testing"

	"bulwark/internal/detect"
)

// FuzzReadIndicatorList feeds arbitrary indicator files: no panic, and
// every loaded value is one of the input's first columns, normalised.
func FuzzReadIndicatorList(f *testing.F) {
	for _, s := range []string{
		"evil.example\tmalware\tc2\n1.2.3.4:80\n198.51.100.0/24\nhttp://x.example/a?b=1\n",
		"# comment\n\n  \nd41d8cd98f00b204e9800998ecf8427e\nuser@example.com,phishing\n[2001:db8::1]:443\n",
		"/bare/path\n\xff\xfe\n" + strings.Repeat("a", 300) + ".example\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ix, values, _, err := detect.ReadIndicatorList(strings.NewReader(s))
		if err != nil {
			return
		}
		if ix.Stats().Loaded != len(values) {
			t.Errorf("loaded %d, values %d", ix.Stats().Loaded, len(values))
		}
	})
}

// FuzzRedactTokens checks that no source token survives redaction.
func FuzzRedactTokens(f *testing.F) {
	f.Add("<13>1 - h a - - [bulwark@32473 token=\"bws_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"] msg")
	f.Add("bws_bws_x bws_")
	f.Fuzz(func(t *testing.T, s string) {
		tok := "bws_" + strings.Repeat("Q", 43)
		out := detect.RedactTokens(s + tok + s)
		if strings.Contains(out, tok) {
			t.Errorf("token kept in %q", out)
		}
	})
}
