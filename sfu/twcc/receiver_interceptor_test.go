package twcc

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// TestReceiverInterceptor reads 50 packets numbered 0 to 49 but for three
// lost ones: the feedback written toward the sender reports the 47 that
// arrived, each with its arrival delta, and the three as not received.
func TestReceiverInterceptor(t *testing.T) {
	i, err := NewReceiverInterceptor(10 * time.Millisecond).NewInterceptor("pc")
	if err != nil {
		t.Fatal(err)
	}
	fb := make(chan *rtcp.TransportLayerCC, 16)
	i.BindRTCPWriter(interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		for _, p := range pkts {
			if cc, ok := p.(*rtcp.TransportLayerCC); ok {
				fb <- cc
			}
		}
		return len(pkts), nil
	}))
	info := &interceptor.StreamInfo{SSRC: 7, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 5}}}
	var next uint16
	r := i.BindRemoteStream(info, interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if next == 10 {
			next = 13 // 10, 11 and 12 are lost
		}
		h := rtp.Header{Version: 2, SSRC: 7, SequenceNumber: next}
		ext, _ := (&rtp.TransportCCExtension{TransportSequence: next}).Marshal()
		if err := h.SetExtension(5, ext); err != nil {
			return 0, nil, err
		}
		next++
		n, err := (&rtp.Packet{Header: h, Payload: []byte{1, 2, 3}}).MarshalTo(b)
		return n, a, err
	}))
	buf := make([]byte, 1500)
	for next < 50 {
		if _, _, err := r.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	received, reported := 0, 0
	deadline := time.After(10 * time.Second) // generous: a loaded CI machine
	for reported < 50 {
		select {
		case cc := <-fb:
			if cc.MediaSSRC != 7 {
				t.Fatalf("feedback for SSRC %d, want 7", cc.MediaSSRC)
			}
			reported += int(cc.PacketStatusCount)
			received += len(cc.RecvDeltas)
		case <-deadline:
			t.Fatalf("feedback on %d of 50 packets", reported)
		}
	}
	if reported != 50 || received != 47 {
		t.Fatalf("feedback reports %d packets, %d received; want 50 and 47", reported, received)
	}
	if err := i.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReceiverInterceptorNoAllocs: reading a numbered packet through the
// interceptor allocates nothing when the reader below hands no attributes,
// as Pion's track reader hands none.
func TestReceiverInterceptorNoAllocs(t *testing.T) {
	i, err := NewReceiverInterceptor(time.Hour).NewInterceptor("pc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = i.Close() })
	i.BindRTCPWriter(interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) { return len(pkts), nil }))
	h := rtp.Header{Version: 2, SSRC: 7}
	ext, _ := (&rtp.TransportCCExtension{TransportSequence: 0}).Marshal()
	if err := h.SetExtension(5, ext); err != nil {
		t.Fatal(err)
	}
	pkt, err := (&rtp.Packet{Header: h, Payload: make([]byte, 1000)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	extAt := len(pkt) - 1000 - 4 + 1 // the number's two bytes, after the one-byte extension's ID and length
	info := &interceptor.StreamInfo{SSRC: 7, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 5}}}
	var next uint16
	r := i.BindRemoteStream(info, interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		next++
		pkt[2], pkt[3] = byte(next>>8), byte(next)
		pkt[extAt], pkt[extAt+1] = byte(next>>8), byte(next)
		return copy(b, pkt), a, nil
	}))
	buf := make([]byte, 1500)
	read := func() {
		if _, _, err := r.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		read()
	}
	if a := testing.AllocsPerRun(1000, read); a != 0 {
		t.Fatalf("%.1f allocations per packet, want 0", a)
	}
}
