package sfu

import "github.com/pion/webrtc/v4"

// Track sources a client may name.
const (
	SourceCamera     = "camera"
	SourceMicrophone = "microphone"
	SourceScreen     = "screen"
)

// ValidSource tells whether s names a source.
func ValidSource(s string) bool {
	return s == SourceCamera || s == SourceMicrophone || s == SourceScreen
}

// defaultSource is the source of a track its client did not describe.
func defaultSource(kind webrtc.RTPCodecType) string {
	if kind == webrtc.RTPCodecTypeAudio {
		return SourceMicrophone
	}
	return SourceCamera
}
