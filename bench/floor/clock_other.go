//go:build !linux

package floor

import "time"

// clock falls back to wall time where the thread's CPU time is not known.
type clock struct{ start time.Time }

func startClock() (*clock, bool) { return &clock{start: time.Now()}, false }

func (c *clock) elapsed() time.Duration { return time.Since(c.start) }

func (c *clock) stop() {}
