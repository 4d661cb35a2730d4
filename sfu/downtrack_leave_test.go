package sfu

import (
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/internal/clock"
)

// TestMustLeave: a switch down leaves its layer at once only when the
// allocation, with the track at the lowest frame rate of the resolution it
// leaves, costs more than the estimate.
func TestMustLeave(t *testing.T) {
	// Two resolutions of three frame rates each: 180p at 60, 90, 150
	// kbit/s, 720p at 360, 650, 1100.
	ladder := []layerStep{{0, 0}, {0, 1}, {0, 2}, {2, 0}, {2, 1}, {2, 2}}
	tr := bwe.Track{Kind: bwe.Video, Layers: []bwe.Layer{
		{Bitrate: 60_000}, {Bitrate: 90_000, Temporal: 1}, {Bitrate: 150_000, Temporal: 2},
		{Bitrate: 360_000}, {Bitrate: 650_000, Temporal: 1}, {Bitrate: 1_100_000, Temporal: 2},
	}}
	tests := []struct {
		name            string
		cur, next       int
		total, estimate int
		want            bool
	}{
		// 720p at 30 fps down to 180p on 2 Mbit/s narrowed to 300 kbit/s:
		// 720p even at 7.5 fps (360k) is over the estimate.
		{"the estimate cannot carry the layer left", 5, 1, 200_000, 227_000, true},
		{"it can, at the lowest frame rate", 5, 1, 200_000, 500_000, false},
		{"at its edge", 5, 1, 200_000, 200_000 - 90_000 + 360_000, false},
		{"one over", 5, 1, 200_000, 200_000 - 90_000 + 360_000 - 1, true},
		{"a lower frame rate of the same resolution", 5, 3, 500_000, 100_000, false},
		{"a switch up", 1, 4, 800_000, 100_000, false},
		{"paused: at once anyway", 5, -1, 0, 100_000, false},
		{"nothing forwarded yet", -1, 1, 200_000, 100_000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustLeave(&tr, ladder, tt.cur, tt.next, tt.total, tt.estimate); got != tt.want {
				t.Fatalf("mustLeave(%d → %d, total %d, estimate %d) = %v, want %v", tt.cur, tt.next, tt.total, tt.estimate, got, tt.want)
			}
		})
	}
}

// TestLeaveAtOnce: a switch down that leaves at once (leave) sends nothing
// more of the layer left, not even while the lower layer's keyframe is
// awaited. With the lower layer's cached keyframe older than the
// publisher's refusal time (keyframeRefusal), it asks for a new one and
// switches at it, numbered on from what the subscriber was sent: not from
// the cache (a burst into a link that has just narrowed, of frames older
// than the last it was sent). With that keyframe fresh, a request would be
// refused: it asks for none and starts from the cache at the layer's next
// packet, the keyframe and the frames since in order. A plain switch down
// (setTarget) forwards the layer it leaves until the keyframe.
func TestLeaveAtOnce(t *testing.T) {
	for _, tt := range []struct {
		name       string
		atOnce     bool
		age        time.Duration // of layer 0's cached keyframe at the decision
		asks       bool          // a keyframe of layer 0 is asked for
		sentMeans  int           // packets sent between the decision and layer 0's next keyframe
		leftAtOnce uint64
	}{
		{"plain switch: the layer left goes on until the keyframe", false, 400 * time.Millisecond, true, 1, 0},
		{"at once, the cached keyframe stale: nothing until a new one", true, 400 * time.Millisecond, true, 0, 1},
		{"at once, the cached keyframe fresh: from the cache", true, 100 * time.Millisecond, false, 3, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(time.Unix(1_000_000, 0))
			r, d, w, plis := lossSetupOn(clk, 2, maxTemporal-1)
			d.sub.mediaUp.Store(true) // a start could come from the cache
			// Layer 0 starts, and its cache holds a keyframe and a
			// delta frame after it; then the track goes up to layer 1.
			feed(r, []inPacket{{layer: 0, seq: 100, ts: 3000, key: true, marker: true}, {layer: 0, seq: 101, ts: 6000, marker: true}})
			d.setTarget(1, maxTemporal-1)
			feed(r, []inPacket{{layer: 1, seq: 500, ts: 6000, key: true, marker: true}, {layer: 1, seq: 501, ts: 9000, marker: true}})
			if cur, _ := d.layers(); cur != 1 {
				t.Fatalf("forwarding layer %d, want 1", cur)
			}
			clk.Advance(tt.age)
			asked := plis[0].count()
			if tt.atOnce {
				d.leave(0, maxTemporal-1)
			} else {
				d.setTarget(0, maxTemporal-1)
			}
			if got := plis[0].count() > asked; got != tt.asks {
				t.Fatalf("a keyframe of layer 0 asked for: %v, want %v", got, tt.asks)
			}
			sent, last := w.count, w.headers[len(w.headers)-1].SequenceNumber
			feed(r, []inPacket{{layer: 1, seq: 502, ts: 12000, marker: true}, {layer: 0, seq: 102, ts: 12000, marker: true}})
			if got := w.count - sent; got != tt.sentMeans {
				t.Fatalf("%d packets sent between the decision and layer 0's next keyframe, want %d", got, tt.sentMeans)
			}
			if !tt.asks {
				// From the cache: keyframe 100, then 101 and 102, numbered on.
				if cur, _ := d.layers(); cur != 0 {
					t.Fatalf("forwarding layer %d after a start from the cache, want 0", cur)
				}
				for i, h := range w.headers[sent:] {
					if h.SequenceNumber != last+1+uint16(i) || h.SSRC != d.ssrc {
						t.Fatalf("packet %d from the cache went as %d, want %d", i, h.SequenceNumber, last+1+uint16(i))
					}
				}
				if got := r.stats.CacheStarts.Load(); got != 1 {
					t.Fatalf("CacheStarts %d, want 1", got)
				}
			}
			last = w.headers[len(w.headers)-1].SequenceNumber
			feed(r, []inPacket{{layer: 0, seq: 103, ts: 15000, key: true, marker: true}})
			if cur, _ := d.layers(); cur != 0 {
				t.Fatalf("forwarding layer %d after its keyframe, want 0", cur)
			}
			if got := w.headers[len(w.headers)-1].SequenceNumber; got != last+1 {
				t.Fatalf("the keyframe went as %d, want %d: the numbering runs on", got, last+1)
			}
			if got := r.stats.LayersLeftAtOnce.Load(); got != tt.leftAtOnce {
				t.Fatalf("LayersLeftAtOnce %d, want %d", got, tt.leftAtOnce)
			}
		})
	}
}
