package detect

import (
	"fmt"
	"slices"
	"testing"
)

// TestRecentKeys: the set keeps the last maxSeenBatches keys, oldest
// first, and a clone is apart from its original.
func TestRecentKeys(t *testing.T) {
	k := &recentKeys{}
	for i := range maxSeenBatches + 10 {
		if !k.add(fmt.Sprint(i)) {
			t.Fatalf("key %d reported seen", i)
		}
	}
	if k.add(fmt.Sprint(maxSeenBatches+9)) || k.add("10") {
		t.Error("a key among the last ones was not reported seen")
	}
	if !k.add("3") {
		t.Error("a key pushed out is still reported seen")
	}
	keys := k.keys()
	if len(keys) != maxSeenBatches || keys[0] != "11" || keys[len(keys)-1] != "3" {
		t.Errorf("keys: %d, from %q to %q; want %d, from 11 to 3", len(keys), keys[0], keys[len(keys)-1], maxSeenBatches)
	}
	c := k.clone()
	c.add("new")
	if slices.Contains(k.keys(), "new") || !slices.Equal(c.keys()[:maxSeenBatches-1], keys[1:]) {
		t.Error("the clone is not apart from its original, or not the same")
	}
}
