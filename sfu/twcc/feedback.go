// Package twcc reads transport-wide congestion control feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) into the
// per-packet results the send-side estimator works from.
package twcc

import (
	"iter"
	"time"

	"github.com/pion/rtcp"
	"github.com/switchboard-rtc/switchboard/bwe"
)

// referenceUnit is the unit of the feedback's 24-bit reference time (§3.1).
const referenceUnit = 64 * time.Millisecond

// Results walks one feedback message: each packet from the base sequence
// number on, whether it arrived and when, on the receiver's clock. A
// malformed message (fewer deltas than received packets) ends the walk
// early rather than inventing arrival times.
func Results(fb *rtcp.TransportLayerCC) iter.Seq[bwe.PacketResult] {
	return func(yield func(bwe.PacketResult) bool) {
		arrival := time.Duration(fb.ReferenceTime) * referenceUnit
		seq, left := fb.BaseSequenceNumber, int(fb.PacketStatusCount)
		deltas := fb.RecvDeltas
		emit := func(symbol uint16) bool {
			r := bwe.PacketResult{Seq: seq}
			seq++
			left--
			switch symbol {
			case rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedLargeDelta:
				if len(deltas) == 0 {
					return false
				}
				// Each delta is from the packet before (the first from the
				// reference time), in microseconds once parsed (§3.1.5).
				arrival += time.Duration(deltas[0].Delta) * time.Microsecond
				deltas = deltas[1:]
				r.Received, r.Arrival = true, arrival
			case rtcp.TypeTCCPacketReceivedWithoutDelta:
				return true // arrived, but says nothing usable; skip it
			}
			return yield(r)
		}
		for _, chunk := range fb.PacketChunks {
			switch c := chunk.(type) {
			case *rtcp.RunLengthChunk:
				for i := 0; i < int(c.RunLength) && left > 0; i++ {
					if !emit(c.PacketStatusSymbol) {
						return
					}
				}
			case *rtcp.StatusVectorChunk:
				for _, symbol := range c.SymbolList {
					if left == 0 || !emit(symbol) {
						return
					}
				}
			}
			if left == 0 {
				return
			}
		}
	}
}
