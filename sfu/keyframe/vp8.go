package keyframe

import "github.com/switchboard-rtc/switchboard/sfu/vp8"

// isVP8Keyframe asks the SFU's one VP8 payload descriptor reader (RFC 7741
// §4.2, §4.3; RFC 6386 §9.1). One reader, not two, so that the packet a
// subscriber starts or switches layers at is the packet the munger takes
// as a key frame.
func isVP8Keyframe(p []byte) bool {
	var d vp8.Descriptor
	return vp8.Parse(p, &d) == nil && d.Keyframe
}
