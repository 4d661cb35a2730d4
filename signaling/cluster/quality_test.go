package cluster_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
)

// TestQualityAcrossNodes: each node scores its own clients, and the room's
// clients on the other node see those levels too:
//   - a publisher on s1 is scored (excellent or good) before anyone is on
//     s2; a subscriber that then joins on s2, a node new to the room, sees
//     that level although it does not change;
//   - the s2 subscriber's level, scored on s2, reaches s1;
//   - a subscriber on s2 that loses a fifth of what it is sent is scored
//     poor there, and s1's clients see it;
//   - s2 cannot speak for s1's participants: a level it sends for one is
//     refused.
func TestQualityAcrossNodes(t *testing.T) {
	ctx, n1, n2, rs := twoNodes(t)
	// Levels are evaluated every 1.5 s and settle within two or three
	// evaluations; lost comes 4 s after the last packet. 20 s per step
	// leaves a loaded 2-core machine ample margin.
	const bound = 20 * time.Second

	pub := n1.dial(ctx, t, "quality", "pub")
	video, err := bench.NewSyntheticVideo()
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, video); err != nil {
		t.Fatalf("publish: %v", err)
	}
	near := n1.dial(ctx, t, "quality", "near")
	level := func(c *bench.Client, id string) string {
		q, _ := c.Quality(id)
		return q.Quality
	}
	good := func(l string) bool { return l == "excellent" || l == "good" }
	waitLevel := func(c *bench.Client, who string, id string, ok func(string) bool) {
		t.Helper()
		start := time.Now()
		waitFor(ctx, t, c.ID()+" seeing "+who+"'s level", func() bool {
			return ok(level(c, id)) || time.Since(start) > bound
		})
		if !ok(level(c, id)) {
			t.Fatalf("%s sees %s's level %q after %v", c.ID(), who, level(c, id), bound)
		}
		t.Logf("%s sees %s %s after %v", c.ID(), who, level(c, id), time.Since(start).Round(100*time.Millisecond))
	}
	waitLevel(near, "the publisher (same node)", pub.ID(), good)

	far := n2.dial(ctx, t, "quality", "far")
	waitFor(ctx, t, "far receiving the publisher's video", func() bool {
		r := trackFrom(far, pub.ID(), "video")
		return r != nil && r.Stats().Distinct > 30
	})
	waitLevel(far, "the publisher (other node, unchanged level)", pub.ID(), good)
	waitLevel(near, "far (other node)", far.ID(), good)
	waitLevel(pub, "far (other node)", far.ID(), good)

	// A level that is not the first a node sends: a subscriber on s2 that
	// loses a fifth of what it is sent falls to poor there, and s1's
	// clients see the fall.
	lossy := n2.dial(ctx, t, "quality", "lossy", bench.WithLoss(bench.NewLoss(0.2, 1)))
	poor := func(l string) bool { return l == "poor" || l == "lost" }
	waitLevel(lossy, "itself (its own node)", lossy.ID(), poor)
	waitLevel(near, "the lossy subscriber (other node)", lossy.ID(), poor)
	if l := level(near, far.ID()); !good(l) {
		t.Errorf("near sees far %q after the lossy one joined", l)
	}

	// A node speaks only for its own participants: s2, rightly signed,
	// calling s1's publisher lost is refused by s1, and near never sees it.
	forged, _ := json.Marshal(map[string]any{"kind": "quality", "room": "quality",
		"quality": []map[string]any{{"ParticipantID": pub.ID(), "Quality": "lost"}}})
	if err := rs.Client().Publish(ctx, "switchboard:room:quality", envelope("s2", forged, sign("test-secret", "s2", forged))).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "s1 to refuse s2's word on its publisher", func() bool { return n1.node.Stats().MessagesRejected == 1 })
	if l := level(near, pub.ID()); !good(l) {
		t.Errorf("near sees the publisher %q after the forged message", l)
	}
	if r := n2.node.Stats().MessagesRejected; r != 0 {
		t.Errorf("s2 refused %d cluster messages", r)
	}
}
