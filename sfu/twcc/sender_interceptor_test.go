package twcc

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/switchboard-rtc/switchboard/bwe"
)

// TestSenderInterceptor numbers packets on their way out and reads the
// receiver's feedback about them into the estimator, reading past a
// packet that is feedback alone; RTCP that does not parse, and a compound
// packet with feedback in it, are passed on untouched.
func TestSenderInterceptor(t *testing.T) {
	var est *bwe.SendSide
	f, err := NewSenderInterceptor(WithEstimatorHook(func(_ string, e *bwe.SendSide) { est = e }))
	if err != nil {
		t.Fatal(err)
	}
	i, err := f.NewInterceptor("pc")
	if err != nil || est == nil {
		t.Fatalf("no estimator: %v", err)
	}
	info := &interceptor.StreamInfo{SSRC: 1, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 5}}}
	var numbers []uint16
	w := i.BindLocalStream(info, interceptor.RTPWriterFunc(func(h *rtp.Header, p []byte, _ interceptor.Attributes) (int, error) {
		var ext rtp.TransportCCExtension
		if err := ext.Unmarshal(h.GetExtension(5)); err != nil {
			t.Fatalf("packet %d without a transport-wide number: %v", h.SequenceNumber, err)
		}
		numbers = append(numbers, ext.TransportSequence)
		return len(p), nil
	}))
	for n := range 4 {
		h := rtp.Header{Version: 2, SSRC: 1, SequenceNumber: uint16(100 + n)}
		if _, err := w.Write(&h, make([]byte, 1000), nil); err != nil {
			t.Fatal(err)
		}
	}
	if want := []uint16{0, 1, 2, 3}; len(numbers) != 4 || numbers[0] != 0 || numbers[3] != 3 {
		t.Fatalf("transport-wide numbers %v, want %v", numbers, want)
	}
	est.Signals(time.Now())

	// Feedback: 0 and 1 arrived, 2 and 3 lost; then a datagram that is
	// not RTCP at all.
	fb := &rtcp.TransportLayerCC{
		Header:     rtcp.Header{Count: rtcp.FormatTCC, Type: rtcp.TypeTransportSpecificFeedback, Length: 5},
		SenderSSRC: 9, MediaSSRC: 1, BaseSequenceNumber: 0, PacketStatusCount: 4,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit, SymbolList: []uint16{
			rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta,
			rtcp.TypeTCCPacketNotReceived, rtcp.TypeTCCPacketNotReceived, 0, 0, 0,
		}}},
		RecvDeltas: []*rtcp.RecvDelta{{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 250}, {Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 250}},
	}
	raw, err := fb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rr, err := (&rtcp.ReceiverReport{SSRC: 9}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	garbage := []byte("garbage, not RTCP")
	compound := append(append([]byte(nil), rr...), raw...)
	datagrams := [][]byte{raw, garbage, compound}
	r := i.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if len(datagrams) == 0 {
			return 0, nil, io.EOF
		}
		n := copy(b, datagrams[0])
		datagrams = datagrams[1:]
		return n, a, nil
	}))
	buf := make([]byte, 1500)
	// The feedback alone is read past: the first read gives the garbage,
	// untouched; the second the compound packet, whole.
	for _, want := range [][]byte{garbage, compound} {
		n, _, err := r.Read(buf, nil)
		if err != nil || !bytes.Equal(buf[:n], want) {
			t.Fatalf("read % x (%v), want % x", buf[:n], err, want)
		}
	}
	if sig := est.Signals(time.Now().Add(time.Second)); sig.Loss < 0.2 || sig.Target <= 0 {
		t.Fatalf("after feedback of 2 arrived, 2 lost: %+v", sig)
	}
	if est.LastHeard() == 0 {
		t.Fatal("the feedback read past was not noted as heard")
	}
	if _, _, err := r.Read(buf, nil); !errors.Is(err, io.EOF) {
		t.Fatalf("read at the end: %v, want EOF", err)
	}
}

// TestFeedbackReadAllocs: reading a feedback message into the estimator
// allocates nothing per packet it reports (pion/rtcp's parse made an
// object for each): the estimator's range over the results costs its two
// allocations per message, whether it reports 7 packets or 140.
func TestFeedbackReadAllocs(t *testing.T) {
	f, err := NewSenderInterceptor(WithEstimatorHook(func(string, *bwe.SendSide) {}))
	if err != nil {
		t.Fatal(err)
	}
	i, err := f.NewInterceptor("pc")
	if err != nil {
		t.Fatal(err)
	}
	rr, err := (&rtcp.ReceiverReport{SSRC: 9}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, packets := range []uint16{7, 140} {
		deltas := make([]*rtcp.RecvDelta, packets)
		for k := range deltas {
			deltas[k] = &rtcp.RecvDelta{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 250}
		}
		fb := &rtcp.TransportLayerCC{
			Header:     rtcp.Header{Count: rtcp.FormatTCC, Type: rtcp.TypeTransportSpecificFeedback},
			SenderSSRC: 9, MediaSSRC: 1, PacketStatusCount: packets,
			PacketChunks: []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: packets}},
			RecvDeltas:   deltas,
		}
		fb.Header.Length = uint16(fb.MarshalSize()/4 - 1)
		raw, err := fb.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		feedback := true
		r := i.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			// Feedback, then a receiver report to end the read.
			defer func() { feedback = !feedback }()
			if feedback {
				return copy(b, raw), a, nil
			}
			return copy(b, rr), a, nil
		}))
		buf := make([]byte, 1500)
		read := func() {
			if n, _, err := r.Read(buf, nil); err != nil || n != len(rr) {
				t.Fatalf("read %d bytes (%v), want the receiver report's %d", n, err, len(rr))
			}
		}
		if a := testing.AllocsPerRun(100, read); a > 2 {
			t.Fatalf("%.1f allocations per feedback message of %d packets, want at most 2", a, packets)
		}
	}
}

func TestWireSize(t *testing.T) {
	tests := []struct {
		name    string
		h       rtp.Header
		payload int
		want    int
	}{
		{"media", rtp.Header{Version: 2}, 1000, 12 + 1000},
		{"probe padding", rtp.Header{Version: 2, Padding: true, PaddingSize: 224}, 0, 12 + 224},
		{"a padding size without the flag", rtp.Header{Version: 2, PaddingSize: 224}, 100, 12 + 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := rtp.Packet{Header: tt.h, Payload: make([]byte, tt.payload)}
			if got := WireSize(&p.Header, p.Payload); got != tt.want {
				t.Fatalf("WireSize = %d, want %d", got, tt.want)
			}
			if tt.h.Padding {
				raw, err := p.Marshal()
				if err != nil || len(raw) != tt.want {
					t.Fatalf("marshalled %d bytes (%v), want %d", len(raw), err, tt.want)
				}
			}
		})
	}
}
