package sfu

import (
	"errors"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
	"github.com/switchboard-rtc/switchboard/sfu/vp8"
)

// Admission: every decision about what a subscriber is sent is taken here,
// each kind of packet under one hold of d.mu, and comes out as an outPacket
// (the subscriber's numbers for it) that emit (downtrack_emit.go) writes
// once the lock is released: no lock is held across a write.

// verdict is what admit decided for one packet of a layer.
type verdict uint8

const (
	verdictDrop         verdict = iota // not for this subscriber, or closed over
	verdictSend                        // emit it
	verdictNeedKeyframe                // a start or switch to the layer waits for its keyframe
)

// admission is what admit gives the write of one forwarded packet: for
// verdictSend the subscriber's header and payload, and how to undo what
// admit did if the write does not go.
type admission struct {
	out     outPacket
	payload []byte
	// prev is the layer forwarded before this packet, -1 none; switched
	// says this packet starts layer l: if the write does not go, the
	// switch is undone (unswitch).
	prev     int
	switched bool
	// leaving: the track left its layer at once (leave) and waits for
	// its target's next keyframe, not one from the cache.
	leaving bool
	// munged: the shared payload's VP8 picture numbers were rewritten in
	// place for this subscriber, and orig puts them back after the write.
	munged bool
	orig   vp8.Original
}

// admit decides, under one hold of d.mu, whether and how packet p of layer
// l goes to the subscriber: the layer wanted, a switch at a keyframe, the
// temporal layer, padding and undecodable payloads skipped, lean audio and
// RED unwrapped, VP8 picture numbers munged, and the subscriber's sequence
// number and timestamp. It fills a, the caller's, in place: returned by
// value, its copies showed in the fan-out's profile.
func (d *DownTrack) admit(l *Layer, p *rtp.Packet, pp *parsed, a *admission) verdict {
	d.mu.Lock()
	v := d.admitLocked(l, p, pp, a)
	d.mu.Unlock()
	return v
}

// admitLocked is admit's decision, with d.mu held.
func (d *DownTrack) admitLocked(l *Layer, p *rtp.Packet, pp *parsed, a *admission) verdict {
	desc := pp.vp8
	a.prev, a.leaving = d.current, d.leaving
	video := d.rcv.kind == webrtc.RTPCodecTypeVideo
	if l.index != d.current {
		if l.index != d.target {
			return verdictDrop
		}
		// A video stream can only start, or change layer, at a keyframe of
		// the layer it goes to. A start may use the last one, from the
		// cache, when it holds everything since (instant.go); a switch
		// waits for the next, since going back in time would show the
		// subscriber frames it has seen the like of already.
		if video && !isKeyframe(d.rcv.codec.MimeType, p.Payload, desc) {
			return verdictNeedKeyframe
		}
		if d.rw.Started() {
			d.rw.Switch(d.timestampGap(l.arrived))
			if d.munger != nil {
				d.munger.Switch()
			}
		}
		d.noteSwitch(l.index, l.arrived)
		d.setLayers(l.index, d.target)
		d.leaving = false
		a.switched = true
	}
	if desc != nil && desc.HasTID && d.dropTemporal(desc) {
		// A frame above the temporal layer chosen: nothing at or below it
		// refers to it, so it goes, and the numbers close over it.
		d.rw.Skip(p.SequenceNumber)
		d.munger.Skip(desc)
		return verdictDrop
	}
	if len(p.Payload) == 0 || d.munger != nil && desc == nil {
		// Padding only, or a payload we cannot munge: nothing the decoder
		// can use, so close the gap instead.
		d.rw.Skip(p.SequenceNumber)
		return verdictDrop
	}
	payload, ok := d.audioPayload(p.Payload, pp, l.red && d.sub.leanAudio.Load())
	if !ok {
		d.rw.Skip(p.SequenceNumber)
		return verdictDrop
	}
	if desc != nil {
		if a.orig, ok = d.munger.Munge(p.Payload, desc); !ok {
			d.rw.Skip(p.SequenceNumber)
			return verdictDrop
		}
		a.munged = true
	}
	seq, ts, ok := d.rw.Rewrite(p.SequenceNumber, p.Timestamp)
	if !ok {
		if a.munged {
			vp8.Restore(p.Payload, desc, a.orig)
			a.munged = false
		}
		return verdictDrop
	}
	if p.Marker && video {
		d.lastFrameAt = l.arrived
	}
	if video && (a.switched || desc != nil && desc.Keyframe) {
		d.keyOut, d.keySent = seq, true
	}
	d.midFrame = !p.Marker
	a.payload = payload
	// Field by field: a composite literal is built on the stack and then
	// copied, which showed in the fan-out's profile.
	o := &a.out
	o.ssrc, o.pt, o.seq, o.ts, o.writer, o.extMap = d.ssrc, d.pt, seq, ts, d.writer, d.extMap
	return verdictSend
}

