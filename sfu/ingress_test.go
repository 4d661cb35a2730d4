package sfu

import (
	"testing"
	"time"
)

// TestIngressLimitCaps: a stream sent past either cap for two seconds gets
// through at the cap, plus the burst of half a second's worth; one under
// both caps loses nothing.
func TestIngressLimitCaps(t *testing.T) {
	tests := []struct {
		name             string
		bitrate, packets int // caps
		size, pps        int // what the publisher sends: packet size, packets a second
		wantBytes        int // bytes a second that pass, after the burst
	}{
		{"within both caps", 8_000_000, 1000, 1200, 500, 600_000},
		{"ten times the bitrate", 2_000_000, 1000, 1200, 2000, 250_000},
		{"small packets past the packet cap", 8_000_000, 1000, 100, 5000, 100_000},
		{"no cap", 0, 0, 1200, 5000, 6_000_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newIngressLimit(tc.bitrate, tc.packets)
			start := time.Unix(1_000_000, 0)
			const seconds = 2
			passed := 0
			for i := range tc.pps * seconds {
				now := start.Add(time.Duration(i) * time.Second / time.Duration(tc.pps))
				if l.allow(now, tc.size) {
					passed += tc.size
				}
			}
			want := tc.wantBytes * seconds
			// The burst: half a second of the binding cap, on top.
			burst := 0
			if tc.bitrate > 0 {
				burst = min(tc.bitrate/8/2, tc.packets/2*tc.size)
			}
			if passed < want || passed > want+burst+tc.size {
				t.Errorf("%d bytes passed in %d s, want %d to %d", passed, seconds, want, want+burst+tc.size)
			}
		})
	}
}
