package sfu

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// startingWriter drops its first drop writes as Pion does until SRTP is up
// (0 bytes, no error), then records like recordingWriter.
type startingWriter struct {
	recordingWriter
	drop int
}

func (w *startingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.mu.Lock()
	if w.drop > 0 {
		w.drop--
		w.mu.Unlock()
		return 0, nil
	}
	w.mu.Unlock()
	return w.recordingWriter.WriteRTP(h, payload)
}

// TestDroppedStartWaitsForTheNextKeyframe: a keyframe that Pion drops
// before SRTP is up does not count as the start (unswitch), so the packets
// after it, which need it, are not sent; the next keyframe starts the
// stream.
func TestDroppedStartWaitsForTheNextKeyframe(t *testing.T) {
	r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
	d := bindTestDownTrack(r, 1111, &recordingWriter{})
	w := &startingWriter{recordingWriter: recordingWriter{keep: true}, drop: 1}
	d.writer = w
	steps := []struct {
		in          inPacket
		wantCurrent int // the layer forwarded after the packet
		wantSent    int // packets the subscriber has after it
	}{
		{inPacket{seq: 10, ts: 0, picture: 1, start: true, key: true, marker: true}, -1, 0}, // dropped by the writer
		{inPacket{seq: 11, ts: 3000, picture: 2, start: true, marker: true}, -1, 0},         // needs the lost keyframe
		{inPacket{seq: 12, ts: 6000, picture: 3, start: true, key: true, marker: true}, 0, 1},
		{inPacket{seq: 13, ts: 9000, picture: 4, start: true, marker: true}, 0, 2},
	}
	for i, st := range steps {
		feed(r, []inPacket{st.in})
		if cur, _ := d.layers(); cur != st.wantCurrent {
			t.Fatalf("after packet %d: forwarding layer %d, want %d", i, cur, st.wantCurrent)
		}
		if len(w.headers) != st.wantSent {
			t.Fatalf("after packet %d: %d packets sent, want %d", i, len(w.headers), st.wantSent)
		}
	}
	if first := w.payloads[0]; !isKeyframe(webrtc.MimeTypeVP8, first, nil) {
		t.Fatal("the stream did not start with a keyframe")
	}
}

// TestFanOutLeavesThePacketAsReceived: each subscriber's header is built
// apart from the shared packet, and VP8 picture numbers munged in place
// are put back, so the packet and the cached bytes (which the payload
// aliases) are as received after the fan-out, while a subscriber that
// switched layers got its own PictureIDs.
func TestFanOutLeavesThePacketAsReceived(t *testing.T) {
	r := newTestReceiver(webrtc.RTPCodecTypeVideo, 2)
	switched := &recordingWriter{keep: true}
	steady := &recordingWriter{keep: true}
	// The switched subscriber comes last, so that nothing after it writes
	// over the picture numbers it munged.
	bindTestDownTrack(r, 2222, steady).setTarget(1, maxTemporal-1)
	a := bindTestDownTrack(r, 1111, switched)
	feed(r, []inPacket{
		{layer: 0, seq: 10, ts: 0, picture: 101, start: true, key: true, marker: true},
		{layer: 1, seq: 500, ts: 0, picture: 5001, start: true, key: true, marker: true},
	})
	a.setTarget(1, maxTemporal-1)
	feed(r, []inPacket{{layer: 1, seq: 501, ts: 3000, picture: 5002, start: true, key: true, marker: true}})

	h := rtp.Header{Version: 2, SequenceNumber: 502, Timestamp: 6000, SSRC: 0xdead + 1, PayloadType: 96, Marker: true}
	_ = h.SetExtension(audioLevelPub, []byte{0x7f})
	raw, err := (&rtp.Packet{Header: h, Payload: vp8PicturePayload(5002, true, false, 200)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(raw)
	var pkt rtp.Packet
	if err := pkt.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	hdr := pkt.Header.Clone()
	r.layer(1).handlePacket(&pkt, raw)

	if !reflect.DeepEqual(pkt.Header, hdr) {
		t.Errorf("the shared header changed: %+v, was %+v", pkt.Header, hdr)
	}
	if !bytes.Equal(raw, want) {
		t.Error("the shared bytes changed")
	}
	buf := make([]byte, len(raw))
	if n, ok := r.layer(1).cache.Get(502, buf); !ok || !bytes.Equal(buf[:n], want) {
		t.Error("the cached packet is not the packet received")
	}
	for _, c := range []struct {
		w    *recordingWriter
		ssrc uint32
	}{{switched, 1111}, {steady, 2222}} {
		last := c.w.headers[len(c.w.headers)-1]
		if last.SSRC != c.ssrc || last.GetExtension(audioLevelSub) == nil {
			t.Errorf("subscriber %d: last header %+v", c.ssrc, last)
		}
	}
	if got := pictureIDOf(switched.payloads[len(switched.payloads)-1]); got == 5002 {
		t.Errorf("the subscriber that switched got the publisher's PictureID %d, not its own", got)
	}
}
