package signaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
)

// TestInstantPicture: a subscriber that joins while the server holds every
// packet since the publisher's last keyframe is sent them at once: its
// first frame is a keyframe, within a second, and nobody asked the
// publisher for a new one.
func TestInstantPicture(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t)
	pub := srv.dial(ctx, t, "instant", "publisher")
	// No periodic keyframes: a keyframe can only come from a request, or
	// from what the server kept.
	m, err := publish(ctx, pub, bench.WithKeyframeInterval(0))
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	early := srv.dial(ctx, t, "instant", "early")
	if err := early.WaitUntil(ctx, func() bool {
		r := trackFrom(early, pub.ID(), "video")
		return r != nil && r.Stats().Keyframes > 0 && r.Stats().Distinct > 20
	}); err != nil {
		t.Fatalf("early subscriber: %v; %s", err, describe(early, []*bench.Client{pub}))
	}
	before := srv.sfu.Stats()
	keyframes := m.video.Stats().Keyframes

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
	if got := m.video.Stats().Keyframes; got != keyframes {
		t.Errorf("the publisher sent %d keyframes more: the picture should have come from the cache", got-keyframes)
	}
	if after.KeyframeRequestsSent != before.KeyframeRequestsSent {
		t.Errorf("keyframe requests sent %d→%d, want none", before.KeyframeRequestsSent, after.KeyframeRequestsSent)
	}
	checkIntact(t, late)
}
