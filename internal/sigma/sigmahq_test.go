package sigma

import (
	"testing"
)

// TestSigmaHQRuleSet loads every rule of the SigmaHQ snapshot and asserts
// that nearly all are supported, listing the rejects with their reasons.
func TestSigmaHQRuleSet(t *testing.T) {
	c, files := loadSigmaHQ(t, "", LoadOptions{})
	loaded := len(c.Rules) + len(c.Correlations)
	t.Logf("SigmaHQ: %d files, %d detection rules compiled, %d correlation rules, %d rejected", files, len(c.Rules), len(c.Correlations), len(c.Rejects))
	for _, r := range c.Rejects {
		t.Logf("rejected: %s", r)
	}
	if files < 3000 {
		t.Fatalf("only %d rule files in the tarball, want the full snapshot", files)
	}
	if share := float64(loaded) / float64(files); share < 0.98 {
		t.Errorf("loaded %d of %d rule files (%.1f%%), want at least 98%%", loaded, files, 100*share)
	}
}
