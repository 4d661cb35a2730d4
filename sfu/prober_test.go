package sfu

import (
	"testing"
	"time"
)

// TestProberLayerUp: a layer going up ends the probe as a success and holds
// the next one back for a cooldown, whether a probe ran or not.
func TestProberLayerUp(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name        string
		probing     bool
		failures    int
		nextAllowed time.Time
		wantNext    time.Time
	}{
		{"during a probe that failed before", true, 2, time.Time{}, now.Add(probeCooldown)},
		{"no probe running", false, 1, now.Add(-time.Second), now.Add(probeCooldown)},
		{"a longer backoff stays", false, 3, now.Add(time.Minute), now.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := prober{failures: tt.failures, nextAllowed: tt.nextAllowed}
			if tt.probing {
				pr.start(now.Add(-time.Second), nil, 300_000, 100_000)
			}
			pr.layerUp(now)
			if pr.active() {
				t.Fatal("probe still running after a layer went up")
			}
			if !pr.nextAllowed.Equal(tt.wantNext) {
				t.Fatalf("next probe allowed at %v, want %v", pr.nextAllowed.Sub(now), tt.wantNext.Sub(now))
			}
			if wantFailures := tt.failures; tt.probing {
				if pr.failures != 0 {
					t.Fatalf("%d failures after a probe that worked", pr.failures)
				}
			} else if pr.failures != wantFailures {
				t.Fatalf("failures %d, want %d untouched", pr.failures, wantFailures)
			}
		})
	}
}
