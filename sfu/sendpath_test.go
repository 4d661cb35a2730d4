package sfu

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/bwe"
)

// sendPath binds one video stream to the interceptor chain reg builds and
// returns its writer, which ends in one that discards: neither encryption
// nor the socket is counted (that is the floor's part, package bench/floor).
func sendPath(tb testing.TB, reg *interceptor.Registry) interceptor.RTPWriter {
	tb.Helper()
	chain, err := reg.Build("pc")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = chain.Close() })
	chain.BindRTCPWriter(interceptor.RTCPWriterFunc(func(p []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		return len(p), nil
	}))
	info := &interceptor.StreamInfo{
		SSRC: 0x1234, PayloadType: 96, MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 3}},
		RTCPFeedback:        []interceptor.RTCPFeedback{{Type: "transport-cc"}, {Type: "nack"}},
	}
	return chain.BindLocalStream(info, interceptor.RTPWriterFunc(
		func(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
			return h.MarshalSize() + len(payload), nil
		}))
}

// sfuChain is the chain every PeerConnection of the SFU gets.
func sfuChain(tb testing.TB) *interceptor.Registry {
	tb.Helper()
	m, err := newMediaEngine()
	if err != nil {
		tb.Fatal(err)
	}
	reg, err := newInterceptors(m, new(atomic.Uint64), nil, nil, func(string, *bwe.SendSide) {})
	if err != nil {
		tb.Fatal(err)
	}
	return reg
}

// writeVideo writes 1100-byte packets with a fresh header each, as a
// DownTrack does.
func writeVideo(tb testing.TB, w interceptor.RTPWriter) func() {
	h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 0x1234, Timestamp: 90000}
	payload := make([]byte, 1100)
	return func() {
		h.SequenceNumber++
		h.Extension, h.Extensions = false, h.Extensions[:0]
		if _, err := w.Write(&h, payload, nil); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestSendPathAllocations(t *testing.T) {
	write := writeVideo(t, sendPath(t, sfuChain(t)))
	for range 10 {
		write()
	}
	if allocs := testing.AllocsPerRun(1000, write); allocs != 0 {
		t.Fatalf("the send path allocates %.1f times per packet, want none", allocs)
	}
}

// BenchmarkSendPath measures what Pion does to every packet a DownTrack
// writes before SRTP: the chain of newInterceptors (TWCC sequence numbers
// and send history, sender reports), against lighter ones.
func BenchmarkSendPath(b *testing.B) {
	chains := []struct {
		name  string
		build func() *interceptor.Registry
	}{
		{"sfu", func() *interceptor.Registry { return sfuChain(b) }},
		{"reports", func() *interceptor.Registry {
			reg := &interceptor.Registry{}
			if err := webrtc.ConfigureRTCPReports(reg); err != nil {
				b.Fatal(err)
			}
			return reg
		}},
		{"none", func() *interceptor.Registry { return &interceptor.Registry{} }},
	}
	for _, c := range chains {
		b.Run(fmt.Sprintf("chain=%s", c.name), func(b *testing.B) {
			write := writeVideo(b, sendPath(b, c.build()))
			b.ReportAllocs()
			for b.Loop() {
				write()
			}
		})
	}
}
