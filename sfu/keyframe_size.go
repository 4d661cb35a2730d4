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

// add counts one packet of size bytes; start says it begins a keyframe.
// It returns the keyframe's size in bits once it is complete.
func (k *keyframeSize) add(pkt *rtp.Packet, start bool, size int) (bits int, done bool) {
	if k.inside && pkt.Timestamp != k.ts {
		bits, done = k.bytes*8, true
		k.inside = false
	}
	if start {
		k.ts, k.bytes, k.inside = pkt.Timestamp, 0, true
	}
	if !k.inside {
		return bits, done
	}
	k.bytes += size
	if pkt.Marker {
		k.inside = false
		return k.bytes * 8, true
	}
	return bits, done
}
