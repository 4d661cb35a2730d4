package keyframe

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type call struct {
		at   time.Time
		want bool
	}
	tests := []struct {
		name     string
		interval time.Duration
		calls    []call
	}{
		{
			name:     "first request passes",
			interval: 500 * time.Millisecond,
			calls:    []call{{ms(0), true}},
		},
		{
			name:     "one per interval",
			interval: 500 * time.Millisecond,
			calls: []call{
				{ms(0), true}, {ms(1), false}, {ms(499), false}, {ms(500), true},
				{ms(700), false}, {ms(999), false}, {ms(1000), true}, {ms(5000), true},
			},
		},
		{
			name:     "the interval runs from the last request allowed",
			interval: 500 * time.Millisecond,
			calls:    []call{{ms(0), true}, {ms(600), true}, {ms(1000), false}, {ms(1100), true}},
		},
		{
			name:     "a slightly earlier time lost the race",
			interval: 500 * time.Millisecond,
			calls:    []call{{ms(1000), true}, {ms(990), false}, {ms(500), false}, {ms(1499), false}},
		},
		{
			name:     "the clock stepped back",
			interval: 500 * time.Millisecond,
			calls:    []call{{ms(10000), true}, {ms(2000), true}, {ms(2100), false}, {ms(2500), true}},
		},
		{
			name:     "zero interval allows everything",
			interval: 0,
			calls:    []call{{ms(0), true}, {ms(0), true}, {ms(1), true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := NewThrottle(tt.interval)
			for i, c := range tt.calls {
				if got := th.Allow(c.at); got != c.want {
					t.Errorf("call %d: Allow(%v) = %v, want %v", i, c.at.Sub(t0), got, c.want)
				}
			}
		})
	}
}

func TestThrottleMonotonic(t *testing.T) {
	th := NewThrottle(time.Hour)
	if !th.Allow(time.Now()) {
		t.Fatal("first request refused")
	}
	if th.Allow(time.Now()) {
		t.Fatal("second request within the interval allowed")
	}
}

// TestThrottleConcurrent has many subscribers asking at once, in each of
// many intervals, and checks that exactly one request per interval passes.
func TestThrottleConcurrent(t *testing.T) {
	const (
		interval = 500 * time.Millisecond
		windows  = 50
		callers  = 8
		calls    = 20
	)
	t0 := time.Unix(1_700_000_000, 0)
	th := NewThrottle(interval)
	for w := range windows {
		start := t0.Add(time.Duration(w) * interval)
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				for i := range calls {
					// Spread the callers' clocks over the first 10 ms of the
					// window, as concurrent time.Now() calls would be.
					now := start.Add(time.Duration((c*calls+i)%10) * time.Millisecond)
					if th.Allow(now) {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != 1 {
			t.Fatalf("window %d: %d requests allowed, want 1", w, n)
		}
	}
}

func BenchmarkThrottleAllow(b *testing.B) {
	th := NewThrottle(500 * time.Millisecond)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		th.Allow(now)
	}
}
