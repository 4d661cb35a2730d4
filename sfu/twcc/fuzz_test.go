package twcc

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/switchboard-rtc/switchboard/bwe"
)

// FuzzFeedback: whatever a subscriber sends as RTCP, reading it into the
// estimator neither panics nor runs away (a status count of 65535 with few
// chunks ends with the chunks), and where pion/rtcp parses a message the
// arrival times agree with its deltas.
func FuzzFeedback(f *testing.F) {
	seed := &rtcp.TransportLayerCC{
		Header:             rtcp.Header{Count: rtcp.FormatTCC, Type: rtcp.TypeTransportSpecificFeedback, Length: 5},
		BaseSequenceNumber: 1, PacketStatusCount: 2,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 2}},
		RecvDeltas:   []*rtcp.RecvDelta{{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 250}, {Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 500}},
	}
	raw, err := seed.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte{0x8f, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := bwe.NewSendSide()
		for i := range 100 {
			s.OnSent(int64(i)*1e6, 1200)
		}
		for off := 0; off+4 <= len(b); {
			end := min(len(b), off+4*(int(binary.BigEndian.Uint16(b[off+2:]))+1))
			pkt := b[off:end]
			off = end
			if !IsFeedback(pkt) {
				continue
			}
			var got []bwe.PacketResult
			for r := range Feedback(pkt).Results {
				got = append(got, r)
			}
			count := binary.BigEndian.Uint16(pkt[14:])
			if len(got) > int(count) {
				t.Fatalf("%d results for a status count of %d", len(got), count)
			}
			s.OnFeedback(Feedback(pkt).Results)
			// Where pion/rtcp parses the message whole, the packets
			// reported received are its deltas, in order, at the same
			// arrival times.
			var fb rtcp.TransportLayerCC
			if fb.Unmarshal(pkt) != nil || len(got) < int(count) {
				continue
			}
			arrival := time.Duration(fb.ReferenceTime) * referenceUnit
			k := 0
			for _, r := range got {
				if !r.Received {
					continue
				}
				for k < len(fb.RecvDeltas) && fb.RecvDeltas[k].Type == rtcp.TypeTCCPacketReceivedWithoutDelta {
					k++
				}
				if k == len(fb.RecvDeltas) {
					t.Fatalf("more received than pion/rtcp's %d deltas", len(fb.RecvDeltas))
				}
				arrival += time.Duration(fb.RecvDeltas[k].Delta) * time.Microsecond
				k++
				if r.Arrival != arrival {
					t.Fatalf("packet %d arrived at %v, pion/rtcp says %v", r.Seq, r.Arrival, arrival)
				}
			}
		}
	})
}
