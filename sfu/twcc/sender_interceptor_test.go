package twcc

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/switchboard-rtc/switchboard/bwe"
)

// TestSenderInterceptor numbers packets on their way out and reads the
// receiver's feedback about them into the estimator; RTCP that does not
// parse is passed on untouched.
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
	datagrams := [][]byte{raw, []byte("garbage, not RTCP")}
	r := i.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n := copy(b, datagrams[0])
		datagrams = datagrams[1:]
		return n, a, nil
	}))
	buf := make([]byte, 1500)
	for range 2 {
		if _, _, err := r.Read(buf, nil); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	if sig := est.Signals(time.Now().Add(time.Second)); sig.Loss < 0.2 || sig.Target <= 0 {
		t.Fatalf("after feedback of 2 arrived, 2 lost: %+v", sig)
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
