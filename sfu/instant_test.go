package sfu

import (
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestCatchUpSendsEveryPacket: a subscriber that starts on a layer whose
// cache holds a keyframe and what followed is sent every one of those
// packets, in order, then the live one; past maxCatchUp, or before its
// PeerConnection is up (writes would go nowhere), none: it waits for a
// keyframe instead.
func TestCatchUpSendsEveryPacket(t *testing.T) {
	tests := []struct {
		name    string
		cached  int  // packets from the keyframe on, before the subscriber starts
		mediaUp bool // the subscriber's PeerConnection has connected
		want    int  // packets the subscriber gets with the next live one
	}{
		{"a keyframe alone", 5, true, 6},
		{"the most a start replays", maxCatchUp, true, maxCatchUp + 1},
		{"more than that", maxCatchUp + 1, true, 0},
		{"before the subscriber's media is up", 5, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
			r.layer(0).keyframeSeq.Store(-1)
			r.owner.mediaUp.Store(tt.mediaUp)
			var pkts []inPacket
			for i := range tt.cached + 1 {
				// Frames of 5 packets, the first a keyframe.
				pkts = append(pkts, inPacket{picture: i/5 + 1, start: i%5 == 0, key: i == 0,
					seq: uint16(60000 + i), ts: uint32(i / 5 * 3000), marker: i%5 == 4})
			}
			feed(r, pkts[:tt.cached])
			w := &recordingWriter{keep: true}
			bindTestDownTrack(r, 1234, w)
			feed(r, pkts[tt.cached:])
			if w.count != tt.want {
				t.Fatalf("the subscriber got %d packets, want %d", w.count, tt.want)
			}
			for i := 1; i < len(w.headers); i++ {
				if w.headers[i].SequenceNumber != w.headers[i-1].SequenceNumber+1 {
					t.Fatalf("packet %d: sequence %d after %d", i, w.headers[i].SequenceNumber, w.headers[i-1].SequenceNumber)
				}
			}
			if tt.want > 0 && r.stats.CacheStarts.Load() != 1 {
				t.Errorf("cache starts %d, want 1", r.stats.CacheStarts.Load())
			}
		})
	}
}
