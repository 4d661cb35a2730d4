package sfu

import (
	"testing"
	"time"

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

// TestLayerCacheSize: a layer's packet cache starts at its kind's floor and
// may grow to the configured size, the rewriter's history for video; with
// no window it holds that size from the start.
func TestLayerCacheSize(t *testing.T) {
	tests := []struct {
		name             string
		kind             webrtc.RTPCodecType
		window           time.Duration
		size             int
		wantCap, wantMax int
	}{
		{"video", webrtc.RTPCodecTypeVideo, DefaultPacketCacheWindow, 512, videoCacheFloor, 512},
		{"audio", webrtc.RTPCodecTypeAudio, DefaultPacketCacheWindow, 512, audioCacheFloor, 512},
		{"a size below the floor", webrtc.RTPCodecTypeVideo, DefaultPacketCacheWindow, 64, 64, 64},
		{"no window", webrtc.RTPCodecTypeVideo, 0, 512, 512, 512},
		{"no window, audio", webrtc.RTPCodecTypeAudio, 0, 1024, 1024, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultConfig()
			WithPacketCacheSize(tt.size)(&cfg)
			WithPacketCacheWindow(tt.window)(&cfg)
			c := newLayerCache(tt.kind, &cfg)
			if c.Cap() != tt.wantCap || c.MaxCap() != tt.wantMax {
				t.Errorf("Cap %d, MaxCap %d; want %d, %d", c.Cap(), c.MaxCap(), tt.wantCap, tt.wantMax)
			}
			if tt.kind == webrtc.RTPCodecTypeVideo && rewriteHistory(tt.kind, cfg.cacheSize) < c.MaxCap() {
				t.Errorf("the rewriter maps %d numbers back, fewer than the cache may hold (%d)",
					rewriteHistory(tt.kind, cfg.cacheSize), c.MaxCap())
			}
		})
	}
}
