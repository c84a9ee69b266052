package cli

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestBlobHoldersListed: every column a migration names like a blob hash
// (sha256, *_sha256) is in blobHolders or fraud's own tables, so an erased
// fraud report never deletes a file another capability still needs.
func TestBlobHoldersListed(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		ms, err := store.Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		table := regexp.MustCompile(`(?i)^\s*(?:CREATE TABLE|ALTER TABLE)\s+(?:IF NOT EXISTS\s+)?(\w+)`)
		column := regexp.MustCompile(`(?i)^\s*(?:ADD COLUMN\s+)?(\w*sha256)\s+TEXT`)
		alter := regexp.MustCompile(`(?i)^\s*ALTER TABLE\s+(\w+)\s+ADD COLUMN\s+(\w*sha256)\s+TEXT`)
		for _, m := range ms {
			cur := ""
			for _, line := range strings.Split(m.SQL, "\n") {
				if g := alter.FindStringSubmatch(line); g != nil {
					checkBlobHolder(t, m.Name, g[1], g[2])
					continue
				}
				if g := table.FindStringSubmatch(line); g != nil {
					cur = g[1]
					continue
				}
				if g := column.FindStringSubmatch(line); g != nil {
					checkBlobHolder(t, m.Name, cur, g[1])
				}
			}
		}
	}
}

func checkBlobHolder(t *testing.T, migration, table, col string) {
	t.Helper()
	if strings.HasPrefix(table, "fraud_") {
		return
	}
	if !slices.ContainsFunc(blobHolders, func(h struct{ table, column string }) bool { return h.table == table && h.column == col }) {
		t.Errorf("migration %s: %s.%s looks like a blob hash but is not in blobHolders", migration, table, col)
	}
}

// TestBlobInUse runs the query of every listed column on both databases
// (a misspelt table or column fails here, not at a citizen's erasure).
func TestBlobInUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if used, err := blobInUse(db)(context.Background(), strings.Repeat("ab", 32)); err != nil || used {
			t.Fatalf("blobInUse on an empty database = %v, %v", used, err)
		}
	})
}
