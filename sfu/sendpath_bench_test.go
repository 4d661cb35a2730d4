package sfu

import (
	"fmt"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// BenchmarkSendPath measures what Pion does to every packet a DownTrack
// writes before SRTP: the interceptor chain of newInterceptors (TWCC
// sequence numbers, the GCC estimator's send history, sender reports),
// against lighter chains. The packets go to a writer that discards them, so
// neither encryption nor the socket is counted: that is the floor's part
// (package bench/floor).
func BenchmarkSendPath(b *testing.B) {
	m, err := newMediaEngine()
	if err != nil {
		b.Fatal(err)
	}
	chains := []struct {
		name  string
		build func() (*interceptor.Registry, error)
	}{
		{"sfu", func() (*interceptor.Registry, error) {
			return newInterceptors(m, func(string, cc.BandwidthEstimator) {})
		}},
		{"reports", func() (*interceptor.Registry, error) {
			reg := &interceptor.Registry{}
			return reg, webrtc.ConfigureRTCPReports(reg)
		}},
		{"none", func() (*interceptor.Registry, error) { return &interceptor.Registry{}, nil }},
	}
	for _, c := range chains {
		b.Run(fmt.Sprintf("chain=%s", c.name), func(b *testing.B) {
			reg, err := c.build()
			if err != nil {
				b.Fatal(err)
			}
			chain, err := reg.Build("pc")
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = chain.Close() }()
			chain.BindRTCPWriter(interceptor.RTCPWriterFunc(func(p []rtcp.Packet, _ interceptor.Attributes) (int, error) {
				return len(p), nil
			}))
			info := &interceptor.StreamInfo{
				SSRC: 0x1234, PayloadType: 96, MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
				RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 3}},
				RTCPFeedback:        []interceptor.RTCPFeedback{{Type: "transport-cc"}, {Type: "nack"}},
			}
			w := chain.BindLocalStream(info, interceptor.RTPWriterFunc(
				func(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
					return h.MarshalSize() + len(payload), nil
				}))
			h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 0x1234, Timestamp: 90000}
			payload := make([]byte, 1100)
			b.ReportAllocs()
			for b.Loop() {
				h.SequenceNumber++
				h.Extension, h.Extensions = false, h.Extensions[:0]
				if _, err := w.Write(&h, payload, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
