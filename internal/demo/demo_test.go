package demo

import (
	"testing"

	"bulwark/internal/auth"
)

// TestPasswordsPassThePolicy draws many demo passwords for every account:
// each must pass the password policy, or seeding fails at random.
func TestPasswordsPassThePolicy(t *testing.T) {
	for _, acc := range accounts {
		for range 300 {
			pw := passwordFor(acc)
			if err := auth.CheckPassword(pw, 0, acc.Email, acc.Name); err != nil {
				t.Fatalf("passwordFor(%s) = %q: %v", acc.Email, pw, err)
			}
		}
	}
}
