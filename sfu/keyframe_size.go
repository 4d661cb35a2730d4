package sfu

import "github.com/pion/rtp"

// keyframeSize adds up the packets of a keyframe as they arrive: from the
// packet that starts it to the one with the marker bit (RFC 7741 §4.1: the
// last packet of a frame), all under the keyframe's timestamp. A keyframe
// whose end is lost ends at the next frame's first packet.
type keyframeSize struct {
	ts     uint32
	bytes  int
	inside bool
}

// keyframePacket is what add tells of one packet.
type keyframePacket struct {
	part bool // the packet is part of a keyframe
	done bool // a keyframe is complete: bits is its size
	bits int
}

// add counts one packet of size bytes; start says it begins a keyframe.
func (k *keyframeSize) add(pkt *rtp.Packet, start bool, size int) keyframePacket {
	var r keyframePacket
	if k.inside && pkt.Timestamp != k.ts {
		r.bits, r.done = k.bytes*8, true
		k.inside = false
	}
	if start {
		k.ts, k.bytes, k.inside = pkt.Timestamp, 0, true
	}
	if !k.inside {
		return r
	}
	r.part = true
	k.bytes += size
	if pkt.Marker {
		k.inside = false
		r.bits, r.done = k.bytes*8, true
	}
	return r
}
