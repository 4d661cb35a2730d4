package udpbatch

import (
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

// Sent returns the sendmmsg calls made and the datagrams they carried
// (a datagram the kernel refused counts as carried: it is gone, as if lost).
func (c *Conn) Sent() (calls, datagrams uint64) {
	return c.calls.Load(), c.datagrams.Load()
}
