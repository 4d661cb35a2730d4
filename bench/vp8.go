package bench

import (
	"fmt"
	"strings"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/red"
)

// VP8 wire details (RFC 7741 §4.2 payload descriptor, RFC 6386 §9.1 frame
// tag). A synthetic stream must look like real VP8 at the places an SFU
// inspects: the S bit and partition index mark a frame's first packet, the
// inverse-keyframe bit of the frame tag marks keyframes, and picture ID and
// TL0PICIDX are what an SFU rewrites when it switches streams.
const (
	vp8DescriptorSize  = 5  // X|S byte, I|L byte, 15-bit picture ID, TL0PICIDX
	vp8KeyHeaderSize   = 10 // frame tag, start code, width, height
	vp8InterHeaderSize = 3  // frame tag
	maxFirstPartSize   = 1<<19 - 1
)

// vp8StartCode opens a keyframe's uncompressed header.
const vp8StartCode = "\x9d\x01\x2a"

// appendVP8Descriptor appends a payload descriptor with a 15-bit picture ID
// and a TL0PICIDX, as libwebrtc sends them; start sets the S bit on a
// frame's first packet (partition index 0).
func appendVP8Descriptor(dst []byte, start bool, pictureID uint16, tl0PicIdx uint8) []byte {
	b0 := byte(0x80) // X: extension byte follows
	if start {
		b0 |= 0x10
	}
	pictureID &= 0x7fff
	return append(dst,
		b0,
		0xc0,                    // I: picture ID present, L: TL0PICIDX present
		0x80|byte(pictureID>>8), // M: 15-bit picture ID
		byte(pictureID),
		tl0PicIdx,
	)
}

// appendVP8FrameHeader appends the uncompressed start of a VP8 frame: the
// 3-byte frame tag (inverse keyframe bit, version 0, show_frame, size of the
// first partition) and, for a keyframe, the start code and the dimensions
// (14 bits each, no scaling).
func appendVP8FrameHeader(dst []byte, key bool, width, height uint16, firstPartSize int) []byte {
	firstPartSize = min(max(firstPartSize, 0), maxFirstPartSize)
	tag := uint32(firstPartSize)<<5 | 1<<4 // show_frame
	if !key {
		tag |= 1
	}
	dst = append(dst, byte(tag), byte(tag>>8), byte(tag>>16))
	if !key {
		return dst
	}
	dst = append(dst, vp8StartCode...)
	width, height = width&0x3fff, height&0x3fff
	return append(dst, byte(width), byte(width>>8), byte(height), byte(height>>8))
}

// codecHeader is what a receiver learns from the codec header in front of
// the bench layout.
type codecHeader struct {
	frameStart bool // first packet of a video frame
	keyframe   bool // first packet of a VP8 keyframe
	width      uint16
	height     uint16
}

// splitCodecHeader returns the bench layout carried by an RTP payload of the
// given codec, after checking the codec header in front of it.
func splitCodecHeader(mimeType string, payload []byte) ([]byte, codecHeader, error) {
	switch {
	case strings.EqualFold(mimeType, webrtc.MimeTypeOpus):
		if len(payload) < 1 {
			return nil, codecHeader{}, fmt.Errorf("%w: empty Opus payload", ErrPayloadCodec)
		}
		return payload[1:], codecHeader{}, nil // the TOC byte
	case strings.EqualFold(mimeType, webrtc.MimeTypeVP8):
		return splitVP8(payload)
	case strings.EqualFold(mimeType, redCodec.MimeType):
		// RED (RFC 2198): the primary block is this packet's Opus.
		primary, _, err := red.Primary(payload)
		if err != nil {
			return nil, codecHeader{}, fmt.Errorf("%w: %v", ErrPayloadCodec, err)
		}
		return splitCodecHeader(webrtc.MimeTypeOpus, primary)
	}
	return nil, codecHeader{}, fmt.Errorf("%w: codec %s", ErrPayloadCodec, mimeType)
}

func splitVP8(payload []byte) ([]byte, codecHeader, error) {
	var d codecs.VP8Packet
	body, err := d.Unmarshal(payload)
	if err != nil {
		return nil, codecHeader{}, fmt.Errorf("%w: VP8 descriptor: %v", ErrPayloadCodec, err)
	}
	if d.S == 0 || d.PID != 0 {
		return body, codecHeader{}, nil
	}
	h := codecHeader{frameStart: true}
	if len(body) < vp8InterHeaderSize {
		return nil, h, fmt.Errorf("%w: VP8 frame tag cut", ErrPayloadCodec)
	}
	if body[0]&1 != 0 {
		return body[vp8InterHeaderSize:], h, nil
	}
	if len(body) < vp8KeyHeaderSize || string(body[3:6]) != vp8StartCode {
		return nil, h, fmt.Errorf("%w: VP8 keyframe without start code", ErrPayloadCodec)
	}
	h.keyframe = true
	h.width = uint16(body[6]) | uint16(body[7]&0x3f)<<8
	h.height = uint16(body[8]) | uint16(body[9]&0x3f)<<8
	return body[vp8KeyHeaderSize:], h, nil
}
