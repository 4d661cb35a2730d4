package udpbatch

import (
	"sync/atomic"
	"time"
)

// Option configures a Conn.
type Option func(*options)

type options struct {
	size  int
	delay time.Duration
}

// WithBatchSize sets how many datagrams one sendmmsg carries at most; 64 by
// default (the gain flattens beyond: bench/floor's batch figures).
func WithBatchSize(n int) Option { return func(o *options) { o.size = max(n, 1) } }

// WithMaxDelay sets how long a write nobody flushes may wait; 1 ms by
// default, below any jitter a receiver notices.
func WithMaxDelay(d time.Duration) Option {
	return func(o *options) { o.delay = max(d, time.Microsecond) }
}

// Stats counts what a Conn sent.
type Stats struct {
	calls, datagrams atomic.Uint64
}

// Sent returns the sendmmsg calls made and the datagrams they carried.
func (c *Conn) Sent() (calls, datagrams uint64) {
	return c.stats.calls.Load(), c.stats.datagrams.Load()
}

// Errors counts the system calls that failed (their datagrams are dropped).
func (c *Conn) Errors() uint64 { return c.errors.Load() }
