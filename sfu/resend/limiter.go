// Package resend decides whether a packet a receiver asks for again with a
// generic NACK (RFC 4585 §6.2.1) is worth sending again. A receiver repeats
// its NACK for a packet until it arrives (Chromium up to ten times, once per
// round trip it measures). Where the link is congested, the round trip
// grows with the queue, the repeats reach the sender while the first
// retransmission is still queued, and answering each one adds to the very
// queue that lost the packet. So, as libwebrtc's packet history does with
// its round-trip check, a packet is resent at most once per MinInterval and
// at most MaxResends times.
package resend

import "time"

// Limits on resending one packet.
const (
	MinInterval = 100 * time.Millisecond
	MaxResends  = 3
)

// slots is how many recent sequence numbers a Limiter remembers: more than
// a receiver asks about (its NACK list spans at most about a second of
// packets at the rates that lose them).
const slots = 256

// Limiter remembers the resends of the last sequence numbers it was asked
// about. The zero value is ready. It is not safe for concurrent use.
type Limiter struct {
	log [slots]entry
}

type entry struct {
	at    int64 // ns, of the last resend; 0 = slot unused
	seq   uint16
	count uint8
}

// Allow reports whether seq may be resent at now (ns, any monotonic
// origin but 0), and if so counts it as resent.
func (l *Limiter) Allow(seq uint16, now int64) bool {
	e := &l.log[seq%slots]
	if e.at == 0 || e.seq != seq {
		*e = entry{at: now, seq: seq, count: 1}
		return true
	}
	if now-e.at < int64(MinInterval) || e.count >= MaxResends {
		return false
	}
	e.at, e.count = now, e.count+1
	return true
}
