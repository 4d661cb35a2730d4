package signaling_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/internal/mediatest"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// publishSimulcast publishes audio and a three-layer camera (q 320x180,
// h 640x360, f 1280x720).
func publishSimulcast(ctx context.Context, c *bench.Client) (*bench.SyntheticSimulcast, error) {
	a, err := bench.NewSyntheticAudio()
	if err != nil {
		return nil, err
	}
	v, err := bench.NewSyntheticSimulcast(bench.WithKeyframeInterval(0))
	if err != nil {
		return nil, err
	}
	return v, c.Publish(ctx, a, v)
}

// videoWidth is the width in the last keyframe c received from publisher,
// and how many distinct packets it got; 0 before any.
func videoWidth(c *bench.Client, publisher string) (width int, distinct uint64) {
	r := trackFrom(c, publisher, "video")
	if r == nil {
		return 0, 0
	}
	st := r.Stats()
	return int(st.Width), st.Distinct
}

// TestSimulcastLayerFollowsTileSize: each subscriber gets the layer that
// fits the size at which it shows the tile; a hidden tile gets nothing, and
// the publisher is told to stop a layer nobody needs (dynacast).
func TestSimulcastLayerFollowsTileSize(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	// Layers by tile size alone: on a loaded machine GCC reads scheduling
	// delay on loopback as congestion. TestSimulcastNarrowLink covers BWE.
	srv := newServer(t, sfu.WithBandwidthEstimation(false))
	pub := srv.dial(ctx, t, "simulcast", "publisher")
	src, err := publishSimulcast(ctx, pub)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		width, height int
		wantWidth     int
	}{
		{"thumbnail", 320, 180, 320},
		{"half screen", 600, 340, 640},
		{"full screen", 1280, 720, 1280},
	}
	subs := make([]*bench.Client, len(tests))
	for i, tt := range tests {
		subs[i] = srv.dial(ctx, t, "simulcast", tt.name)
	}
	for i, tt := range tests {
		c := subs[i]
		if err := c.WaitUntil(ctx, func() bool { return trackFrom(c, pub.ID(), "video") != nil }); err != nil {
			t.Fatalf("%s: no video track: %v", tt.name, err)
		}
		if err := c.SetTrackSettings(trackFrom(c, pub.ID(), "video").ID, tt.width, tt.height, false); err != nil {
			t.Fatal(err)
		}
	}
	for i, tt := range tests {
		c := subs[i]
		err := c.WaitUntil(ctx, func() bool {
			w, _ := videoWidth(c, pub.ID())
			return w == tt.wantWidth
		})
		w, before := videoWidth(c, pub.ID())
		if err != nil {
			t.Fatalf("%s tile %dx%d: receiving width %d, want %d (server %+v)", tt.name, tt.width, tt.height, w, tt.wantWidth, srv.sfu.Stats())
		}
		// And it keeps playing.
		if err := c.WaitUntil(ctx, func() bool { _, n := videoWidth(c, pub.ID()); return n > before+20 }); err != nil {
			t.Fatalf("%s: video stopped after the switch", tt.name)
		}
	}

	// Hide the thumbnail and the half-screen tiles: nobody needs q or h any
	// more, so the publisher is told to stop them, and the hidden tiles
	// get nothing.
	for _, c := range subs[:2] {
		if err := c.SetTrackSettings(trackFrom(c, pub.ID(), "video").ID, 320, 180, true); err != nil {
			t.Fatal(err)
		}
	}
	err = pub.WaitUntil(ctx, func() bool {
		st := src.LayerStats()
		return pub.Received("layers") > 0 && st[0].Packets > 0 && !mediatest.LayerSending(src, 0) && !mediatest.LayerSending(src, 1) && mediatest.LayerSending(src, 2)
	})
	if err != nil {
		t.Fatalf("dynacast: layers messages %d, layer stats %+v", pub.Received("layers"), src.LayerStats())
	}
	for _, c := range subs[:2] {
		_, n := videoWidth(c, pub.ID())
		time.Sleep(500 * time.Millisecond)
		if _, m := videoWidth(c, pub.ID()); m > n+5 {
			t.Errorf("a hidden tile still receives video: %d packets in 500 ms", m-n)
		}
	}
	// Show the thumbnail again: q comes back.
	c := subs[0]
	if err := c.SetTrackSettings(trackFrom(c, pub.ID(), "video").ID, 320, 180, false); err != nil {
		t.Fatal(err)
	}
	_, n := videoWidth(c, pub.ID())
	if err := c.WaitUntil(ctx, func() bool { _, m := videoWidth(c, pub.ID()); return m > n+20 && mediatest.LayerSending(src, 0) }); err != nil {
		t.Fatalf("the thumbnail did not come back: %s", fmt.Sprint(src.LayerStats()))
	}
	// Per subscriber: each one's switches and keyframe requests are
	// counted for it, and the switches add up to the server's. Which
	// subscriber switched depends on whether its tile's size came before
	// its first packet (then it started on its layer, no switch: the
	// thumbnail in fresh-clone run 52), so no one subscriber is named.
	switches, before := uint64(0), srv.sfu.Stats().LayerSwitches
	for _, ps := range srv.sfu.Participants() {
		switches += ps.LayerSwitches
		for _, c := range subs {
			if ps.ID == c.ID() && ps.KeyframeRequests == 0 {
				t.Errorf("subscriber %s: no keyframe request counted: %+v", ps.Name, ps)
			}
		}
	}
	if after := srv.sfu.Stats().LayerSwitches; switches < before || switches > after {
		t.Errorf("participants' layer switches add up to %d, the server counted %d before and %d after", switches, before, after)
	}
	t.Logf("server: %+v; participants %+v", srv.sfu.Stats(), srv.sfu.Participants())
}

