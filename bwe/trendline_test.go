package bwe

import (
	"math/rand/v2"
	"testing"
)

func TestTrendline(t *testing.T) {
	tests := []struct {
		name string
		// extra delay, ms, each group arrives after the one before beyond
		// their 20 ms send spacing; jitter moves each arrival by up to ±
		// that many ms.
		growth, jitter float64
		want           Usage
	}{
		{"a steady path", 0, 0, Normal},
		{"a jittery path", 0, 5, Normal},
		{"queues building 2 ms a group", 2, 0, Overuse},
		{"queues building through jitter", 2, 5, Overuse},
		{"queues draining", -2, 0, Underuse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			tr := NewTrendline()
			var queue, prev float64
			var seen [3]int
			for i := range 100 {
				queue += tt.growth
				arrival := float64(i)*20 + queue + (rng.Float64()*2-1)*tt.jitter
				if i > 0 {
					seen[tr.Update(arrival-prev, 20, arrival)]++
				}
				prev = arrival
			}
			// The verdict over the last half, once the window has filled.
			if tr.Usage() != tt.want {
				t.Fatalf("usage %v at the end, want %v (normal/overuse/underuse %v)", tr.Usage(), tt.want, seen)
			}
			if tt.want == Normal && seen[Overuse] > 0 {
				t.Fatalf("overuse signalled %d times on a path with no queue", seen[Overuse])
			}
		})
	}
}
