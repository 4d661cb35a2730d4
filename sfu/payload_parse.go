package sfu

import (
	"github.com/switchboard-rtc/switchboard/internal/red"
	"github.com/switchboard-rtc/switchboard/sfu/vp8"
)

// parsed is what a layer's read loop learned of one packet's payload,
// parsed once for every subscriber of the layer: the VP8 payload
// descriptor (RFC 7741 §4.2) that munging, temporal-layer dropping and
// keyframe detection read, and a RED payload's primary block (RFC 2198
// §3) that lean audio and RED unwrapping send.
type parsed struct {
	vp8 *vp8.Descriptor // nil: not VP8, or a descriptor we do not understand
	// isRED: the payload is a well-formed RED payload whose primary block
	// is primary, of payload type primaryPT.
	isRED     bool
	primary   []byte
	primaryPT uint8
}

// parse fills pp from payload, a packet of layer l, with desc as the VP8
// descriptor's storage (the read loop's scratch, or the retransmitter's).
func (l *Layer) parse(payload []byte, desc *vp8.Descriptor, pp *parsed) {
	*pp = parsed{}
	if l.vp8 && len(payload) > 0 && vp8.Parse(payload, desc) == nil {
		pp.vp8 = desc
	}
	if l.red {
		if primary, pt, err := red.Primary(payload); err == nil {
			pp.isRED, pp.primary, pp.primaryPT = true, primary, pt
		}
	}
}
