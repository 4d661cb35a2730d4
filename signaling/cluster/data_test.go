package cluster_test

import (
	"testing"

	"github.com/switchboard-rtc/switchboard/bench"
)

// TestDataAcrossNodes: a data message published on one node reaches the
// room's participants on the other, on their data channel or, for a client
// without one, on the signaling socket, with the sender the first node
// stamped; one for a single identity reaches that one alone. Attribute
// changes reach the other node, and a late joiner there reads them.
func TestDataAcrossNodes(t *testing.T) {
	ctx, n1, n2, _ := twoNodes(t)

	alice := n1.dial(ctx, t, "chat", "alice", bench.WithDataChannels())
	bob := n2.dial(ctx, t, "chat", "bob", bench.WithDataChannels())
	carol := n2.dial(ctx, t, "chat", "carol") // no data channel: the signaling fallback
	for _, c := range []*bench.Client{alice, bob, carol} {
		waitFor(ctx, t, c.ID()+" seeing the two others", func() bool {
			ps := c.Participants()
			for _, p := range ps {
				if p.Identity != p.ID { // no API keys: the identity is the id, across nodes too
					return false
				}
			}
			return len(ps) == 2
		})
	}
	waitFor(ctx, t, "the data channels", func() bool { return alice.DataChannelsOpen() && bob.DataChannelsOpen() })
	// The server's ends too (they open when its SCTP association is up):
	// this test checks that the channel carries what crosses the nodes.
	waitFor(ctx, t, "the servers' data channels", func() bool {
		open := 0
		for _, n := range []*testNode{n1, n2} {
			for _, p := range n.sfu.Participants() {
				if p.DataChannels {
					open++
				}
			}
		}
		return open == 2
	})

	if err := alice.PublishData([]byte("to bob"), "dm", true, bob.Identity()); err != nil {
		t.Fatal(err)
	}
	if err := alice.PublishData([]byte("hello"), "chat", true); err != nil {
		t.Fatal(err)
	}
	if err := bob.PublishData([]byte("hi alice"), "chat", true); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "bob's two messages", func() bool { return len(bob.Data()) == 2 })
	waitFor(ctx, t, "carol's message", func() bool { return len(carol.Data()) == 2 }) // hello from alice, hi alice from bob
	waitFor(ctx, t, "alice's message", func() bool { return len(alice.Data()) == 1 })

	check := func(who string, got bench.ReceivedData, from *bench.Client, text string, onChannel bool) {
		t.Helper()
		if string(got.Payload) != text || got.Identity != from.Identity() || got.ParticipantID != from.ID() || got.OnChannel != onChannel {
			t.Errorf("%s got %q from %s (%s) on the channel %v; want %q from %s, on the channel %v",
				who, got.Payload, got.Identity, got.ParticipantID, got.OnChannel, text, from.ID(), onChannel)
		}
	}
	b := bob.Data()
	check("bob", b[0], alice, "to bob", true)
	check("bob", b[1], alice, "hello", true)
	// Carol's two come from two senders on two nodes: in either order.
	c := carol.Data()
	if string(c[0].Payload) == "hi alice" {
		c[0], c[1] = c[1], c[0]
	}
	check("carol", c[0], alice, "hello", false)
	check("carol", c[1], bob, "hi alice", false)
	check("alice", alice.Data()[0], bob, "hi alice", true)

	// Attributes cross too: Alice's hand shows at Bob's and Carol's, and a
	// late joiner on the other node finds it in joined.
	if err := alice.SetAttributes(map[string]string{"hand": "1"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*bench.Client{bob, carol} {
		waitFor(ctx, t, c.ID()+" seeing alice's hand", func() bool { return c.Attributes(alice.ID())["hand"] == "1" })
	}
	dave := n2.dial(ctx, t, "chat", "dave")
	waitFor(ctx, t, "dave seeing the room", func() bool { return len(dave.Participants()) == 3 })
	if got := dave.Attributes(alice.ID()); got["hand"] != "1" {
		t.Errorf("dave, joining on the other node, sees alice's attributes %v", got)
	}
	if err := alice.SetAttributes(map[string]string{"hand": ""}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "dave seeing the hand down", func() bool { _, up := dave.Attributes(alice.ID())["hand"]; return !up })

	for _, n := range []*testNode{n1, n2} {
		if r := n.node.Stats().MessagesRejected; r != 0 {
			t.Errorf("%s refused %d cluster messages", n.id, r)
		}
	}
}