// unswitch undoes the switch to layer index whose first packet was not
// written: Pion drops writes silently (0, nil) until SRTP is up, and a
// keyframe lost there must not count as the start.
func (d *DownTrack) unswitch(index, prev int) {
	d.mu.Lock()
	if d.current == index {
		d.setLayers(prev, d.target)
	}
	d.mu.Unlock()
}

// timestampGap is how far the next source's first timestamp should be from
// the last one sent: the time from the last frame to now (unix ns), in the
// stream's clock (RFC 3550 §5.1), at least one tick.
func (d *DownTrack) timestampGap(now int64) uint32 {
	if d.lastFrameAt == 0 || d.clockRate == 0 {
		return 1
	}
	elapsed := now - d.lastFrameAt
	gap := uint64(elapsed) * uint64(d.clockRate) / uint64(time.Second)
	if gap < 1 {
		return 1
	}
	return uint32(gap)
}

// dropTemporal reports whether a packet of temporal layer desc.TID is above
// what this subscriber gets. Going down takes effect at once; going up at
// the start of a TL0 frame, which refers only to TL0 frames, so every frame
// from there on can be decoded. Called with d.mu held.
func (d *DownTrack) dropTemporal(desc *vp8.Descriptor) bool {
	switch {
	case d.targetTID < d.curTID:
		d.curTID = d.targetTID
	case d.targetTID > d.curTID && desc.TID == 0 && desc.Start:
		d.curTID = d.targetTID
	}
	return int(desc.TID) > d.curTID
}

// isKeyframe uses the VP8 descriptor the layer loop already parsed, and
// parses other codecs' payloads itself.
func isKeyframe(mime string, payload []byte, desc *vp8.Descriptor) bool {
	if desc != nil {
		return desc.Keyframe
	}
	return keyframe.IsKeyframe(mime, payload)
}

// audioPayload is what the subscriber is sent of payload, whose parse is
// pp: with Opus negotiated alone, a RED payload's primary block (RFC
// 2198), which is the Opus packet (false when the payload is not RED:
// nothing it can decode); with lean audio, the RED payload cut to its
// primary block (lean_audio.go); else payload itself. Called with d.mu
// held.
func (d *DownTrack) audioPayload(payload []byte, pp *parsed, lean bool) ([]byte, bool) {
	switch {
	case d.unwrapRED:
		return pp.primary, pp.isRED
	case lean:
		return d.leanPayload(payload, pp), true
	}
	return payload, true
}

// admitRetransmit prepares the resending of the packet the subscriber
// knows as outSeq (RFC 4585 §6.2.1), under one hold of d.mu: it reads the
// packet from the shared cache of the layer forwarded into d.rtx.pkt and
// makes it what was first sent (RED unwrapped, VP8 munged; the copy is
// ours, so no restore). Packets sent before the last layer switch are not
// answered: the subscriber has moved on to a keyframe of the new layer.
// Called only under rtcpMu, which guards d.rtx, once handleNACK has made
// it.
func (d *DownTrack) admitRetransmit(outSeq uint16) (outPacket, []byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	inSeq, ok := d.rw.Source(outSeq)
	l := d.rcv.layer(d.current)
	if !ok || l == nil {
		return outPacket{}, nil, false
	}
	x := d.rtx
	n, ok := l.cache.Get(inSeq, x.buf)
	if !ok || x.pkt.Unmarshal(x.buf[:n]) != nil {
		return outPacket{}, nil, false
	}
	var pp parsed
	l.parse(x.pkt.Payload, &x.desc, &pp)
	payload, ok := d.audioPayload(x.pkt.Payload, &pp, false)
	if !ok {
		return outPacket{}, nil, false
	}
	if d.munger != nil {
		if pp.vp8 == nil {
			return outPacket{}, nil, false
		}
		if _, ok := d.munger.Munge(x.pkt.Payload, pp.vp8); !ok {
			return outPacket{}, nil, false
		}
	}
	return d.outPacket(outSeq, d.rw.Timestamp(x.pkt.Timestamp)), payload, true
}

// admitPadding numbers one padding-only packet, under one hold of d.mu:
// only while a layer is forwarded, and only between frames. Padding takes
// a sequence number: between two packets of a frame it splits the frame,
// which the receiver then never assembles (libwebrtc drops it and waits
// for a keyframe: a 3 s freeze at 600 kbit/s).
func (d *DownTrack) admitPadding() (outPacket, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.current < 0 {
		return outPacket{}, errNotForwarding
	}
	if d.midFrame {
		return outPacket{}, errPaddingLater
	}
	seq, ts, ok := d.rw.Insert()
	if !ok {
		// A switch is pending: its first packet comes first.
		return outPacket{}, errPaddingLater
	}
	return d.outPacket(seq, ts), nil
}

// Why padding was not sent: the track forwards nothing to pad, or not now
// (inside a frame, or before a pending switch's first packet).
var (
	errNotForwarding = errors.New("sfu: the down track forwards nothing")
	errPaddingLater  = errors.New("sfu: padding must wait for a frame's end")
)
