package cluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/internal/redistest"
)

// TestFullNodeRedirects: a node at its participant limit sends a joining
// client to the node with room, where it joins the same meeting; when that
// node shuts down, its client is sent to another node.
func TestFullNodeRedirects(t *testing.T) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	rs := redistest.Start(t)
	full := startNodeWith(t, rs, "f1", 1)
	spare := startNodeWith(t, rs, "f2", 0)
	third := startNodeWith(t, rs, "f3", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	p1 := full.dial(ctx, t, "placed", "p1")
	publish(ctx, t, p1)
	// The registry says who has room once every node has registered.
	waitFor(ctx, t, "three nodes registered", func() bool { return full.node.Stats().Nodes == 3 })
	p2 := full.dial(ctx, t, "placed", "p2")
	if p2.URL() == full.url {
		t.Fatalf("p2 joined the full node")
	}
	if p2.URL() != spare.url && p2.URL() != third.url {
		t.Fatalf("p2 joined at %s, not a node of the cluster", p2.URL())
	}
	publish(ctx, t, p2)
	pubs := []*bench.Client{p1, p2}
	for _, c := range pubs {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, pubs, 50) }); err != nil {
			t.Fatalf("after the redirect: %v; %s", err, describe(c, pubs))
		}
	}
	if full.sfu.Stats().Participants != 1 {
		t.Errorf("the full node holds %d participants, want 1", full.sfu.Stats().Participants)
	}

	// p2's node shuts down: p2 is sent to the other node with room (not
	// the full one, not itself).
	host, other := spare, third
	if p2.URL() == third.url {
		host, other = third, spare
	}
	host.shutdown(t)
	select {
	case <-p2.Done():
	case <-ctx.Done():
		t.Fatal("p2's session did not end when its node shut down")
	}
	to := p2.RedirectedTo()
	if !strings.Contains(other.url, strings.TrimPrefix(to, "http://")) || to == "" {
		t.Fatalf("p2 was sent to %q, want %s", to, other.url)
	}
}
