// Package twcc reads transport-wide congestion control feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) into the
// per-packet results the send-side estimator works from.
package twcc

import (
	"encoding/binary"
	"time"

	"github.com/pion/rtcp"
	"github.com/switchboard-rtc/switchboard/bwe"
)

// referenceUnit is the unit of the feedback's 24-bit reference time (§3.1).
const referenceUnit = 64 * time.Millisecond

// deltaUnit is the unit of a receive delta (§3.1.5).
const deltaUnit = 250 * time.Microsecond

// feedbackHeader is the fixed part of a feedback message: the RTCP header,
// the sender's and the media source's SSRCs, the base sequence number, the
// packet status count, the reference time and the feedback packet count.
const feedbackHeader = 20

// Feedback is one transport-wide CC feedback message as received: an RTCP
// packet (RTPFB, FMT 15) from its header to its end, padding included.
// It is read where it lies: pion/rtcp's parse makes an object per packet
// it reports, one allocation per forwarded packet in the SFU.
type Feedback []byte

// IsFeedback reports whether pkt, one RTCP packet, is a transport-wide CC
// feedback message long enough to read.
func IsFeedback(pkt []byte) bool {
	return len(pkt) >= feedbackHeader && pkt[0]>>6 == 2 && pkt[0]&0x1f == rtcp.FormatTCC &&
		rtcp.PacketType(pkt[1]) == rtcp.TypeTransportSpecificFeedback
}

// Results walks the message, as an iter.Seq[bwe.PacketResult]: each packet
// from the base sequence number on, whether it arrived and when, on the
// receiver's clock. A packet received without a delta is skipped (it says
// nothing usable). A message shorter than its chunks and deltas say ends
// the walk where it ends, rather than inventing arrival times.
func (fb Feedback) Results(yield func(bwe.PacketResult) bool) {
	b := []byte(fb)
	if len(b) < feedbackHeader {
		return
	}
	if b[0]&0x20 != 0 {
		// Padding (RFC 3550 §6.4.1): its last octet counts it.
		p := int(b[len(b)-1])
		if p == 0 || p > len(b)-feedbackHeader {
			return
		}
		b = b[:len(b)-p]
	}
	seq := binary.BigEndian.Uint16(b[12:])
	count := int(binary.BigEndian.Uint16(b[14:]))
	arrival := time.Duration(uint32(b[16])<<16|uint32(b[17])<<8|uint32(b[18])) * referenceUnit
	// The chunks run until they cover count packets; the deltas follow.
	chunksEnd, covered := feedbackHeader, 0
	for covered < count && chunksEnd+2 <= len(b) {
		covered += chunkLen(binary.BigEndian.Uint16(b[chunksEnd:]))
		chunksEnd += 2
	}
	deltas, left := chunksEnd, count
	// emit reports the next packet, of status symbol s; false: stop.
	emit := func(s uint16) bool {
		r := bwe.PacketResult{Seq: seq}
		seq++
		left--
		switch s {
		case rtcp.TypeTCCPacketReceivedSmallDelta:
			if deltas >= len(b) {
				return false
			}
			arrival += time.Duration(b[deltas]) * deltaUnit
			deltas++
		case rtcp.TypeTCCPacketReceivedLargeDelta:
			if deltas+2 > len(b) {
				return false
			}
			arrival += time.Duration(int16(binary.BigEndian.Uint16(b[deltas:]))) * deltaUnit
			deltas += 2
		case rtcp.TypeTCCPacketReceivedWithoutDelta:
			return true
		default:
			return yield(r)
		}
		r.Received, r.Arrival = true, arrival
		return yield(r)
	}
	for off := feedbackHeader; off < chunksEnd && left > 0; off += 2 {
		c := binary.BigEndian.Uint16(b[off:])
		switch {
		case c&0x8000 == 0: // run length: a 2-bit symbol, 13 bits of length (§3.1.3)
			for i := 0; i < int(c&0x1fff) && left > 0; i++ {
				if !emit(c >> 13 & 3) {
					return
				}
			}
		case c&0x4000 == 0: // status vector of 14 1-bit symbols, 1: received, small delta (§3.1.4)
			for i := 13; i >= 0 && left > 0; i-- {
				if !emit(c >> i & 1) {
					return
				}
			}
		default: // status vector of 7 2-bit symbols
			for i := 6; i >= 0 && left > 0; i-- {
				if !emit(c >> (2 * i) & 3) {
					return
				}
			}
		}
	}
}

// chunkLen is how many packets a packet status chunk covers.
func chunkLen(c uint16) int {
	switch {
	case c&0x8000 == 0:
		return int(c & 0x1fff)
	case c&0x4000 == 0:
		return 14
	default:
		return 7
	}
}
