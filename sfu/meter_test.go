package sfu

import (
	"testing"
	"time"
)

// TestBitrateMeter drives the meter with a clock of its own: the rate it
// reports, its smoothing, the cost of a paused stream and its idle time.
func TestBitrateMeter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	type step struct {
		bytes    int // added before the sample
		keyframe int // of them, in a keyframe
		ms       int // when the sample is taken
		want     int // cost returned, bits per second
		idleWant time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first sample only starts the clock", []step{
			{bytes: 5000, ms: 0, want: 0},
		}},
		{"steady 400 kbit/s", []step{
			{ms: 0},
			{bytes: 12500, ms: 250, want: 400_000},
			{bytes: 12500, ms: 500, want: 400_000},
		}},
		{"a step up is smoothed over about a second", []step{
			{ms: 0},
			{bytes: 12500, ms: 250, want: 400_000},
			{bytes: 25000, ms: 500, want: 500_000}, // (3×400k + 800k) / 4
			{bytes: 25000, ms: 750, want: 575_000}, // (3×500k + 800k) / 4
		}},
		{"samples under 200 ms apart return the last figure", []step{
			{ms: 0},
			{bytes: 12500, ms: 250, want: 400_000},
			{bytes: 50000, ms: 300, want: 400_000},
		}},
		// The smoothed rate decays; once under a quarter of the last
		// flowing rate, the meter reports that rate instead.
		{"a paused stream costs what it did while it flowed", []step{
			{ms: 0},
			{bytes: 12500, ms: 250, want: 400_000},
			{ms: 500, want: 300_000, idleWant: 0},
			{ms: 750, want: 225_000, idleWant: 250 * time.Millisecond},
			{ms: 1000, want: 168_750, idleWant: 500 * time.Millisecond},
			{ms: 1250, want: 126_562, idleWant: 750 * time.Millisecond},
			{ms: 1500, want: 400_000, idleWant: time.Second},
		}},
		{"flowing again ends the idle time", []step{
			{ms: 0},
			{bytes: 12500, ms: 250, want: 400_000},
			{ms: 500, want: 300_000},
			{bytes: 12500, ms: 750, want: 325_000, idleWant: 0}, // (3×300k + 400k) / 4
		}},
		// A keyframe of 200 kbit in a quarter second of a 400 kbit/s
		// stream: 800 kbit/s for that quarter, weighed 250 ms / 10 s.
		{"a keyframe is spread over ten seconds", []step{
			{ms: 0},
			{bytes: 12500, ms: 250, want: 400_000},
			{bytes: 12500 + 25000, keyframe: 25000, ms: 500, want: 420_000},
			{bytes: 12500, ms: 750, want: 419_500}, // 20k × (1 − 0.025)
		}},
		{"a stream of keyframes alone flows", []step{
			{ms: 0},
			{bytes: 12500, keyframe: 12500, ms: 250, want: 10_000}, // 400k × 0.025
			{ms: 500, want: 9_750, idleWant: 0},
			{ms: 750, want: 9_506, idleWant: 250 * time.Millisecond},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m bitrateMeter
			for i, s := range tt.steps {
				m.add(s.bytes-s.keyframe, false)
				m.add(s.keyframe, true)
				if got := m.sample(at(s.ms)); got != s.want {
					t.Fatalf("step %d at %d ms: cost %d, want %d", i, s.ms, got, s.want)
				}
				if got := m.idleFor(at(s.ms)); got != s.idleWant {
					t.Fatalf("step %d at %d ms: idle %v, want %v", i, s.ms, got, s.idleWant)
				}
			}
		})
	}
}

func TestLayerIndex(t *testing.T) {
	none := func(int) bool { return false }
	low := func(i int) bool { return i == 0 }
	all := func(int) bool { return true }
	tests := []struct {
		rid   string
		taken func(int) bool
		want  int
	}{
		{"", none, 0}, {"q", none, 0}, {"l", none, 0}, {"low", none, 0}, {"0", none, 0},
		{"h", none, 1}, {"m", none, 1}, {"mid", none, 1}, {"medium", none, 1}, {"1", none, 1},
		{"f", none, 2}, {"high", none, 2}, {"full", none, 2}, {"2", none, 2},
		{"camera-a", none, 0}, // an app's own name takes the first free index
		{"camera-b", low, 1},
		{"camera-c", all, -1}, // three layers at most
		{"q", all, 0},         // a known name keeps its index, taken or not
	}
	for _, tt := range tests {
		if got := layerIndex(tt.rid, tt.taken); got != tt.want {
			t.Errorf("layerIndex(%q) = %d, want %d", tt.rid, got, tt.want)
		}
	}
}
