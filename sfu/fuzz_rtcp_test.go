package sfu

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
	"github.com/switchboard-rtc/switchboard/sfu/twcc"
)

// FuzzRTCP feeds one compound RTCP packet (RFC 3550 §6.1) from a
// subscriber through the SFU's own handling, as it arrives: the
// transport-wide CC interceptor reads it into the estimator (sfu/twcc), and
// the DownTrack's handleRTCP answers NACKs (RFC 4585 §6.2.1) from the cache
// and takes PLI and FIR (RFC 4585 §6.3.1, RFC 5104 §4.3.1) as keyframe
// requests. Seeds (testdata/fuzz/FuzzRTCP) are what Chromium sent as a
// subscriber and as a publisher in the browser tests (receiver reports,
// transport-wide feedback, PLI; sender reports and SDES), and NACK, FIR,
// REMB and compound packets built after the RFCs.
//
// Properties: what is resent was sent to this subscriber and named by a
// NACK, with its payload as first sent, at most once per sequence number
// here; PLIs and FIRs are counted once each; the NACKs, PLIs and FIRs it
// reads survive a round trip through Pion's marshaller. (Receiver reports do
// not always: Pion v1.2.17 leaves the profile-specific extension of RFC 3550
// §6.4.2 out of the length it writes; the SFU never re-marshals one.)
func FuzzRTCP(f *testing.F) {
	nack, _ := (&rtcp.TransportLayerNack{MediaSSRC: 0x1111, Nacks: []rtcp.NackPair{{PacketID: 0, LostPackets: 0xffff}}}).Marshal()
	f.Add(nack)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > packetcache.MaxPacketSize {
			return // readRTCP's buffer is that large: Pion reports a short buffer
		}
		r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
		w := &recordingWriter{keep: true}
		d := bindTestDownTrack(r, 0x1111, w)
		d.setTarget(0, maxTemporal-1)
		var in []inPacket
		for i := range 20 {
			in = append(in, inPacket{seq: uint16(65530 + i), ts: 3000 * uint32(i/2), key: i == 0, marker: i%2 == 1})
		}
		feed(r, in)
		sent := map[uint16][]byte{}
		for i, h := range w.headers {
			sent[h.SequenceNumber] = w.payloads[i]
		}
		forwarded := len(w.headers)

		// The interceptor chain parses once and hands the parse on in the
		// attributes, as readRTCP receives it.
		var est *bwe.SendSide
		fac, err := twcc.NewSenderInterceptor(twcc.WithEstimatorHook(func(_ string, e *bwe.SendSide) { est = e }))
		if err != nil {
			t.Fatal(err)
		}
		ic, err := fac.NewInterceptor("fuzz")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			est.OnSent(int64(i)*int64(time.Millisecond), 1200)
		}
		read := false
		reader := ic.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			if read {
				return 0, nil, io.EOF // the connection ends after the one packet
			}
			read = true
			return copy(b, raw), a, nil
		}))
		buf := make([]byte, packetcache.MaxPacketSize)
		n, a, err := reader.Read(buf, nil)
		if errors.Is(err, io.EOF) {
			// Read past: it must have been transport-wide feedback alone.
			if !onlyFeedback(raw) {
				t.Fatalf("% x read past, but it is not feedback alone", raw)
			}
			return
		}
		if err != nil || n != len(raw) {
			t.Fatalf("the interceptor read %d of %d octets: %v", n, len(raw), err)
		}
		pkts, err := a.GetRTCPPackets(buf[:n])
		if err != nil {
			return
		}
		d.handleRTCP(pkts, time.Now().UnixNano())

		nacked, plis := map[uint16]bool{}, 0
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.TransportLayerNack:
				for _, pair := range p.Nacks {
					pair.Range(func(seq uint16) bool { nacked[seq] = true; return true })
				}
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				plis++
			}
			checkRoundTrip(t, p)
		}
		resent := map[uint16]bool{}
		for i, h := range w.headers[forwarded:] {
			seq := h.SequenceNumber
			first, ok := sent[seq]
			switch {
			case !nacked[seq] || !ok:
				t.Fatalf("resent %d: not NACKed or never sent", seq)
			case resent[seq]:
				t.Fatalf("resent %d twice for one NACK", seq)
			case h.SSRC != 0x1111 || !bytes.Equal(w.payloads[forwarded+i], first):
				t.Fatalf("resent %d differs from what was sent", seq)
			}
			resent[seq] = true
		}
		if got := r.stats.PLIsReceived.Load(); got != uint64(plis) {
			t.Fatalf("%d PLIs counted, %d received", got, plis)
		}
	})
}

// checkRoundTrip marshals the packets handleRTCP reads fields of and parses
// them back.
func checkRoundTrip(t *testing.T, p rtcp.Packet) {
	t.Helper()
	switch p.(type) {
	case *rtcp.TransportLayerNack, *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
	default:
		return
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatalf("%T parsed but does not marshal: %v", p, err)
	}
	back, err := rtcp.Unmarshal(b)
	if err != nil || len(back) != 1 {
		t.Fatalf("%T marshalled does not parse back: %v", p, err)
	}
	b2, err := back[0].Marshal()
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("%T changed in a round trip:\n% x\n% x", p, b, b2)
	}
}

// onlyFeedback reports whether b is a compound RTCP packet of
// transport-wide feedback messages alone.
func onlyFeedback(b []byte) bool {
	pkts, err := rtcp.AppendRawPackets(nil, b)
	if err != nil || len(pkts) == 0 {
		return false
	}
	for _, p := range pkts {
		if !twcc.IsFeedback(p) {
			return false
		}
	}
	return true
}
