package sfu

import (
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
)

// uplink measures what arrives on one layer for the publisher's connection
// quality (room_quality.go). The layer's read loop alone writes it; the
// room's quality tick reads the atomics. No allocation, no lock.
type uplink struct {
	started     bool   // read loop only
	highest     uint16 // read loop only
	base        int64  // read loop only: ns of the first packet
	lastTransit uint32 // read loop only
	jitter      float64

	expected atomic.Uint64 // sequence numbers spanned since the first
	inOrder  atomic.Uint64 // packets that arrived above the highest so far
	jitterUs atomic.Int64  // RFC 3550 §6.4.1 interarrival jitter, µs
	lastAt   atomic.Int64  // ns of the newest packet

	prevExpected, prevInOrder uint64 // the room's speaker loop only
}

// observe counts one packet (not a duplicate) that arrived at now (ns).
// Packets that arrive behind a later one (reordered, or repaired by a NACK)
// are not in order: expected minus inOrder is the loss before repair.
func (u *uplink) observe(seq uint16, ts uint32, now int64, clockRate uint32) {
	u.lastAt.Store(now)
	if !u.started {
		u.started, u.highest, u.base = true, seq, now
		u.expected.Add(1)
		u.inOrder.Add(1)
		u.lastTransit = uint32((now-u.base)*int64(clockRate)/1e9) - ts
		return
	}
	diff := int16(seq - u.highest)
	if diff <= 0 {
		return
	}
	u.highest = seq
	u.expected.Add(uint64(diff))
	u.inOrder.Add(1)
	if clockRate == 0 {
		return
	}
	// RFC 3550 §6.4.1 and A.8: D = (Rj - Ri) - (Sj - Si) in timestamp
	// units, J += (|D| - J) / 16; modular arithmetic handles the wraps.
	transit := uint32((now-u.base)*int64(clockRate)/1e9) - ts
	d := float64(int32(transit - u.lastTransit))
	u.lastTransit = transit
	if d < 0 {
		d = -d
	}
	u.jitter += (d - u.jitter) / 16
	u.jitterUs.Store(int64(u.jitter * 1e6 / float64(clockRate)))
}

// downlink is what a subscriber's receiver reports (RFC 3550 §6.4.2) say
// of one DownTrack; written by its RTCP handling (handleRTCP).
type downlink struct {
	fractionLost atomic.Uint32 // of the last report, /256
	rttUs        atomic.Int64  // 0 until a report answers one of our SRs
	lastAt       atomic.Int64  // ns of the newest RTCP from the subscriber
}

// observeReport takes a receiver report's block about ssrc, received at now.
func (d *downlink) observeReport(rr *rtcp.ReceiverReport, ssrc uint32, now time.Time) {
	for i := range rr.Reports {
		b := &rr.Reports[i]
		if b.SSRC != ssrc {
			continue
		}
		d.fractionLost.Store(uint32(b.FractionLost))
		if b.LastSenderReport != 0 {
			// RFC 3550 §6.4.1: RTT = A - LSR - DLSR, in the middle 32 bits
			// of NTP time (1/65536 s).
			rtt := ntpMiddle(now) - b.LastSenderReport - b.Delay
			if rtt < 1<<31 {
				d.rttUs.Store(int64(rtt) * 1e6 / 65536)
			}
		}
	}
}

// ntpMiddle is the middle 32 bits of now's NTP timestamp (RFC 3550 §4).
func ntpMiddle(now time.Time) uint32 {
	const ntpEpochOffset = 2208988800 // 1900 to 1970, seconds
	secs := uint64(now.Unix()) + ntpEpochOffset
	frac := uint64(now.Nanosecond()) << 32 / 1e9
	return uint32(secs<<16 | frac>>16)
}
