package keyframe

import (
	"strings"
	"testing"
)

// cat concatenates byte slices, to build payloads from their parts.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// bits builds bytes from a string of '0' and '1' (spaces ignored), padding
// the last byte with zeros: for the VP9 uncompressed header, whose fields are
// not byte-aligned.
func bits(s string) []byte {
	s = strings.ReplaceAll(s, " ", "")
	out := make([]byte, (len(s)+7)/8)
	for i, c := range s {
		if c == '1' {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

var (
	// VP8 payload headers (RFC 7741 §4.3, RFC 6386 §9.1): frame tag with
	// P=0, start code, 640x480; and an interframe's frame tag.
	vp8Key   = []byte{0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xaa}
	vp8Inter = []byte{0x31, 0x1c, 0x00, 0xaa, 0xbb, 0xcc, 0xdd}

	// VP9 uncompressed headers: frame_marker 10, profile, show_existing,
	// frame_type, show_frame, error_resilient, sync code 0x49 0x83 0x42.
	vp9KeyP0     = cat(bits("10 0 0 0 0 1 0 01001001 10000011 01000010"), []byte{0x00, 0x00})
	vp9KeyP3     = cat(bits("10 1 1 0 0 0 1 0 01001001 10000011 01000010"), []byte{0x00, 0x00})
	vp9Inter     = cat(bits("10 0 0 0 1 1 0"), []byte{0x12, 0x34, 0x56})
	vp9Existing  = bits("10 0 0 1 000 0000 00000000 00000000")
	vp9NoSync    = cat(bits("10 0 0 0 0 1 0 01001001 10000011 01000011"), []byte{0x00})
	vp9BadMarker = cat(bits("01 0 0 0 0 1 0 01001001 10000011 01000010"), []byte{0x00})
)

func TestIsKeyframe(t *testing.T) {
	tests := []struct {
		name    string
		mime    string
		payload []byte
		want    bool
	}{
		// VP8, RFC 7741 §4.2.
		{"vp8 minimal descriptor", "video/VP8", cat([]byte{0x10}, vp8Key), true},
		{"vp8 N bit set", "video/VP8", cat([]byte{0x30}, vp8Key), true},
		{"vp8 7-bit picture id", "video/VP8", cat([]byte{0x90, 0x80, 0x05}, vp8Key), true},
		{"vp8 15-bit picture id", "video/VP8", cat([]byte{0x90, 0x80, 0x81, 0x23}, vp8Key), true},
		{"vp8 I L T", "video/VP8", cat([]byte{0x90, 0xe0, 0x81, 0x23, 0x07, 0x40}, vp8Key), true},
		{"vp8 K only", "video/VP8", cat([]byte{0x90, 0x10, 0x1f}, vp8Key), true},
		{"vp8 L only", "video/VP8", cat([]byte{0x90, 0x40, 0x07}, vp8Key), true},
		{"vp8 X with no fields", "video/VP8", cat([]byte{0x90, 0x00}, vp8Key), true},
		{"vp8 interframe", "video/VP8", cat([]byte{0x90, 0x80, 0x05}, vp8Inter), false},
		{"vp8 not the start of a frame", "video/VP8", cat([]byte{0x80, 0x80, 0x05}, vp8Key), false},
		{"vp8 partition 1", "video/VP8", cat([]byte{0x11}, vp8Key), false},
		{"vp8 picture id misread as 7-bit", "video/VP8", cat([]byte{0x90, 0x80, 0x81}, vp8Key), false},
		{"vp8 no start code", "video/VP8", []byte{0x10, 0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2b}, false},
		{"vp8 header cut short", "video/VP8", []byte{0x10, 0x50, 0x2d, 0x01, 0x9d, 0x01}, false},
		{"vp8 descriptor only", "video/VP8", []byte{0x10}, false},
		{"vp8 extension missing", "video/VP8", []byte{0x90}, false},
		{"vp8 picture id missing", "video/VP8", []byte{0x90, 0x80}, false},
		{"vp8 15-bit picture id cut", "video/VP8", []byte{0x90, 0x80, 0x81}, false},
		{"vp8 empty", "video/VP8", []byte{}, false},
		{"vp8 nil", "video/VP8", nil, false},
		{"vp8 garbage", "video/VP8", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false},

		// VP9, RFC 9628 §4.2.
		{"vp9 B only", "video/VP9", cat([]byte{0x08}, vp9KeyP0), true},
		{"vp9 B and E", "video/VP9", cat([]byte{0x0c}, vp9KeyP0), true},
		{"vp9 profile 3", "video/VP9", cat([]byte{0x08}, vp9KeyP3), true},
		{"vp9 7-bit picture id", "video/VP9", cat([]byte{0x88, 0x05}, vp9KeyP0), true},
		{"vp9 15-bit picture id", "video/VP9", cat([]byte{0x88, 0x81, 0x23}, vp9KeyP0), true},
		{"vp9 layers, non-flexible", "video/VP9", cat([]byte{0xa8, 0x81, 0x23, 0x00, 0x07}, vp9KeyP0), true},
		{"vp9 layers, flexible", "video/VP9", cat([]byte{0xb8, 0x81, 0x23, 0x20}, vp9KeyP0), true},
		{"vp9 upper spatial layer", "video/VP9", cat([]byte{0xa8, 0x81, 0x23, 0x03, 0x07}, vp9KeyP0), false},
		{"vp9 predicted", "video/VP9", cat([]byte{0xc8, 0x05}, vp9KeyP0), false},
		{"vp9 not the start of a frame", "video/VP9", cat([]byte{0x80, 0x05}, vp9KeyP0), false},
		{"vp9 interframe header", "video/VP9", cat([]byte{0x08}, vp9Inter), false},
		{"vp9 show existing frame", "video/VP9", cat([]byte{0x08}, vp9Existing), false},
		{"vp9 bad sync code", "video/VP9", cat([]byte{0x08}, vp9NoSync), false},
		{"vp9 bad frame marker", "video/VP9", cat([]byte{0x08}, vp9BadMarker), false},
		{
			"vp9 scalability structure", "video/VP9",
			cat([]byte{0xaa, 0x81, 0x23, 0x00, 0x07},
				// N_S=2 (3 layers), Y, G; 3 sizes; N_G=2: one with R=1, one with R=0.
				[]byte{0x58, 1, 64, 0, 180, 2, 128, 1, 104, 5, 0, 2, 208},
				[]byte{0x02, 0x24, 0x01, 0x40},
				vp9KeyP0),
			true,
		},
		{
			"vp9 scalability structure without sizes", "video/VP9",
			cat([]byte{0x0a, 0x08, 0x01, 0x00}, vp9KeyP0), true,
		},
		{"vp9 scalability structure cut", "video/VP9", []byte{0x0a, 0x58, 1, 64, 0}, false},
		{"vp9 scalability groups cut", "video/VP9", []byte{0x0a, 0x08, 0x03, 0x0c}, false},
		{"vp9 layer indices missing", "video/VP9", []byte{0x28}, false},
		{"vp9 picture id missing", "video/VP9", []byte{0x88}, false},
		{"vp9 header cut short", "video/VP9", cat([]byte{0x08}, vp9KeyP0[:3]), false},
		{"vp9 descriptor only", "video/VP9", []byte{0x08}, false},
		{"vp9 empty", "video/VP9", nil, false},
		{"vp9 garbage", "video/VP9", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false},

		// H.264, RFC 6184 §5.
		{"h264 IDR", "video/H264", []byte{0x65, 0x88, 0x84}, true},
		{"h264 SPS", "video/H264", []byte{0x67, 0x42, 0xc0, 0x1f}, true},
		{"h264 PPS", "video/H264", []byte{0x68, 0xce, 0x3c, 0x80}, false},
		{"h264 non-IDR slice", "video/H264", []byte{0x41, 0x9a, 0x00}, false},
		{"h264 SEI", "video/H264", []byte{0x06, 0x05}, false},
		{
			"h264 STAP-A with SPS, PPS, IDR", "video/H264",
			[]byte{0x78, 0x00, 0x04, 0x67, 0x42, 0xc0, 0x1f, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88},
			true,
		},
		{
			"h264 STAP-A with IDR last", "video/H264",
			[]byte{0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x68, 0xce, 0x00, 0x01, 0x65},
			true,
		},
		{
			"h264 STAP-A without key units", "video/H264",
			[]byte{0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x41, 0x9a},
			false,
		},
		{"h264 STAP-A unit too long", "video/H264", []byte{0x78, 0x00, 0x09, 0x65, 0x88}, false},
		{"h264 STAP-A unit of size 0", "video/H264", []byte{0x78, 0x00, 0x00, 0x65, 0x88}, false},
		{"h264 STAP-A size only", "video/H264", []byte{0x78, 0x00, 0x01}, false},
		{"h264 STAP-A header only", "video/H264", []byte{0x78}, false},
		{"h264 FU-A start of IDR", "video/H264", []byte{0x7c, 0x85, 0x88}, true},
		{"h264 FU-A start of SPS", "video/H264", []byte{0x7c, 0x87}, true},
		{"h264 FU-A middle of IDR", "video/H264", []byte{0x7c, 0x05, 0x88}, false},
		{"h264 FU-A end of IDR", "video/H264", []byte{0x7c, 0x45, 0x88}, false},
		{"h264 FU-A start of non-IDR", "video/H264", []byte{0x5c, 0x81, 0x9a}, false},
		{"h264 FU-A header only", "video/H264", []byte{0x7c}, false},
		{"h264 empty", "video/H264", nil, false},

		// Mime types.
		{"mime case: lower", "video/vp8", cat([]byte{0x10}, vp8Key), true},
		{"mime case: upper", "VIDEO/VP8", cat([]byte{0x10}, vp8Key), true},
		{"mime case: h264", "Video/h264", []byte{0x65}, true},
		{"mime case: vp9", "video/vp9", cat([]byte{0x08}, vp9KeyP0), true},
		{"unknown mime", "video/AV1", []byte{0x65}, false},
		{"audio", "audio/opus", []byte{0x65}, false},
		{"empty mime", "", []byte{0x65}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsKeyframe(tt.mime, tt.payload); got != tt.want {
				t.Errorf("IsKeyframe(%q, % x) = %v, want %v", tt.mime, tt.payload, got, tt.want)
			}
		})
	}
}

// Seeds beyond these (testdata/fuzz/FuzzIsKeyframe) are Chromium's VP8 and
// Opus payloads from the browser tests; VP9 and H.264 ones are built after
// RFC 9628 and RFC 6184, as the browser tests send neither.
func FuzzIsKeyframe(f *testing.F) {
	seeds := []struct {
		mime    string
		payload []byte
	}{
		{"video/VP8", cat([]byte{0x90, 0xe0, 0x81, 0x23, 0x07, 0x40}, vp8Key)},
		{"video/VP8", []byte{0x90, 0xf0}},
		{"video/VP9", cat([]byte{0xaa, 0x81, 0x23, 0x00, 0x07, 0x58, 1, 64, 0, 180, 2, 128, 1, 104, 5, 0, 2, 208, 0x02, 0x24, 0x01, 0x40}, vp9KeyP0)},
		{"video/VP9", []byte{0x0a, 0x08, 0xff}},
		{"video/VP9", cat([]byte{0x08}, vp9KeyP3)},
		{"video/H264", []byte{0x78, 0x00, 0x04, 0x67, 0x42, 0xc0, 0x1f, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88}},
		{"video/H264", []byte{0x7c, 0x85}},
		{"video/H264", []byte{0x78, 0xff, 0xff}},
		{"video/vp8", nil},
		{"audio/opus", []byte{0x65}},
	}
	for _, s := range seeds {
		f.Add(s.mime, s.payload)
	}
	f.Fuzz(func(t *testing.T, mime string, payload []byte) {
		got := IsKeyframe(mime, payload)
		if got && len(payload) == 0 {
			t.Errorf("IsKeyframe(%q, empty) = true", mime)
		}
		if again := IsKeyframe(strings.ToUpper(mime), payload); again != got {
			t.Errorf("IsKeyframe depends on the case of %q", mime)
		}
		// Every codec needs more than the first octet to decide.
		if got && len(payload) < 2 && !strings.EqualFold(mime, "video/H264") {
			t.Errorf("IsKeyframe(%q, % x) = true on a single octet", mime, payload)
		}
	})
}

func BenchmarkIsKeyframe(b *testing.B) {
	benchmarks := []struct {
		name    string
		mime    string
		payload []byte
	}{
		{"VP8", "video/VP8", cat([]byte{0x90, 0xe0, 0x81, 0x23, 0x07, 0x40}, vp8Key)},
		{"VP9", "video/VP9", cat([]byte{0xa8, 0x81, 0x23, 0x00, 0x07}, vp9KeyP0)},
		{"H264", "video/H264", []byte{0x78, 0x00, 0x04, 0x67, 0x42, 0xc0, 0x1f, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				IsKeyframe(bm.mime, bm.payload)
			}
		})
	}
}
