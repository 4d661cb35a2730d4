package sfu

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/red"
)

// redSetup is an audio track published as RED with n subscribers, every
// other one unwrapping it to Opus, and one RED packet whose primary block
// is primary; keep: the writers keep what they are sent.
func redSetup(n int, primary []byte, keep bool) (*Receiver, []*recordingWriter, rtp.Packet, []byte) {
	r := newTestReceiver(webrtc.RTPCodecTypeAudio, 1)
	r.codec.MimeType, r.codec.ClockRate = MimeTypeRED, 48000
	r.layer(0).red = true // as newLayer sets it for a RED codec
	var ws []*recordingWriter
	for i := range n {
		w := &recordingWriter{keep: keep}
		d := bindTestDownTrack(r, uint32(i+1), w)
		d.unwrapRED = i%2 == 1
		ws = append(ws, w)
	}
	payload, err := red.Append(nil, 111, []red.Block{{Data: bytes.Repeat([]byte{1}, 80), TimestampOffset: 960}}, primary)
	if err != nil {
		panic(err)
	}
	raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1, Timestamp: 48000, SSRC: 0xdead, PayloadType: 63}, Payload: payload}).Marshal()
	var pkt rtp.Packet
	_ = pkt.Unmarshal(raw)
	return r, ws, pkt, raw
}

// TestForwardREDUnwraps: a subscriber that negotiated RED gets the payload
// as published, one that did not the primary block alone; the shared
// packet is left as it was for the next.
func TestForwardREDUnwraps(t *testing.T) {
	primary := bytes.Repeat([]byte{2}, 60)
	r, ws, pkt, raw := redSetup(2, primary, true)
	orig := append([]byte(nil), pkt.Payload...)
	r.layer(0).handlePacket(&pkt, raw)
	if len(ws[0].payloads) != 1 || !bytes.Equal(ws[0].payloads[0], orig) {
		t.Errorf("RED subscriber got %v, want the RED payload unchanged", ws[0].payloads)
	}
	if len(ws[1].payloads) != 1 || !bytes.Equal(ws[1].payloads[0], primary) {
		t.Errorf("Opus subscriber got %v, want the primary block", ws[1].payloads)
	}
	if !bytes.Equal(pkt.Payload, orig) {
		t.Error("the shared packet was changed")
	}
	// A payload that is not RED is dropped for the Opus subscriber only,
	// and the numbers close over it.
	pkt.SequenceNumber, pkt.Payload = 2, []byte{0x80 | 111, 0}
	raw[2], raw[3] = 0, 2
	r.layer(0).handlePacket(&pkt, raw)
	if len(ws[0].payloads) != 2 || len(ws[1].payloads) != 1 {
		t.Errorf("malformed RED: RED subscriber got %d packets, Opus %d; want 2 and 1", len(ws[0].payloads), len(ws[1].payloads))
	}
}

func TestBindCodec(t *testing.T) {
	opus := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}
	redC := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: MimeTypeRED, ClockRate: 48000, Channels: 2, SDPFmtpLine: "111/111"}, PayloadType: 63}
	vp8C := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, PayloadType: 96}
	cases := []struct {
		name      string
		offered   []webrtc.RTPCodecParameters
		published webrtc.RTPCodecParameters
		pt        webrtc.PayloadType
		unwrap    bool
		ok        bool
	}{
		{"RED to RED", []webrtc.RTPCodecParameters{opus, redC}, redC, 63, false, true},
		{"RED to Opus only", []webrtc.RTPCodecParameters{opus}, redC, 111, true, true},
		{"Opus to RED and Opus", []webrtc.RTPCodecParameters{redC, opus}, opus, 111, false, true},
		{"RED to neither", []webrtc.RTPCodecParameters{vp8C}, redC, 0, false, false},
		{"VP8 to Opus", []webrtc.RTPCodecParameters{opus}, vp8C, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, unwrap, ok := bindCodec(c.offered, c.published)
			if ok != c.ok || unwrap != c.unwrap || ok && got.PayloadType != c.pt {
				t.Errorf("got pt %d unwrap %v ok %v, want pt %d unwrap %v ok %v", got.PayloadType, unwrap, ok, c.pt, c.unwrap, c.ok)
			}
		})
	}
}

// BenchmarkForwardRED: RED audio to n subscribers, half of them sent the
// primary Opus block alone; no allocation per packet.
func BenchmarkForwardRED(b *testing.B) {
	for _, n := range []int{2, 100} {
		b.Run(fmt.Sprintf("downtracks=%d", n), func(b *testing.B) {
			r, _, pkt, raw := redSetup(n, bytes.Repeat([]byte{2}, 80), false)
			seq := uint16(0)
			warmForward(r.layer(0), &pkt, raw, &seq)
			b.ReportAllocs()
			for b.Loop() {
				seq++
				pkt.SequenceNumber = seq
				raw[2], raw[3] = byte(seq>>8), byte(seq)
				r.layer(0).handlePacket(&pkt, raw)
			}
		})
	}
}
