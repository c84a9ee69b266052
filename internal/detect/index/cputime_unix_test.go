//go:build unix

package index

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time this process has used. Benchmarks report
// it beside wall time because the machines they run on are shared: CPU time
// per operation stays meaningful when other work competes for the cores.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
