package sfu

import (
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/internal/clock"
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
			clk := clock.NewFake(now)
			pr := prober{clock: clk, failures: tt.failures, nextAllowed: tt.nextAllowed}
			if tt.probing {
				pr.start(now.Add(-time.Second), nil, 300_000, 150_000, 100_000)
			}
			pr.layerUp(now)
			if running, _ := clk.Tickers(); pr.active() || running != 0 {
				t.Fatalf("probe still running after a layer went up (%d tickers)", running)
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

// TestProberEnds: a probe that runs its time while the estimate rose ends
// the row of failures, as one that reaches its target does (the estimate
// reaches only a share of the rate delivered); one whose estimate did not
// rise (loss held it) leaves the row as it was; one that meets congestion
// adds to it. The next probe waits the cooldown doubled per failure.
func TestProberEnds(t *testing.T) {
	now := time.Unix(1000, 0)
	late := now.Add(probeDuration + time.Millisecond)
	tests := []struct {
		name     string
		end      func(pr *prober)
		at       time.Time // when it ended
		failures int
		wait     time.Duration // before the next may start
	}{
		// Through: the next follows at once, so a widened link is
		// climbed in doublings.
		{"target reached", func(pr *prober) { pr.burst(now, 300_000) }, now, 0, 0},
		{"time run out, the estimate risen", func(pr *prober) { pr.burst(late, 285_000) }, late, 0, probeCooldown},
		{"time run out, the estimate held", func(pr *prober) { pr.burst(late, 150_000) }, late, 2, 4 * probeCooldown},
		{"congestion", func(pr *prober) { pr.fail(now) }, now, 3, 4 * probeCooldown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(now)
			pr := prober{clock: clk, failures: 2}
			pr.start(now, nil, 300_000, 150_000, 100_000)
			tt.end(&pr)
			if running, _ := clk.Tickers(); pr.active() || running != 0 {
				t.Fatalf("probe still running (%d tickers)", running)
			}
			if pr.failures != tt.failures {
				t.Fatalf("failures %d, want %d", pr.failures, tt.failures)
			}
			if want := tt.at.Add(tt.wait); !pr.nextAllowed.Equal(want) {
				t.Fatalf("next probe allowed after %v, want %v", pr.nextAllowed.Sub(now), want.Sub(now))
			}
		})
	}
}

// TestProberAim: probes aim at what the tiles want while they go through,
// and only at the next step up after one met congestion.
func TestProberAim(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		dec      bwe.Decision
		capacity int
		want     int
	}{
		{"none failed: what the tiles want", 0, bwe.Decision{ProbeTarget: 400_000, WantTarget: 2_000_000}, 0, 2_000_000},
		{"after a failure: the next step", 1, bwe.Decision{ProbeTarget: 400_000, WantTarget: 2_000_000}, 0, 400_000},
		{"after a failure, the steps held: a quarter more", 1, bwe.Decision{WantTarget: 2_000_000}, 0, 375_000},
		// Queues built at 400k: a tenth over it, not the tiles' 2M.
		{"a known capacity: a tenth over it", 0, bwe.Decision{ProbeTarget: 500_000, WantTarget: 2_000_000}, 400_000, 440_000},
		// Close to the estimate: a quarter over the estimate.
		{"a known capacity near the estimate: a quarter over the estimate", 0, bwe.Decision{WantTarget: 2_000_000}, 320_000, 375_000},
		{"a known capacity above the target: the target", 1, bwe.Decision{ProbeTarget: 400_000}, 1_000_000, 400_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := prober{failures: tt.failures}
			if got := pr.aim(tt.dec, 300_000, tt.capacity); got != tt.want {
				t.Fatalf("aim %d, want %d", got, tt.want)
			}
		})
	}
}

// TestUpgradesFrom: no video enters a new resolution while the queue of a
// congested interval drains, nor within probeSettle of probe padding,
// whose feedback (and the queue it may have built) shows only in the
// next interval.
func TestUpgradesFrom(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		draining time.Time
		padded   time.Time
		want     time.Time
	}{
		{"nothing to wait for", time.Time{}, time.Time{}, time.Time{}},
		{"a drain alone", t0, time.Time{}, t0},
		{"padding alone", time.Time{}, t0, t0.Add(probeSettle)},
		{"the drain ends later", t0.Add(time.Second), t0, t0.Add(time.Second)},
		{"the padding settles later", t0, t0.Add(100 * time.Millisecond), t0.Add(100*time.Millisecond + probeSettle)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := prober{lastPadding: tt.padded}
			if got := upgradesFrom(tt.draining, &pr); !got.Equal(tt.want) {
				t.Fatalf("upgrades from %v, want %v", got, tt.want)
			}
		})
	}
}

// TestProberPaddingRate: a probe's padding over a second is its padding
// rate, within one packet, at rates between and below multiples of one
// packet per burst; credit a burst could not spend is made up, up to two
// bursts' worth.
func TestProberPaddingRate(t *testing.T) {
	perBurst := paddingPacketBits * int(time.Second/probeBurstInterval) // one packet a burst, bits/s
	tests := []struct {
		name string
		rate int
	}{
		{"under one packet a burst", perBurst / 3},
		{"between one and two packets a burst", perBurst * 16 / 10},
		{"exactly two a burst", 2 * perBurst},
		{"177 kbit/s", 177_000},
		{"a megabit", 1_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := prober{paddingRate: tt.rate}
			packets := 0
			for range int(time.Second / probeBurstInterval) {
				n := pr.owed()
				pr.paid(n)
				packets += n
			}
			got := packets * paddingPacketBits
			if got > tt.rate || got < tt.rate-paddingPacketBits {
				t.Fatalf("padding over a second %d bits, want %d less at most one packet (%d)", got, tt.rate, paddingPacketBits)
			}
		})
	}
	t.Run("a burst that could not send", func(t *testing.T) {
		pr := prober{paddingRate: 2 * perBurst}
		if n := pr.owed(); n != 2 {
			t.Fatalf("first burst owes %d packets, want 2", n)
		}
		pr.paid(0) // padding waits for the end of a frame
		if n := pr.owed(); n != 4 {
			t.Fatalf("after a burst sent nothing, %d packets owed, want 4", n)
		}
		pr.paid(0)
		if n := pr.owed(); n != 5 {
			t.Fatalf("after two, %d packets owed, want 5 (two bursts and a packet at most)", n)
		}
	})
}
