package keyframe

import (
	"testing"

	"github.com/switchboard-rtc/switchboard/sfu/vp8"
)

// FuzzVP8Agrees: the two readers of the VP8 payload descriptor (RFC 7741
// §4.2) agree on what starts a key frame. The SFU asks vp8.Parse for the
// codec it munges and IsKeyframe where no descriptor was parsed; were they
// to differ, a subscriber could start, or switch layers, at a packet the
// other path then drops. Seeds (testdata/fuzz/FuzzVP8Agrees) are Chromium's
// VP8 payloads from the browser tests.
func FuzzVP8Agrees(f *testing.F) {
	f.Add(cat([]byte{0x90, 0xe0, 0x81, 0x23, 0x07, 0x40}, vp8Key))
	f.Fuzz(func(t *testing.T, p []byte) {
		var d vp8.Descriptor
		parsed := vp8.Parse(p, &d) == nil && d.Keyframe
		if got := IsKeyframe("video/VP8", p); got != parsed {
			t.Fatalf("IsKeyframe %v, vp8.Parse says key frame %v, for % x", got, parsed, p)
		}
	})
}
