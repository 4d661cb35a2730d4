package sfu

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

// TestLazyNACK: a PeerConnection's NACK generator runs no loop until a
// stream that negotiated NACK arrives (a subscriber's, which receives
// nothing, or an audio stream's, never has one); then it asks for the
// stream's gaps on the PeerConnection's RTCP writer.
func TestLazyNACK(t *testing.T) {
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(10 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	before := goleak.IgnoreCurrent()
	i, err := lazyNACK{inner: gen}.NewInterceptor("pc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = i.Close() })
	var (
		mu    sync.Mutex
		nacks []uint16
	)
	w := interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range pkts {
			if n, ok := p.(*rtcp.TransportLayerNack); ok {
				for _, pair := range n.Nacks {
					nacks = append(nacks, pair.PacketList()...)
				}
			}
		}
		return len(pkts), nil
	})
	if got := i.BindRTCPWriter(w); got == nil {
		t.Fatal("BindRTCPWriter gave no writer")
	}
	seq := uint16(0)
	source := interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		seq++
		if seq == 3 {
			seq = 5 // 3 and 4 are lost
		}
		n, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 9, SequenceNumber: seq}, Payload: []byte{1}}).MarshalTo(b)
		return n, a, err
	})
	audio := &interceptor.StreamInfo{SSRC: 8, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "transport-cc"}}}
	i.BindRemoteStream(audio, source)
	if err := goleak.Find(before); err != nil {
		t.Fatalf("a loop runs before any stream wants NACKs: %v", err)
	}
	video := &interceptor.StreamInfo{SSRC: 9, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}}
	r := i.BindRemoteStream(video, source)
	buf := make([]byte, 1500)
	for range 10 {
		if _, _, err := r.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "a NACK for 3 and 4", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(nacks) >= 2 && nacks[0] == 3 && nacks[1] == 4
	})
}
