package sfu

import (
	"sync/atomic"
	"time"

	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
)

// rtxShare is the share of a subscriber's estimate that retransmissions
// may take. When a link narrows at once (2 Mbit/s to 300 kbit/s), the
// subscriber NACKs much of what the old rate queued and lost, and resending
// it all (528 kbit/s was seen) holds back, behind it in the queue, the
// keyframe of the lower layer that ends the freeze: a 3.2 s one. NACK
// repair of random loss needs far less: 5 % of the rate.
const rtxShare = 0.25

// rtxBudget is what a subscriber's retransmissions may still send in the
// current allocation interval, bytes: refilled by its bwe goroutine, taken
// by its RTCP readers. The zero value sets no limit, as does a subscriber
// without estimation.
type rtxBudget struct {
	limited atomic.Bool
	bytes   atomic.Int64
}

// refill sets the budget for an interval of d at estimate bps (0: no
// estimation, no limit): a share of it, and at least one whole packet, so
// a subscriber at the lowest estimate still gets its repairs, one an
// interval.
func (b *rtxBudget) refill(estimate int, d time.Duration) {
	b.bytes.Store(max(int64(float64(estimate)*rtxShare*d.Seconds()/8), packetcache.MaxPacketSize))
	b.limited.Store(estimate > 0)
}

// take reports whether n more bytes fit the budget, and spends them if so.
func (b *rtxBudget) take(n int) bool {
	if !b.limited.Load() {
		return true
	}
	if b.bytes.Add(-int64(n)) >= 0 {
		return true
	}
	b.bytes.Add(int64(n))
	return false
}
