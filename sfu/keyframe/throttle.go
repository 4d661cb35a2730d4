package keyframe

import (
	"math"
	"sync/atomic"
	"time"
)

// never is the value of Throttle.last before the first request is allowed.
const never = math.MinInt64

// Throttle lets one keyframe request per interval through, however many
// subscribers ask: every keyframe costs the publisher a burst of bitrate,
// and one keyframe serves every subscriber at once. It is lock-free and safe
// for concurrent use.
type Throttle struct {
	interval time.Duration
	// base is the time the throttle was made. Times are kept as offsets
	// from it so that, when callers pass time.Now(), comparisons use the
	// monotonic clock (see package time) and a step of the wall clock
	// changes nothing.
	base time.Time
	last atomic.Int64 // offset from base of the last request allowed, or never
}

// NewThrottle returns a Throttle that allows one request per interval.
func NewThrottle(interval time.Duration) *Throttle {
	t := &Throttle{interval: interval, base: time.Now()}
	t.last.Store(never)
	return t
}

// Allow reports whether a request made at now may go to the publisher.
// Among concurrent callers in one interval, exactly one is allowed.
func (t *Throttle) Allow(now time.Time) bool {
	at := int64(now.Sub(t.base))
	for {
		last := t.last.Load()
		if last != never {
			since := at - last
			// A caller whose now is slightly before the last allowed
			// request lost a race to it and is refused too. One from more
			// than an interval before can only come from a clock that was
			// stepped back (a caller passing wall-clock times): let it
			// through rather than refuse every request until the clock
			// catches up.
			if since < int64(t.interval) && since >= -int64(t.interval) {
				return false
			}
		}
		if t.last.CompareAndSwap(last, at) {
			return true
		}
	}
}
