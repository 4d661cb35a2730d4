package bwe

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// bottleneck runs a SendSide against a simulated path: 1200-byte packets
// sent evenly at rate bps through a FIFO that drains at capacity bps and
// then 20 ms of propagation; every dropEvery-th packet is lost (0: none).
// Every 250 ms the receiver's feedback about what has arrived by then is
// folded in (twice if repeat), and Signals read. It returns the signals
// per interval.
func bottleneck(rate, capacity, dropEvery int, repeat bool, d time.Duration) []Signals {
	const size = 1200
	s := NewSendSide()
	gap := time.Duration(float64(size*8) / float64(rate) * float64(time.Second))
	service := time.Duration(float64(size*8) / float64(capacity) * float64(time.Second))
	start := time.Unix(1_000_000, 0)
	var pending []PacketResult
	var out []Signals
	var free time.Duration // when the bottleneck is next free
	next := 250 * time.Millisecond
	s.Signals(start)
	for i := 0; time.Duration(i)*gap < d; i++ {
		sent := time.Duration(i) * gap
		for sent >= next {
			// Feedback about the packets that arrived by now.
			var ready []PacketResult
			for len(pending) > 0 && pending[0].Arrival <= next {
				ready, pending = append(ready, pending[0]), pending[1:]
			}
			s.OnFeedback(slices.Values(ready))
			if repeat {
				s.OnFeedback(slices.Values(ready))
			}
			out = append(out, s.Signals(start.Add(next)))
			next += 250 * time.Millisecond
		}
		seq := s.OnSent(start.Add(sent).UnixNano(), size)
		free = max(free, sent) + service
		r := PacketResult{Seq: seq, Received: dropEvery == 0 || i%dropEvery != 0, Arrival: free + 20*time.Millisecond}
		pending = append(pending, r)
	}
	return out
}

func TestSendSide(t *testing.T) {
	tests := []struct {
		name                 string
		rate, capacity       int
		dropEvery            int
		repeat               bool
		wantOveruseBy        time.Duration // 0: never
		wantTarget, wantLoss float64
	}{
		{"room to spare", 1_000_000, 5_000_000, 0, false, 0, 850_000, 0},
		{"feedback repeated", 1_000_000, 5_000_000, 0, true, 0, 850_000, 0},
		{"a fifth lost", 1_000_000, 5_000_000, 5, false, 0, 680_000, 0.2},
		{"sending above capacity", 1_000_000, 600_000, 0, false, 1500 * time.Millisecond, 510_000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sigs := bottleneck(tt.rate, tt.capacity, tt.dropEvery, tt.repeat, 4*time.Second)
			first := -1
			for i, s := range sigs {
				if s.Overuse && first < 0 {
					first = i
				}
			}
			if tt.wantOveruseBy == 0 {
				if first >= 0 {
					t.Fatalf("overuse signalled at %v with capacity to spare: %+v", time.Duration(first+1)*250*time.Millisecond, sigs)
				}
				last := sigs[len(sigs)-1]
				if math.Abs(float64(last.Target)-tt.wantTarget) > tt.wantTarget/10 {
					t.Fatalf("target %d, want about %.0f", last.Target, tt.wantTarget)
				}
				if math.Abs(last.Loss-tt.wantLoss) > 0.02 {
					t.Fatalf("loss %.3f, want about %.2f", last.Loss, tt.wantLoss)
				}
				return
			}
			at := time.Duration(first+1) * 250 * time.Millisecond
			if first < 0 || at > tt.wantOveruseBy {
				t.Fatalf("overuse first signalled at %v, want by %v: %+v", at, tt.wantOveruseBy, sigs)
			}
			// The target then is a share of what the bottleneck delivers.
			if got := float64(sigs[first].Target); math.Abs(got-tt.wantTarget) > tt.wantTarget*0.15 {
				t.Fatalf("target at overuse %.0f, want about %.0f", got, tt.wantTarget)
			}
		})
	}
}