// TestSimulcastPublisherDropsItsTopLayer: a publisher stops its top layer
// on its own (as Chromium does when its uplink narrows). The subscriber
// waiting for it steps down to the best layer still flowing instead of
// freezing, and goes back up when the layer returns.
func TestSimulcastPublisherDropsItsTopLayer(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t, sfu.WithBandwidthEstimation(false))
	pub := srv.dial(ctx, t, "drop", "publisher")
	src, err := publishSimulcast(ctx, pub)
	if err != nil {
		t.Fatal(err)
	}
	sub := srv.dial(ctx, t, "drop", "viewer")
	if err := sub.WaitUntil(ctx, func() bool { return trackFrom(sub, pub.ID(), "video") != nil }); err != nil {
		t.Fatal(err)
	}
	if err := sub.SetTrackSettings(trackFrom(sub, pub.ID(), "video").ID, 1280, 720, false); err != nil {
		t.Fatal(err)
	}
	width := func(want int) func() bool {
		return func() bool { w, _ := videoWidth(sub, pub.ID()); return w == want }
	}
	if err := sub.WaitUntil(ctx, width(1280)); err != nil {
		t.Fatal("never got the top layer")
	}
	src.SetActiveLayers([]string{"q", "h"}) // the publisher drops f
	start := time.Now()
	if err := sub.WaitUntil(ctx, width(640)); err != nil {
		t.Fatalf("still waiting for the dropped layer: %+v", trackFrom(sub, pub.ID(), "video").Stats())
	}
	t.Logf("down to the layer still flowing after %v", time.Since(start).Round(100*time.Millisecond))
	_, n := videoWidth(sub, pub.ID())
	if err := sub.WaitUntil(ctx, func() bool { _, m := videoWidth(sub, pub.ID()); return m > n+30 }); err != nil {
		t.Fatal("video stopped after stepping down")
	}
	src.SetActiveLayers([]string{"q", "h", "f"}) // the publisher can again
	if err := sub.WaitUntil(ctx, width(1280)); err != nil {
		t.Fatalf("never back to the top layer: %+v", trackFrom(sub, pub.ID(), "video").Stats())
	}
}

// TestSimulcastLateTopLayerIsNotSwitchedOff: browsers start their top layer
// only once their own estimate allows, seconds after the others. Dynacast
// must not tell the publisher to stop a layer the server has not seen yet
// (it would never be seen, and never come back).
func TestSimulcastLateTopLayerIsNotSwitchedOff(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t, sfu.WithBandwidthEstimation(false))
	var mu sync.Mutex
	var told [][]string
	pub := srv.dial(ctx, t, "late", "publisher", bench.WithMessageHandler(func(msg any) {
		if m, ok := msg.(*protocol.Layers); ok {
			mu.Lock()
			told = append(told, m.Active)
			mu.Unlock()
		}
	}))
	a, err := bench.NewSyntheticAudio()
	if err != nil {
		t.Fatal(err)
	}
	v, err := bench.NewSyntheticSimulcast(bench.WithKeyframeInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	v.SetActiveLayers([]string{"q", "h"}) // f starts late
	if err := pub.Publish(ctx, a, v); err != nil {
		t.Fatal(err)
	}
	sub := srv.dial(ctx, t, "late", "viewer")
	if err := sub.WaitUntil(ctx, func() bool { return trackFrom(sub, pub.ID(), "video") != nil }); err != nil {
		t.Fatal(err)
	}
	if err := sub.SetTrackSettings(trackFrom(sub, pub.ID(), "video").ID, 320, 180, false); err != nil {
		t.Fatal(err)
	}
	// Only q is needed: past the dynacast hold the publisher is told to
	// stop h, which it sends, and not f, which it has never sent.
	hStopped := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(told) > 0 && !slices.Contains(told[len(told)-1], "h")
	}
	if err := pub.WaitUntil(ctx, hStopped); err != nil {
		mu.Lock()
		sent := slices.Clone(told)
		mu.Unlock()
		t.Fatalf("the publisher was never told to stop h, which nobody needs: %v; told %v", err, sent)
	}
	mu.Lock()
	for _, active := range told {
		if !slices.Contains(active, "f") {
			t.Errorf("the publisher was told to stop f before it was ever seen: %v", told)
		}
	}
	mu.Unlock()
	v.SetActiveLayers([]string{"q", "h", "f"})
	if err := sub.SetTrackSettings(trackFrom(sub, pub.ID(), "video").ID, 1280, 720, false); err != nil {
		t.Fatal(err)
	}
	if err := sub.WaitUntil(ctx, func() bool { w, _ := videoWidth(sub, pub.ID()); return w == 1280 }); err != nil {
		t.Fatalf("the late top layer never reached the large tile; layers told %v", told)
	}
}
