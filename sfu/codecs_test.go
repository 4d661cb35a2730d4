package sfu

import (
	"slices"
	"testing"

	"github.com/pion/webrtc/v4"
)

func codec(mime, fmtp string, pt webrtc.PayloadType) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp}, PayloadType: pt}
}

// TestMatchCodec: the subscriber is sent the publisher's codec under the
// subscriber's payload type: the same fmtp line first (an H.264 profile),
// else the same mime type with the same H.264 packetization mode (RFC 6184
// §8.1: a receiver of mode 0 cannot take mode 1's aggregation units).
func TestMatchCodec(t *testing.T) {
	const (
		h264Base1 = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"
		h264High1 = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640034"
		h264Base0 = "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f"
	)
	offered := []webrtc.RTPCodecParameters{
		codec(webrtc.MimeTypeVP8, "", 96),
		codec(webrtc.MimeTypeH264, h264Base0, 102),
		codec(webrtc.MimeTypeH264, h264Base1, 104),
		codec(webrtc.MimeTypeH264, h264High1, 106),
	}
	tests := []struct {
		name   string
		want   webrtc.RTPCodecParameters
		pt     webrtc.PayloadType
		absent bool
	}{
		{"VP8 by mime type, case aside", codec("VIDEO/vp8", "", 120), 96, false},
		{"H.264 with the same fmtp", codec(webrtc.MimeTypeH264, h264High1, 127), 106, false},
		{"H.264 mode 0 by its fmtp", codec(webrtc.MimeTypeH264, h264Base0, 127), 102, false},
		{"H.264 of another profile, same mode: the first of that mode", codec(webrtc.MimeTypeH264, "packetization-mode=1;profile-level-id=4d001f", 127), 104, false},
		{"H.264 of a mode nobody offered", codec(webrtc.MimeTypeH264, "packetization-mode=2", 127), 0, true},
		{"a codec not offered", codec(webrtc.MimeTypeVP9, "profile-id=0", 98), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := matchCodec(offered, tt.want)
			if ok == tt.absent || (ok && got.PayloadType != tt.pt) {
				t.Fatalf("matchCodec = %v (pt %d), %v; want pt %d, found %v", got.MimeType, got.PayloadType, ok, tt.pt, !tt.absent)
			}
		})
	}
}

// TestMapExtensions: only the extensions worth forwarding (audio level,
// video orientation) are renamed, from the publisher's ID to the
// subscriber's, and only where both negotiated them.
func TestMapExtensions(t *testing.T) {
	ext := func(uri string, id int) webrtc.RTPHeaderExtensionParameter {
		return webrtc.RTPHeaderExtensionParameter{URI: uri, ID: id}
	}
	const mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
	tests := []struct {
		name     string
		pub, sub []webrtc.RTPHeaderExtensionParameter
		want     []extensionMapping
	}{
		{"renamed", []webrtc.RTPHeaderExtensionParameter{ext(uriAudioLevel, 1), ext(uriVideoOrientation, 13)},
			[]webrtc.RTPHeaderExtensionParameter{ext(uriVideoOrientation, 4), ext(uriAudioLevel, 10)},
			[]extensionMapping{{from: 1, to: 10}, {from: 13, to: 4}}},
		{"the subscriber lacks one", []webrtc.RTPHeaderExtensionParameter{ext(uriAudioLevel, 1), ext(uriVideoOrientation, 13)},
			[]webrtc.RTPHeaderExtensionParameter{ext(uriAudioLevel, 1)},
			[]extensionMapping{{from: 1, to: 1}}},
		{"not forwarded: the SFU writes its own", []webrtc.RTPHeaderExtensionParameter{ext(mid, 4)},
			[]webrtc.RTPHeaderExtensionParameter{ext(mid, 9)}, nil},
		{"nothing negotiated", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mapExtensions(tt.pub, tt.sub); !slices.Equal(got, tt.want) {
				t.Fatalf("mapExtensions = %v, want %v", got, tt.want)
			}
		})
	}
}
