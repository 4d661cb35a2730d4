package floor

import (
	"runtime"
	"syscall"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD: the calling thread only.
const rusageThread = 1

// clock measures the CPU time of the calling goroutine's thread, which it
// locks to it until stop.
type clock struct{ start time.Duration }

func startClock() (*clock, bool) {
	runtime.LockOSThread()
	return &clock{start: threadCPU()}, true
}

func (c *clock) elapsed() time.Duration { return threadCPU() - c.start }

func (c *clock) stop() { runtime.UnlockOSThread() }

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
