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
// packets at the rates that lose them). 16 KB, made at a track's first NACK.
const slots = 1024

// holdFor is how long a packet's entry keeps its slot against another
// sequence number: about as long as a receiver goes on asking for one
// packet. Were a colliding number free to take the slot at once, a receiver
// could name two numbers a multiple of slots apart in turn and have both
// resent on every NACK, past both limits.
const holdFor = time.Second

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
	if e.at == 0 || e.seq != seq && now-e.at >= int64(holdFor) {
		*e = entry{at: now, seq: seq, count: 1}
		return true
	}
	if e.seq != seq {
		return false // the slot is another packet's, resent within holdFor
	}
	if now-e.at < int64(MinInterval) || e.count >= MaxResends {
		return false
	}
	e.at, e.count = now, e.count+1
	return true
}
