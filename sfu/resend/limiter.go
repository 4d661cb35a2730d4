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

// Limits on resending one packet. A packet asked for that got none of
// its resends within StarveAfter (the caller's budget held it back), or
// asked for again after all MaxResends, is lost: the receiver will not
// have it in time, and its decoder waits for a keyframe.
const (
	MinInterval = 100 * time.Millisecond
	MaxResends  = 3
	StarveAfter = 250 * time.Millisecond
)

// slots is how many recent sequence numbers a Limiter remembers: more than
// a receiver asks about (its NACK list spans at most about a second of
// packets at the rates that lose them). 24 KB, made at a track's first NACK.
const slots = 1024

// holdFor is how long a packet's entry keeps its slot against another
// sequence number, from its last ask or resend: about as long as a
// receiver goes on asking for one packet. Were a colliding number free to
// take the slot at once, a receiver could name two numbers a multiple of
// slots apart in turn and have both resent on every NACK, past both limits.
const holdFor = time.Second

// Limiter remembers the asks and resends of the last sequence numbers it
// was asked about. The zero value is ready. It is not safe for concurrent
// use.
type Limiter struct {
	log [slots]entry
}

type entry struct {
	first int64 // ns, of the first ask; 0 = slot unused
	at    int64 // ns, of the last resend; 0 none
	seq   uint16
	count uint8
}

// Verdict is what to do about a packet the receiver asks for.
type Verdict uint8

// Verdicts of Check.
const (
	Resend Verdict = iota // send it now, and call Sent once it has gone
	Wait                  // not now: resent within MinInterval, or its slot is another packet's
	Lost                  // the receiver will not get it in time (see StarveAfter)
)

// Check says what to do about seq, asked for at now (ns, any monotonic
// origin but 0). It counts no resend: Sent does, once the packet has gone,
// so a resend the caller holds back (its budget spent) does not use up one
// of the packet's MaxResends. Counted at the ask, a NACK naming a dozen
// packets on a link whose budget sends one spent every packet's three
// resends in three NACKs, and the receiver waited 3 s for a keyframe.
func (l *Limiter) Check(seq uint16, now int64) Verdict {
	e := &l.log[seq%slots]
	if e.first == 0 || e.seq != seq && now-max(e.first, e.at) >= int64(holdFor) {
		*e = entry{first: now, seq: seq}
		return Resend
	}
	switch {
	case e.seq != seq:
		return Wait // the slot is another packet's, asked for within holdFor
	case e.count >= MaxResends, e.count == 0 && now-e.first >= int64(StarveAfter):
		return Lost
	case e.count > 0 && now-e.at < int64(MinInterval):
		return Wait
	}
	return Resend
}

// Sent counts a resend of seq at now; Check allowed it.
func (l *Limiter) Sent(seq uint16, now int64) {
	e := &l.log[seq%slots]
	if e.first == 0 || e.seq != seq {
		*e = entry{first: now, seq: seq}
	}
	e.at, e.count = now, e.count+1
}
