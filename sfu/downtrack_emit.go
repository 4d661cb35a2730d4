package sfu

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// outPacket is what admission gives emit: the subscriber's stream as Bind
// settled it (copied out of d.mu) and the packet's place in it.
type outPacket struct {
	ssrc   uint32
	pt     uint8
	seq    uint16
	ts     uint32
	writer webrtc.TrackLocalWriter
	extMap []extensionMapping
}

// outPacket numbers a packet seq and ts in the subscriber's stream. Called
// with d.mu held.
func (d *DownTrack) outPacket(seq uint16, ts uint32) outPacket {
	return outPacket{ssrc: d.ssrc, pt: d.pt, seq: seq, ts: ts, writer: d.writer, extMap: d.extMap}
}

// emitScratch is one writing goroutine's room to build a subscriber's
// header in, so that writing allocates nothing and leaves the source
// packet, shared with other subscribers or cached, as it was.
type emitScratch struct {
	hdr rtp.Header
	// The negotiated extensions copied, and room for the transport-wide
	// sequence number the interceptor adds.
	ext [4]rtp.Extension
}

// emit writes one packet to the subscriber, the one place a subscriber's
// header is made: src's header (nil: a padding-only packet, RFC 3550 §5.1,
// of maxPadding octets) with the subscriber's SSRC, payload type, sequence
// number and timestamp, and those of src's header extensions the
// subscriber negotiated, under its IDs. sc is the calling goroutine's.
func (o *outPacket) emit(sc *emitScratch, src *rtp.Header, payload []byte) (int, error) {
	h := &sc.hdr
	if src == nil {
		// No payload: the marshaller appends PaddingSize octets, the last
		// of which counts them.
		*h = rtp.Header{Version: 2, Padding: true, PaddingSize: maxPadding}
	} else {
		// Field by field, not *h = *src: the copy of a whole header into
		// the heap costs the fan-out a few nanoseconds a subscriber.
		h.Version, h.Padding, h.Marker, h.CSRC, h.PaddingSize = src.Version, false, src.Marker, src.CSRC, 0
	}
	h.SSRC, h.PayloadType, h.SequenceNumber, h.Timestamp = o.ssrc, o.pt, o.seq, o.ts
	h.Extension, h.ExtensionProfile, h.Extensions = false, 0, sc.ext[:0]
	if src != nil {
		for _, m := range o.extMap {
			if ext := src.GetExtension(m.from); ext != nil {
				_ = h.SetExtension(m.to, ext)
			}
		}
	}
	return o.writer.WriteRTP(h, payload)
}
