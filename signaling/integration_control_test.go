package signaling_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/bench/hist"
)

// controlPair is the witness of the bad-actor tests: a publisher of
// synthetic Opus and VP8 (the bench defaults: 50 audio packets and 30
// frames a second) and a subscriber in the same room, on ideal loopback
// links. Whatever a bad actor does, the pair's loss after NACK repair and
// its latency should not change much.
type controlPair struct {
	pub, sub *bench.Client
	media    media
	video    *bench.RemoteTrack
	audio    *bench.RemoteTrack
}

// newControlPair joins the pair into room and waits for 100 packets of each
// kind to flow from one to the other.
func (s *testServer) newControlPair(ctx context.Context, t *testing.T, room string) *controlPair {
	t.Helper()
	cp := &controlPair{pub: s.dial(ctx, t, room, "control-pub")}
	m, err := publish(ctx, cp.pub)
	if err != nil {
		t.Fatalf("control publisher: %v", err)
	}
	cp.media = m
	cp.sub = s.dial(ctx, t, room, "control-sub")
	err = cp.sub.WaitUntil(ctx, func() bool { return receivedFromAll(cp.sub, []*bench.Client{cp.pub}, 100) })
	if err != nil {
		t.Fatalf("control pair: %v; %s", err, describe(cp.sub, []*bench.Client{cp.pub}))
	}
	cp.video = trackFrom(cp.sub, cp.pub.ID(), "video")
	cp.audio = trackFrom(cp.sub, cp.pub.ID(), "audio")
	return cp
}

// figures are the control pair's over one window.
type figures struct {
	expected uint64        // audio and video payloads the publisher sent in the window
	missing  uint64        // of those, never received, NACK repair included
	p99      time.Duration // one-way latency of the received ones, 99th percentile
	keyframe uint64        // keyframe requests (PLI, FIR) that reached the publisher
}

// loss is the share of the window's packets lost for good, in percent.
func (f figures) loss() float64 {
	if f.expected == 0 {
		return 0
	}
	return 100 * float64(f.missing) / float64(f.expected)
}

func (f figures) String() string {
	return fmt.Sprintf("%d packets, %d lost (%.2f %%), latency p99 %v, %d keyframe requests",
		f.expected, f.missing, f.loss(), f.p99, f.keyframe)
}

// repairTime is how long after a window the pair waits for its losses to
// be repaired: ten rounds of NACK at the bench client's 100 ms interval.
const repairTime = time.Second

// measure watches the control pair for d and returns its figures. d is the
// measurement's length, not a wait for some event. The window's last
// packets get repairTime of play afterwards (waited for on the receiver's
// counter, so a starved receiver shows up as an error) for NACK to repair
// them, as a player's jitter buffer would wait.
func (cp *controlPair) measure(ctx context.Context, d time.Duration) (figures, error) {
	tracks := []*bench.RemoteTrack{cp.video, cp.audio}
	var from, to [2]uint64
	var before hist.Histogram
	for i, r := range tracks {
		from[i] = r.Stats().MaxSeq + 1
		r.AddLatency(&before)
	}
	pubBefore := cp.media.video.Stats()
	time.Sleep(d)
	for i, r := range tracks {
		to[i] = r.Stats().MaxSeq
	}
	pubAfter := cp.media.video.Stats()
	end := time.Now()
	err := cp.sub.WaitUntil(ctx, func() bool {
		return cp.video.Stats().LastPacket.Sub(end) > repairTime && cp.audio.Stats().LastPacket.Sub(end) > repairTime
	})
	if err != nil {
		return figures{}, fmt.Errorf("control subscriber starved after the window: %w; %s", err, describe(cp.sub, []*bench.Client{cp.pub}))
	}
	var after hist.Histogram
	var f figures
	for i, r := range tracks {
		r.AddLatency(&after)
		if to[i] >= from[i] {
			f.expected += to[i] - from[i] + 1
			f.missing += r.MissingBetween(from[i], to[i])
		}
	}
	lat := after.Sub(&before)
	f.p99 = lat.Quantile(0.99)
	f.keyframe = pubAfter.PLIs + pubAfter.FIRs - pubBefore.PLIs - pubBefore.FIRs
	return f, nil
}

// checkIntact fails the test if a payload of the pair reached the
// subscriber damaged. Only the pair's: a bad actor's tracks may carry
// anything.
func (cp *controlPair) checkIntact(t *testing.T) {
	t.Helper()
	for _, r := range []*bench.RemoteTrack{cp.video, cp.audio} {
		if s := r.Stats(); s.PayloadErrors > 0 {
			t.Errorf("control %s: %d payload errors, last: %v", r.Kind, s.PayloadErrors, r.LastPayloadError())
		}
	}
}
