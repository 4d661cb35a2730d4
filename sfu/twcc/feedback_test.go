package twcc

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/switchboard-rtc/switchboard/bwe"
)

func TestResults(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	// Base 65534, so the numbers wrap; a run of two received, then a
	// two-bit vector: lost, large (negative) delta, small delta, lost.
	full := &rtcp.TransportLayerCC{
		SenderSSRC: 1, MediaSSRC: 2, BaseSequenceNumber: 65534, PacketStatusCount: 6,
		ReferenceTime: 10, FbPktCount: 1,
		PacketChunks: []rtcp.PacketStatusChunk{
			&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 2},
			&rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit, SymbolList: []uint16{
				rtcp.TypeTCCPacketNotReceived, rtcp.TypeTCCPacketReceivedLargeDelta,
				rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketNotReceived,
				rtcp.TypeTCCPacketNotReceived, rtcp.TypeTCCPacketNotReceived, rtcp.TypeTCCPacketNotReceived,
			}},
		},
		RecvDeltas: []*rtcp.RecvDelta{
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 1000},
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 250},
			{Type: rtcp.TypeTCCPacketReceivedLargeDelta, Delta: -500},
			{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 750},
		},
	}
	want := []bwe.PacketResult{
		{Seq: 65534, Received: true, Arrival: ms(641)},
		{Seq: 65535, Received: true, Arrival: ms(641.25)},
		{Seq: 0},
		{Seq: 1, Received: true, Arrival: ms(640.75)},
		{Seq: 2, Received: true, Arrival: ms(641.5)},
		{Seq: 3},
	}
	// What arrives off the wire: marshalled and parsed by pion/rtcp.
	full.Header = rtcp.Header{
		Count: rtcp.FormatTCC, Type: rtcp.TypeTransportSpecificFeedback,
		Length: uint16(full.MarshalSize()/4 - 1),
	}
	raw, err := full.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	padded := append(append([]byte(nil), raw...), 0, 0, 0, 4)
	padded[0] |= 0x20
	padded[3] += 1 // one more word
	tests := []struct {
		name string
		fb   []byte
		want []bwe.PacketResult
	}{
		{"as marshalled by pion/rtcp", raw, want},
		{"padded (RFC 3550 §6.4.1)", padded, want},
		// The deltas are 04 01 fffe 03 from byte 24, then 3 octets of
		// zeros to the 32-bit boundary.
		{"cut before the last delta: stops before inventing one", raw[:28], want[:4]},
		{"cut inside the large delta", raw[:27], want[:3]},
		{"nothing reported", raw[:feedbackHeader], nil},
		{"shorter than the fixed part", raw[:feedbackHeader-1], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Collect(Feedback(tt.fb).Results)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("results\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if !IsFeedback(raw) || IsFeedback(raw[:feedbackHeader-1]) {
		t.Fatal("IsFeedback: wrong about a feedback message")
	}
	if rr, _ := (&rtcp.ReceiverReport{SSRC: 1}).Marshal(); IsFeedback(rr) {
		t.Fatal("IsFeedback: a receiver report taken for feedback")
	}
}
