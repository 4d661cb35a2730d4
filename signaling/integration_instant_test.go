package signaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
)

// TestInstantPicture: a subscriber that joins while the server holds every
// packet since the publisher's last keyframe is sent them at once: its
// first frame is a keyframe, and nobody asked the publisher for a new one.
func TestInstantPicture(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t)
	pub := srv.dial(ctx, t, "instant", "publisher")
	// No periodic keyframes: the late joiner's can only come from the cache
	// or from a request. 100 kbit/s (about 12 packets a second): the 64
	// packets a start may replay reach about 5 s back to the publisher's
	// first keyframe, whatever this machine's load does to the steps below
	// (they take under a second when it is idle).
	if _, err := publish(ctx, pub, bench.WithKeyframeInterval(0), bench.WithBitrate(100_000)); err != nil {
		t.Fatalf("publish: %v", err)
	}
	// Neither subscriber asks for keyframes itself (on loss, say): every
	// keyframe request counted is the server's.
	early := srv.dial(ctx, t, "instant", "early", bench.WithoutKeyframeRequests())
	if err := early.WaitUntil(ctx, func() bool {
		r := trackFrom(early, pub.ID(), "video")
		return r != nil && r.Stats().Keyframes > 0 && r.Stats().Distinct > 5
	}); err != nil {
		t.Fatalf("early subscriber: %v; %s", err, describe(early, []*bench.Client{pub}))
	}
	before := srv.sfu.Stats()

	joined := time.Now()
	late := srv.dial(ctx, t, "instant", "late", bench.WithoutKeyframeRequests())
	var video *bench.RemoteTrack
	if err := late.WaitUntil(ctx, func() bool {
		video = trackFrom(late, pub.ID(), "video")
		return video != nil && video.Stats().Keyframes > 0
	}); err != nil {
		t.Fatalf("late joiner: %v; %s", err, describe(late, []*bench.Client{pub}))
	}
	took := time.Since(joined)
	after := srv.sfu.Stats()
	t.Logf("late joiner's first keyframe %v after the dial; cache starts %d→%d, keyframe requests %d→%d",
		took.Round(time.Millisecond), before.CacheStarts, after.CacheStarts, before.KeyframeRequestsSent, after.KeyframeRequestsSent)
	if after.CacheStarts <= before.CacheStarts {
		t.Errorf("no subscriber started from the cache")
	}
	if after.KeyframeRequestsSent != before.KeyframeRequestsSent {
		t.Errorf("keyframe requests sent %d→%d, want none", before.KeyframeRequestsSent, after.KeyframeRequestsSent)
	}
	checkIntact(t, late)
}
