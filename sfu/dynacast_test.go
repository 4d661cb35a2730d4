package sfu

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestActiveLayers: dynacast names every layer some subscriber forwards,
// waits for or would show at its tile's size, keeps a layer nobody needs
// for dynacastHold before turning it off, turns a needed one on at once,
// and says so only when the set changes.
func TestActiveLayers(t *testing.T) {
	type step struct {
		after         time.Duration // since the start
		current, want int           // the subscriber's layer and its tile's (-1 none)
		active        []string
		changed       bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"all on at first: nothing to say", []step{{0, 0, -1, []string{"q", "h", "f"}, false}}},
		{"unneeded layers off after the hold, not before", []step{
			{0, 0, -1, []string{"q", "h", "f"}, false},
			{dynacastHold - time.Millisecond, 0, -1, []string{"q", "h", "f"}, false},
			{dynacastHold + time.Millisecond, 0, -1, []string{"q"}, true},
			{dynacastHold + time.Second, 0, -1, []string{"q"}, false},
		}},
		{"the tile's layer stays on, and comes back at once", []step{
			{0, 0, 2, []string{"q", "h", "f"}, false},
			{dynacastHold + time.Millisecond, 0, 2, []string{"q", "f"}, true},
			{dynacastHold + 2*time.Millisecond, 1, 2, []string{"q", "h", "f"}, true},
		}},
		{"nobody forwards anything: all off after the hold", []step{
			{0, -1, -1, []string{"q", "h", "f"}, false},
			{dynacastHold + time.Millisecond, -1, -1, []string{}, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestReceiver(webrtc.RTPCodecTypeVideo, 3)
			r.rids = []string{"q", "h", "f"}
			d := bindTestDownTrack(r, 1, &recordingWriter{})
			start := time.Now()
			for _, s := range tt.steps {
				d.mu.Lock()
				d.setLayers(s.current, s.current)
				d.mu.Unlock()
				d.tileWant.Store(int32(s.want))
				active, changed := r.activeLayers(start.Add(s.after))
				if !slices.Equal(active, s.active) || changed != s.changed {
					t.Fatalf("at %v (layer %d, tile %d): %v, changed %v; want %v, %v", s.after, s.current, s.want, active, changed, s.active, s.changed)
				}
			}
		})
	}
}

// TestActiveLayersWithoutSimulcast: a track of one layer has nothing to
// say to its publisher.
func TestActiveLayersWithoutSimulcast(t *testing.T) {
	r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
	r.rids = []string{"f"}
	if active, changed := r.activeLayers(time.Now()); active != nil || changed {
		t.Fatalf("got %v, %v; want nothing", active, changed)
	}
}
