package sfu

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/clock"
	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
)

// TestLayerKeyframeThrottleOnClock: a layer asks its publisher for at most
// one keyframe per keyframe interval on the SFU's clock: however many
// subscribers ask within it, one PLI; the next once the interval has
// passed, and not a moment before.
func TestLayerKeyframeThrottleOnClock(t *testing.T) {
	const interval = 500 * time.Millisecond
	start := time.Now()
	clk := clock.NewFake(start)
	r := newTestReceiverOn(clk, webrtc.RTPCodecTypeVideo, 1)
	l := r.layer(0)
	pli := &pliRecorder{}
	l.publisher, l.throttle = pli, keyframe.NewThrottle(interval)
	for _, step := range []struct {
		advance time.Duration
		asks    int // subscribers asking then
		want    int // PLIs sent so far
	}{
		{0, 3, 1},
		{interval - time.Millisecond, 1, 1},
		{time.Millisecond, 2, 2},
		{interval / 2, 1, 2},
		{interval / 2, 1, 3},
	} {
		clk.Advance(step.advance)
		for range step.asks {
			l.requestKeyframe()
		}
		if got := pli.count(); got != step.want {
			t.Fatalf("at %v: %d PLIs sent, want %d", clk.Now().Sub(start), got, step.want)
		}
	}
	if got := r.stats.KeyframeRequestsSent.Load(); got != 3 {
		t.Fatalf("KeyframeRequestsSent %d, want 3", got)
	}
}

// TestSwitchTimestampGap: on a switch of layer, the new source's first
// timestamp follows the last one sent by the time since the last frame
// sent, on the SFU's clock, in the stream's 90 kHz (RFC 3550 §5.1): a
// decoder plays the frames apart as they were; at least one tick.
func TestSwitchTimestampGap(t *testing.T) {
	for _, tt := range []struct {
		name string
		gap  time.Duration
		want uint32 // ticks after the last timestamp sent
	}{
		{"at once: one tick", 0, 1},
		{"a frame's time", 33 * time.Millisecond, 2970},
		{"a second", time.Second, 90000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(time.Now())
			r := newTestReceiverOn(clk, webrtc.RTPCodecTypeVideo, 2)
			w := &recordingWriter{keep: true}
			d := bindTestDownTrack(r, 0x77, w)
			d.setTarget(0, maxTemporal-1)
			feed(r, []inPacket{{layer: 0, seq: 10, ts: 3000, key: true, marker: true}})
			d.setTarget(1, maxTemporal-1)
			clk.Advance(tt.gap)
			feed(r, []inPacket{{layer: 1, seq: 900, ts: 555_000, key: true, marker: true}})
			if len(w.headers) != 2 {
				t.Fatalf("%d packets sent, want the two keyframes", len(w.headers))
			}
			if got := w.headers[1].Timestamp - w.headers[0].Timestamp; got != tt.want {
				t.Fatalf("the new layer's first timestamp %d after the last, want %d", got, tt.want)
			}
		})
	}
}
