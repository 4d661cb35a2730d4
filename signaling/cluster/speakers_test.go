package cluster_test

import (
	"testing"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// TestSpeakersAcrossNodes: the talker is on one node, a silent participant
// on each node. Every client, on either node, has the talker first, named
// by its own participant id: the far node decides from the relayed audio.
func TestSpeakersAcrossNodes(t *testing.T) {
	ctx, n1, n2, _ := twoNodes(t)

	talker := n1.dial(ctx, t, "speak", "talker")
	near := n1.dial(ctx, t, "speak", "near")
	far := n2.dial(ctx, t, "speak", "far")
	for _, c := range []struct {
		c     *bench.Client
		level int
	}{{near, 127}, {far, 127}, {talker, 20}} {
		a, err := bench.NewSyntheticAudio(bench.WithAudioLevel(c.level))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.c.Publish(ctx, a); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	for _, c := range []*bench.Client{talker, near, far} {
		err := c.WaitUntil(ctx, func() bool {
			l := c.Speakers()
			return len(l) == 1 && l[0].ParticipantID == talker.ID()
		})
		if err != nil {
			t.Fatalf("%s: speakers %v, want only the talker %s: %v", c.ID(), c.Speakers(), talker.ID(), err)
		}
		t.Logf("%s: %v after %d speakers messages", c.ID(), c.Speakers(), c.Received(protocol.TypeSpeakers))
	}
}
