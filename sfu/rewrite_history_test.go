package sfu

import (
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestRewriteHistory: a video down track maps back as many outgoing
// numbers as its layer's cache holds, an audio one (never NACKed) few.
func TestRewriteHistory(t *testing.T) {
	tests := []struct {
		kind      webrtc.RTPCodecType
		cacheSize int
		want      int
	}{
		{webrtc.RTPCodecTypeVideo, 512, 512},
		{webrtc.RTPCodecTypeVideo, 2048, 2048},
		{webrtc.RTPCodecTypeAudio, 512, audioRewriteHistory},
		{webrtc.RTPCodecTypeAudio, 2048, audioRewriteHistory},
	}
	for _, tt := range tests {
		if got := rewriteHistory(tt.kind, tt.cacheSize); got != tt.want {
			t.Errorf("rewriteHistory(%v, %d) = %d, want %d", tt.kind, tt.cacheSize, got, tt.want)
		}
	}
}
