package sfu

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/pion/rtp"

	"github.com/switchboard-rtc/switchboard/sfu/twcc"
)

// FuzzRTPHeader parses a publisher's packet as the read loop does and
// rewrites its header as a DownTrack does for a subscriber (emit): header
// extensions (RFC 8285, one- and two-byte) renamed, padding (RFC 3550 §5.1)
// dropped. Seeds (testdata/fuzz/FuzzRTPHeader) are Chromium's packets, one
// per set of extensions it sent, and hand-built padding and two-byte forms.
//
// Properties: the rewritten header marshals, to twcc.WireSize octets, and
// parses back to the same extensions: each negotiated one with the publisher's
// value, absent only where that value cannot be written (RFC 8285 §4.2:
// one to 16 octets in the one-byte form the first extension chose).
func FuzzRTPHeader(f *testing.F) {
	f.Add([]byte{0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0, 0xaa})
	f.Add([]byte{0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p rtp.Packet
		if p.Unmarshal(raw) != nil {
			return
		}
		orig := p.Header.Clone()
		w := &recordingWriter{keep: true}
		o := outPacket{ssrc: 7, pt: 100, seq: 9, ts: 11, writer: w, extMap: fuzzExtMap}
		var sc emitScratch
		if _, err := o.emit(&sc, &p.Header, p.Payload); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Header, orig) {
			t.Fatalf("emit changed the source header: %+v, was %+v", p.Header, orig)
		}
		h := w.headers[0]
		if h.SSRC != 7 || h.PayloadType != 100 || h.SequenceNumber != 9 || h.Timestamp != 11 || h.Marker != orig.Marker {
			t.Fatalf("emitted header %+v", h)
		}
		out, err := (&rtp.Packet{Header: h, Payload: p.Payload}).Marshal()
		if err != nil {
			t.Fatalf("the rewritten header does not marshal: %v (%+v)", err, h)
		}
		if n := twcc.WireSize(&h, p.Payload); n != len(out) {
			t.Fatalf("WireSize %d, marshalled %d", n, len(out))
		}
		var back rtp.Packet
		if err := back.Unmarshal(out); err != nil {
			t.Fatalf("the rewritten packet does not parse: %v", err)
		}
		if !bytes.Equal(back.Payload, p.Payload) || back.Padding {
			t.Fatal("payload or padding changed")
		}
		for _, m := range fuzzExtMap {
			want, got := orig.GetExtension(m.from), back.GetExtension(m.to)
			writable := len(want) > 0 && len(want) <= 16 || back.ExtensionProfile == 0x1000 && want != nil
			switch {
			case want == nil && got != nil:
				t.Fatalf("extension %d appeared", m.to)
			case want != nil && got == nil && writable:
				t.Fatalf("extension %d (% x) lost", m.from, want)
			case got != nil && !bytes.Equal(got, want):
				t.Fatalf("extension %d = % x, was % x", m.to, got, want)
			}
		}
	})
}