// TestRandomLossAtLowRate: 5% random loss on a stream of ten packets a
// quarter second (two videos at 180p) reads as about 5%, never over the
// 10% that counts as congestion once the window is full: measured per
// interval, one lost packet of ten read as 10% and a decrease.
func TestRandomLossAtLowRate(t *testing.T) {
	s := NewSendSide()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Unix(1_000_000, 0)
	var sent time.Duration
	worst := 0.0
	for i := range 240 { // a minute
		var results []PacketResult
		for range 10 {
			sent += 25 * time.Millisecond
			seq := s.OnSent(start.Add(sent).UnixNano(), 1000)
			results = append(results, PacketResult{Seq: seq, Received: rng.Float64() >= 0.05, Arrival: sent + 20*time.Millisecond})
		}
		s.OnFeedback(slices.Values(results))
		sig := s.Signals(start.Add(sent))
		if i >= lossWindow/10 {
			worst = max(worst, sig.Loss)
		}
	}
	if worst > lossHigh {
		t.Fatalf("5%% random loss read as %.3f at worst, over the %.2f that counts as congestion", worst, lossHigh)
	}
}

// TestTargetHighestRecent: the target is 85 % of the highest rate acknowledged
// in one of the last two quarter seconds, so a quarter second that held one
// frame instead of ten does not read as the link's rate, and a link that
// narrowed is followed within half a second.
func TestTargetHighestRecent(t *testing.T) {
	tests := []struct {
		name    string
		packets []int // of 1000 bytes acknowledged per quarter second
		want    int
	}{
		{"a sparse quarter second after a full one", []int{10, 10, 10, 1}, int(0.85 * 10 * 1000 * 8 * 4)},
		{"two sparse ones: the link narrowed", []int{10, 10, 1, 1}, int(0.85 * 1 * 1000 * 8 * 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSendSide()
			start := time.Unix(1_000_000, 0)
			s.Signals(start)
			var sig Signals
			for k, packets := range tt.packets {
				at := start.Add(time.Duration(k) * 250 * time.Millisecond)
				var results []PacketResult
				for i := range packets {
					sent := at.Add(time.Duration(i) * 20 * time.Millisecond)
					seq := s.OnSent(sent.UnixNano(), 1000)
					results = append(results, PacketResult{Seq: seq, Received: true, Arrival: sent.Sub(start) + 20*time.Millisecond})
				}
				s.OnFeedback(slices.Values(results))
				sig = s.Signals(at.Add(250 * time.Millisecond))
			}
			if sig.Target != tt.want {
				t.Fatalf("target %d, want %d", sig.Target, tt.want)
			}
		})
	}
}

// TestLateReader: a receiver whose reader stalls (a browser on a starved
// core) hands packets sent over tens of milliseconds the same arrival
// time. That is no queue on the path: draft-ietf-rmcat-gcc-02 §5.2 groups
// packets that arrive in a burst, and the delay trend must not read the
// stalls as queues building. 30 fps of six 1200-byte packets, a
// millisecond apart (1.7 Mbit/s, far under any bottleneck), for a minute;
// the reader wakes every 1-5 ms, and about once a second stalls.
// Without the grouping, 180 ms stalls read as overuse in 71 of 239
// quarter seconds, 90 ms ones in 4.
func TestLateReader(t *testing.T) {
	for _, stall := range []time.Duration{30 * time.Millisecond, 90 * time.Millisecond, 180 * time.Millisecond} {
		t.Run(stall.String(), func(t *testing.T) {
			s := NewSendSide()
			rng := rand.New(rand.NewPCG(1, 2))
			start := time.Unix(1_000_000, 0)
			s.Signals(start)
			var pending []PacketResult
			next := 250 * time.Millisecond
			var wake time.Duration // when the receiver's reader next runs
			overuse, intervals := 0, 0
			for f := range 30 * 60 {
				for k := range 6 {
					sent := time.Duration(f)*time.Second/30 + time.Duration(k)*time.Millisecond
					for sent >= next {
						var ready []PacketResult
						for len(pending) > 0 && pending[0].Arrival <= next {
							ready, pending = append(ready, pending[0]), pending[1:]
						}
						s.OnFeedback(slices.Values(ready))
						if s.Signals(start.Add(next)).Overuse {
							overuse++
						}
						intervals++
						next += 250 * time.Millisecond
					}
					seq := s.OnSent(start.Add(sent).UnixNano(), 1200)
					for wake < sent+20*time.Millisecond { // 20 ms of propagation
						if rng.IntN(300) == 0 {
							wake += stall
						} else {
							wake += time.Millisecond + time.Duration(rng.Int64N(int64(4*time.Millisecond)))
						}
					}
					pending = append(pending, PacketResult{Seq: seq, Received: true, Arrival: wake})
				}
			}
			if overuse > 0 {
				t.Fatalf("overuse in %d of %d intervals, with no queue on the path", overuse, intervals)
			}
		})
	}
}
