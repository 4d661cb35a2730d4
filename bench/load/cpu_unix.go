//go:build unix

package load

import (
	"syscall"
	"time"
)

// selfCPU is the CPU time this process has used, user and system: the load
// generator's own cost, which on one machine competes with the server's.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
