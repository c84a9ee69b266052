//go:build !unix

package cli

import "time"

// processCPU is not measured on this platform; bench falls back to wall
// time.
func processCPU() time.Duration { return 0 }
