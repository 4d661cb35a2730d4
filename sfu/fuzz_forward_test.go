package sfu

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/vp8"
)

// Forwarded header extensions in the fuzz targets: publisher ID to
// subscriber ID (RFC 8285 IDs are per session, so every subscriber has its
// own).
var fuzzExtMap = []extensionMapping{{from: 1, to: 5}, {from: 14, to: 7}}

// splitPackets cuts a fuzz input into packets, each as a layer octet, a
// 16-bit length and that many octets (the last one takes what is left).
func splitPackets(stream []byte, yield func(layer int, raw []byte)) {
	for len(stream) >= 3 {
		layer := int(stream[0] % maxLayers)
		n := min(int(stream[1])<<8|int(stream[2]), len(stream)-3)
		yield(layer, stream[3:3+n])
		stream = stream[3+n:]
	}
}

// FuzzForward feeds what publishers send (RTP with any header extensions,
// padding and payload; VP8 on up to three simulcast layers, or Opus)
// through the layer read loop's handling into three subscribers, one per
// layer, each with another temporal layer. Seeds
// (testdata/fuzz/FuzzForward) are runs of consecutive packets Chromium sent
// in the browser tests.
//
// Properties: the packet shared by every subscriber is left as received;
// each forwarded copy has the subscriber's SSRC and payload type, no
// padding, only the extensions it negotiated with the publisher's values,
// the publisher's payload except the VP8 picture numbers (RFC 7741 §4.2),
// and a sequence number no other packet to that subscriber had, even when
// a publisher that seemed to restart its numbering (RFC 3550 §A.1) replays
// old numbers the cache has forgotten.
func FuzzForward(f *testing.F) {
	f.Add(false, []byte{0, 0, 5, 0x80, 0x60, 0, 1, 0})
	f.Fuzz(func(t *testing.T, audio bool, stream []byte) {
		kind, layers := webrtc.RTPCodecTypeVideo, maxLayers
		if audio {
			kind, layers = webrtc.RTPCodecTypeAudio, 1
		}
		r := newTestReceiver(kind, layers)
		subs := []struct {
			w        *recordingWriter
			d        *DownTrack
			ssrc     uint32
			seen     map[uint16]struct{}
			consumed int
		}{{ssrc: 0x1111}, {ssrc: 0x2222}, {ssrc: 0x3333}}
		for i := range subs {
			s := &subs[i]
			s.w, s.seen = &recordingWriter{keep: true}, map[uint16]struct{}{}
			s.d = bindTestDownTrack(r, s.ssrc, s.w)
			s.d.extMap = fuzzExtMap
			s.d.setTarget(min(i, layers-1), maxTemporal-1-i)
		}
		var pkt rtp.Packet
		splitPackets(stream, func(layer int, raw []byte) {
			if pkt.Unmarshal(raw) != nil {
				return // the read loop drops it too
			}
			l := r.layer(min(layer, layers-1))
			in := bytes.Clone(raw)
			var inPkt rtp.Packet
			if err := inPkt.Unmarshal(in); err != nil {
				t.Fatalf("a packet that parsed once does not parse again: %v", err)
			}
			l.handlePacket(&pkt, raw)
			if !bytes.Equal(raw, in) {
				t.Fatalf("the shared packet changed:\n% x\n% x", in, raw)
			}
			for i := range subs {
				s := &subs[i]
				for ; s.consumed < len(s.w.headers); s.consumed++ {
					checkForwarded(t, &inPkt, &s.w.headers[s.consumed], s.w.payloads[s.consumed], s.ssrc, !audio)
					h := &s.w.headers[s.consumed]
					if _, ok := s.seen[h.SequenceNumber]; ok {
						t.Fatalf("subscriber %x got two packets numbered %d", s.ssrc, h.SequenceNumber)
					}
					s.seen[h.SequenceNumber] = struct{}{}
				}
			}
		})
	})
}

// checkForwarded compares one forwarded copy with the packet it came from.
func checkForwarded(t *testing.T, in *rtp.Packet, h *rtp.Header, payload []byte, ssrc uint32, video bool) {
	t.Helper()
	if h.SSRC != ssrc || h.PayloadType != 100 || h.Padding || h.PaddingSize != 0 {
		t.Fatalf("forwarded header %+v, want SSRC %x, PT 100, no padding", h, ssrc)
	}
	for _, id := range h.GetExtensionIDs() {
		var from uint8
		for _, m := range fuzzExtMap {
			if m.to == id {
				from = m.from
			}
		}
		if from == 0 || !bytes.Equal(h.GetExtension(id), in.GetExtension(from)) {
			t.Fatalf("forwarded extension %d = % x, not negotiated or not the publisher's", id, h.GetExtension(id))
		}
	}
	if len(payload) != len(in.Payload) {
		t.Fatalf("forwarded %d octets of payload, received %d", len(payload), len(in.Payload))
	}
	if !video {
		if !bytes.Equal(payload, in.Payload) {
			t.Fatal("audio payload changed")
		}
		return
	}
	var din, dout vp8.Descriptor
	if err := vp8.Parse(in.Payload, &din); err != nil {
		t.Fatalf("forwarded a VP8 payload that does not parse: %v", err)
	}
	if err := vp8.Parse(payload, &dout); err != nil {
		t.Fatalf("the forwarded VP8 payload no longer parses: %v", err)
	}
	dout.PictureID, dout.TL0PICIDX = din.PictureID, din.TL0PICIDX
	if dout != din || !bytes.Equal(payload[din.Size:], in.Payload[din.Size:]) {
		t.Fatal("forwarding changed more of the VP8 payload than its picture numbers")
	}
}
