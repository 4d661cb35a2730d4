package sfu

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bwe"
)

// TestDropStale: the allocator is offered no layer above the highest one
// still flowing (a publisher whose uplink narrowed stops its top layers on
// its own, and a subscriber waiting for one would freeze), with that
// resolution's frame-rate steps kept; the whole ladder when none flows.
func TestDropStale(t *testing.T) {
	ladder := []layerStep{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}}
	tests := []struct {
		name    string
		idle    [3]time.Duration // how long each spatial layer has carried nothing
		current int
		steps   int // of the ladder left
		wantCur int
	}{
		{"all flowing", [3]time.Duration{}, 4, 5, 4},
		{"the top stopped", [3]time.Duration{0, 0, 2 * time.Second}, 4, 4, 3},
		{"the top stopped for less than staleAfter", [3]time.Duration{0, 0, staleAfter - time.Millisecond}, 4, 5, 4},
		{"two stopped: the lowest resolution's two steps left", [3]time.Duration{0, 2 * time.Second, 2 * time.Second}, 1, 2, 1},
		{"a middle one stopped: the top still flows", [3]time.Duration{0, 2 * time.Second, 0}, 2, 5, 2},
		{"none flows: nothing better to offer", [3]time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}, 0, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestReceiver(webrtc.RTPCodecTypeVideo, 3)
			d := bindTestDownTrack(r, 1, &recordingWriter{})
			now := time.Now()
			for i, idle := range tt.idle {
				m := &r.layer(i).meter
				if idle == 0 {
					m.add(1000, false)
				}
				m.sample(now.Add(-idle)) // a sample without new bytes marks the layer idle since then
			}
			d.ladder = append([]layerStep(nil), ladder...)
			tr := bwe.Track{Layers: make([]bwe.Layer, len(ladder)), Current: tt.current}
			d.dropStale(&tr, now)
			if len(d.ladder) != tt.steps || len(tr.Layers) != tt.steps || tr.Current != tt.wantCur {
				t.Fatalf("ladder %v (%d layers offered), current %d; want %d steps, current %d", d.ladder, len(tr.Layers), tr.Current, tt.steps, tt.wantCur)
			}
		})
	}
}
