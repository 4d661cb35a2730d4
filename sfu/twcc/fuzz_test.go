package twcc

import (
	"testing"

	"github.com/pion/rtcp"
	"github.com/switchboard-rtc/switchboard/bwe"
)

// FuzzFeedback: whatever a subscriber sends as RTCP, reading it into the
// estimator neither panics nor runs away (a status count of 65535 with few
// chunks ends with the chunks).
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
		pkts, err := rtcp.Unmarshal(b)
		if err != nil {
			return
		}
		s := bwe.NewSendSide()
		for i := range 100 {
			s.OnSent(int64(i)*1e6, 1200)
		}
		for _, p := range pkts {
			if fb, ok := p.(*rtcp.TransportLayerCC); ok {
				n := 0
				for range Results(fb) {
					n++
				}
				if n > int(fb.PacketStatusCount) {
					t.Fatalf("%d results for a status count of %d", n, fb.PacketStatusCount)
				}
				s.OnFeedback(Results(fb))
			}
		}
	})
}
