package bench

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

func TestVP8Descriptor(t *testing.T) {
	tests := []struct {
		name      string
		start     bool
		pictureID uint16
		tl0       uint8
		want      []byte
	}{
		{"first packet", true, 0x1234, 7, []byte{0x90, 0xc0, 0x92, 0x34, 7}},
		{"continuation", false, 0x1234, 7, []byte{0x80, 0xc0, 0x92, 0x34, 7}},
		{"picture id 0", true, 0, 0, []byte{0x90, 0xc0, 0x80, 0x00, 0}},
		{"picture id keeps 15 bits", true, 0xffff, 255, []byte{0x90, 0xc0, 0xff, 0xff, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendVP8Descriptor(nil, tt.start, tt.pictureID, tt.tl0)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got % x, want % x", got, tt.want)
			}
			// Pion's depacketizer is what the SFU and every Pion peer use.
			var p codecs.VP8Packet
			body, err := p.Unmarshal(append(got, 0xee))
			if err != nil {
				t.Fatalf("pion cannot parse it: %v", err)
			}
			wantS := uint8(0)
			if tt.start {
				wantS = 1
			}
			if p.S != wantS || p.PID != 0 || p.I != 1 || p.L != 1 || p.T != 0 || p.K != 0 ||
				p.PictureID != tt.pictureID&0x7fff || p.TL0PICIDX != tt.tl0 || !bytes.Equal(body, []byte{0xee}) {
				t.Fatalf("pion reads %+v body % x", p, body)
			}
		})
	}
}

func TestVP8FrameHeader(t *testing.T) {
	tests := []struct {
		name          string
		key           bool
		width, height uint16
		firstPartSize int
		want          []byte
	}{
		// tag = size<<5 | show_frame<<4 | inverse keyframe bit, little endian.
		{"keyframe 640x360", true, 640, 360, 100, []byte{0x90, 0x0c, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}},
		{"keyframe 1280x720", true, 1280, 720, 0, []byte{0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02}},
		{"delta frame", false, 640, 360, 100, []byte{0x91, 0x0c, 0x00}},
		{"first partition size capped at 19 bits", false, 0, 0, 1 << 20, []byte{0xf1, 0xff, 0xff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendVP8FrameHeader(nil, tt.key, tt.width, tt.height, tt.firstPartSize)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got % x, want % x", got, tt.want)
			}
			if isKey := got[0]&1 == 0; isKey != tt.key {
				t.Fatalf("inverse keyframe bit says key=%v", isKey)
			}
		})
	}
}

func TestSplitCodecHeader(t *testing.T) {
	layout := AppendPayload(nil, Payload{Seq: 3, SentUnix: 4}, 40)
	vp8 := func(start, key bool) []byte {
		b := appendVP8Descriptor(nil, start, 9, 1)
		if start {
			b = appendVP8FrameHeader(b, key, 320, 180, len(layout))
		}
		return append(b, layout...)
	}
	badStart := vp8(true, true)
	badStart[vp8DescriptorSize+3] = 0 // start code
	tests := []struct {
		name    string
		mime    string
		payload []byte
		want    codecHeader
		err     error
	}{
		{"opus", webrtc.MimeTypeOpus, append([]byte{opusTOC}, layout...), codecHeader{}, nil},
		{"opus, any case", "AUDIO/OPUS", append([]byte{opusTOC}, layout...), codecHeader{}, nil},
		{"empty opus", webrtc.MimeTypeOpus, nil, codecHeader{}, ErrPayloadCodec},
		{"vp8 keyframe start", webrtc.MimeTypeVP8, vp8(true, true),
			codecHeader{frameStart: true, keyframe: true, width: 320, height: 180}, nil},
		{"vp8 delta frame start", webrtc.MimeTypeVP8, vp8(true, false), codecHeader{frameStart: true}, nil},
		{"vp8 continuation", webrtc.MimeTypeVP8, vp8(false, false), codecHeader{}, nil},
		{"vp8 keyframe without start code", webrtc.MimeTypeVP8, badStart, codecHeader{frameStart: true}, ErrPayloadCodec},
		{"vp8 frame tag cut", webrtc.MimeTypeVP8, appendVP8Descriptor(nil, true, 1, 1), codecHeader{frameStart: true}, ErrPayloadCodec},
		{"vp8 empty", webrtc.MimeTypeVP8, nil, codecHeader{}, ErrPayloadCodec},
		{"unknown codec", webrtc.MimeTypeH264, layout, codecHeader{}, ErrPayloadCodec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, hdr, err := splitCodecHeader(tt.mime, tt.payload)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if hdr != tt.want {
				t.Fatalf("header %+v, want %+v", hdr, tt.want)
			}
			if err == nil && !bytes.Equal(got, layout) {
				t.Fatalf("layout % x, want % x", got, layout)
			}
		})
	}
}
