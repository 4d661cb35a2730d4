package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/internal/mediatest"
	"github.com/switchboard-rtc/switchboard/internal/redistest"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/cluster"
)

const loopback = "127.0.0.1"

// TestMain quiets go-redis's own logger, which prints every failed dial
// while a test holds Redis down.
func TestMain(m *testing.M) {
	redis.SetLogger(quietRedis{})
	os.Exit(m.Run())
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func testLogger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	if v := os.Getenv("SWITCHBOARD_TEST_LOG"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			t.Fatalf("SWITCHBOARD_TEST_LOG: %v", err)
		}
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// testNode is one server of a cluster: an SFU, its signaling and its node,
// in this process, with sockets of its own.
type testNode struct {
	id      string
	sfu     *sfu.SFU
	node    *cluster.Node
	url     string
	handler *signaling.Handler
}

// startNode starts a node of the cluster in rdb; cleanup stops it.
func startNode(t *testing.T, rs *redistest.Server, id string, opts ...sfu.Option) *testNode {
	t.Helper()
	return startNodeWith(t, rs, id, 0, opts...)
}

// startNodeWith is startNode for a node that takes at most max
// participants (0: no limit).
func startNodeWith(t *testing.T, rs *redistest.Server, id string, max int, opts ...sfu.Option) *testNode {
	t.Helper()
	log := testLogger(t).With("node", id)
	s, err := sfu.New(append([]sfu.Option{sfu.WithICEIPs([]string{loopback}), sfu.WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatalf("sfu.New: %v", err)
	}
	ln, err := net.Listen("tcp", loopback+":0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	n, err := cluster.New(rdb, s, cluster.WithNodeID(id), cluster.WithSecret("test-secret"), cluster.WithLogger(log),
		cluster.WithAdvertiseURL(base), cluster.WithMaxParticipants(max))
	if err != nil {
		t.Fatalf("cluster.New: %v", err)
	}
	n.Start()
	h := signaling.NewHandler(s, signaling.WithLogger(log), signaling.WithCluster(n), signaling.WithMaxNodeParticipants(max))
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	tn := &testNode{id: id, sfu: s, node: n, url: "ws" + strings.TrimPrefix(base, "http") + "/ws", handler: h}
	t.Cleanup(func() {
		tn.shutdown(t)
		srv.Close()
		if err := n.Close(); err != nil {
			t.Logf("%s: node close: %v", id, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("%s: sfu close: %v", id, err)
		}
		_ = rdb.Close()
	})
	return tn
}

// shutdown is the node's graceful stop, as on SIGTERM: its clients are
// sent elsewhere.
func (n *testNode) shutdown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.handler.Shutdown(ctx); err != nil {
		t.Errorf("%s: handler shutdown: %v", n.id, err)
	}
}

// twoNodes starts two nodes, s1 and s2, on a Redis of their own (returned
// too), checks when the test ends that nothing was left running, and
// bounds the test at 60 s with the context it returns.
func twoNodes(t *testing.T) (context.Context, *testNode, *testNode, *redistest.Server) {
	t.Helper()
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	rs := redistest.Start(t)
	n1 := startNode(t, rs, "s1")
	n2 := startNode(t, rs, "s2")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx, n1, n2, rs
}

func (n *testNode) dial(ctx context.Context, t *testing.T, room, name string, opts ...bench.Option) *bench.Client {
	t.Helper()
	base := []bench.Option{
		bench.WithName(name),
		bench.WithICEIPs([]string{loopback}),
		bench.WithLogger(testLogger(t).With("side", "client", "name", name)),
	}
	c, err := bench.Dial(ctx, n.url, room, append(base, opts...)...)
	if err != nil {
		t.Fatalf("dial %s on %s: %v", name, n.id, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func publish(ctx context.Context, t *testing.T, c *bench.Client) {
	t.Helper()
	a, err := bench.NewSyntheticAudio()
	if err != nil {
		t.Fatal(err)
	}
	v, err := bench.NewSyntheticVideo()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, a, v); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

// The media checks are internal/mediatest's, shared with signaling's tests.
var (
	trackFrom       = mediatest.TrackFrom
	receivedFromAll = mediatest.ReceivedFromAll
	describe        = mediatest.Describe
)

// TestRoomAcrossThreeNodes: one publisher on each of three nodes sharing
// one Redis; each receives the other two's audio and video, intact, and
// each node relays each of its tracks once to each other node. With a port
// per connection, and with each node's media on one UDP port (the
// default): there the two relay ends between a pair of nodes must not
// share one 5-tuple (sfu.SFU.relayAPI).
func TestRoomAcrossThreeNodes(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []sfu.Option
	}{
		{"a port per connection", nil},
		{"one UDP port per node", []sfu.Option{sfu.WithUDPMux(0), sfu.WithSendBatching(true)}},
	} {
		t.Run(mode.name, func(t *testing.T) { roomAcrossThreeNodes(t, mode.opts...) })
	}
}

func roomAcrossThreeNodes(t *testing.T, opts ...sfu.Option) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	rs := redistest.Start(t)
	nodes := []*testNode{startNode(t, rs, "n1", opts...), startNode(t, rs, "n2", opts...), startNode(t, rs, "n3", opts...)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var clients []*bench.Client
	for i, n := range nodes {
		c := n.dial(ctx, t, "spans", fmt.Sprintf("p%d", i+1))
		publish(ctx, t, c)
		clients = append(clients, c)
	}
	for _, c := range clients {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, clients, 100) }); err != nil {
			t.Fatalf("waiting for media: %v; %s", err, describe(c, clients))
		}
	}
	for _, c := range clients {
		for _, r := range c.RemoteTracks() {
			if r.ParticipantID == c.ID() {
				t.Errorf("%s receives its own track", c.ID())
			}
			if s := r.Stats(); s.PayloadErrors > 0 {
				t.Errorf("%s: %d payload errors from %s", c.ID(), s.PayloadErrors, r.ParticipantID)
			}
		}
	}
	for _, n := range nodes {
		st := n.sfu.Stats()
		// Each node: its own participant, and the other two's tracks
		// relayed in; two relay ends per peer.
		if st.Participants != 1 {
			t.Errorf("%s: %d participants here, want 1", n.id, st.Participants)
		}
		if st.Tracks != 6 {
			t.Errorf("%s: %d tracks, want 2 own + 4 relayed", n.id, st.Tracks)
		}
		if got := n.node.Stats().RelayEnds; got != 4 {
			t.Errorf("%s: %d relay ends, want 4", n.id, got)
		}
		if got := n.node.Stats().Nodes; got != 3 {
			t.Errorf("%s: %d nodes seen, want 3", n.id, got)
		}
	}
}

// participantsOf lists the ids c sees in the room.
func participantsOf(c *bench.Client) map[string]bool {
	out := make(map[string]bool)
	for _, p := range c.Participants() {
		out[p.ID] = true
	}
	return out
}

// TestLateJoinerAndLeaveAcrossNodes: a subscriber that joins on a third
// node after two publishers on two others gets a picture (a keyframe) of
// each; a mute reaches it across the relay; a publisher that leaves is gone
// from every node's view, and its node's relays close once it has nobody
// left in the room.
func TestLateJoinerAndLeaveAcrossNodes(t *testing.T) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	rs := redistest.Start(t)
	n1, n2, n3 := startNode(t, rs, "a1"), startNode(t, rs, "a2"), startNode(t, rs, "a3")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	p1 := n1.dial(ctx, t, "late", "p1")
	publish(ctx, t, p1)
	p2 := n2.dial(ctx, t, "late", "p2")
	publish(ctx, t, p2)
	pubs := []*bench.Client{p1, p2}
	for _, c := range pubs {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, pubs, 50) }); err != nil {
			t.Fatalf("publishers: %v; %s", err, describe(c, pubs))
		}
	}
	late := n3.dial(ctx, t, "late", "late")
	err := late.WaitUntil(ctx, func() bool {
		for _, p := range pubs {
			v := trackFrom(late, p.ID(), "video")
			if v == nil || v.Stats().Keyframes < 1 || v.Stats().Distinct < 50 {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Fatalf("late joiner: %v; %s", err, describe(late, pubs))
	}

	// p1 mutes its microphone: the late joiner, two nodes away, is told.
	if err := p1.SetMuted("microphone", true); err != nil {
		t.Fatal(err)
	}
	if err := late.WaitUntil(ctx, func() bool {
		a := trackFrom(late, p1.ID(), "audio")
		return a != nil && late.TrackMuted(a.ID)
	}); err != nil {
		t.Fatalf("the late joiner did not hear of p1's mute: %v", err)
	}

	if err := p1.Close(); err != nil {
		t.Logf("closing p1: %v", err)
	}
	for _, c := range []*bench.Client{p2, late} {
		if err := c.WaitUntil(ctx, func() bool { return !participantsOf(c)[p1.ID()] }); err != nil {
			t.Fatalf("%s still sees p1 after it left: %v", c.ID(), err)
		}
	}
	// a1 has nobody in the room any more: no relay ends there, and none
	// towards it elsewhere.
	waitFor(ctx, t, "a1's relays closed", func() bool { return n1.node.Stats().RelayEnds == 0 })
	// Between a2 and a3: each has its egress end; only a3 has an ingress
	// end, since the late joiner on a3 publishes nothing (an egress end
	// offers once it has a track to send).
	waitFor(ctx, t, "a2 and a3 relaying only between themselves", func() bool {
		return n2.node.Stats().RelayEnds == 1 && n3.node.Stats().RelayEnds == 2
	})
	// p2's media still reaches the late joiner.
	before := trackFrom(late, p2.ID(), "audio").Stats().Distinct
	if err := late.WaitUntil(ctx, func() bool { return trackFrom(late, p2.ID(), "audio").Stats().Distinct > before+25 }); err != nil {
		t.Fatalf("p2's audio stopped reaching the late joiner: %v", err)
	}
}

// waitFor polls cond every 20 ms until it holds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// TestRedisRestartMidMeeting: Redis killed for 5 s and started again,
// empty: media between two nodes never stops, a join meanwhile is refused
// with "unavailable", and a participant who joins afterwards sees everyone.
func TestRedisRestartMidMeeting(t *testing.T) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	rs := redistest.Start(t)
	n1, n2 := startNode(t, rs, "r1"), startNode(t, rs, "r2")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	p1 := n1.dial(ctx, t, "outage", "p1")
	publish(ctx, t, p1)
	p2 := n2.dial(ctx, t, "outage", "p2")
	publish(ctx, t, p2)
	pubs := []*bench.Client{p1, p2}
	for _, c := range pubs {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, pubs, 50) }); err != nil {
			t.Fatalf("before the outage: %v; %s", err, describe(c, pubs))
		}
	}

	rs.Kill()
	outage := time.Now()
	// Media keeps flowing both ways through the outage: every second, each
	// receives more of the other's audio (50 packets a second).
	for time.Since(outage) < 5*time.Second {
		for _, c := range pubs {
			other := p1
			if c == p1 {
				other = p2
			}
			a := trackFrom(c, other.ID(), "audio")
			before := a.Stats().Distinct
			if err := c.WaitUntil(ctx, func() bool { return a.Stats().Distinct >= before+10 }); err != nil {
				t.Fatalf("%s: audio from %s stopped during the outage: %v", c.ID(), other.ID(), err)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A join while Redis is away is refused, clearly.
	_, err := bench.Dial(ctx, n2.url, "outage", bench.WithName("refused"), bench.WithICEIPs([]string{loopback}),
		bench.WithLogger(testLogger(t)))
	if err == nil || !strings.Contains(err.Error(), "unavailable") {
		t.Fatalf("join during the outage: %v, want an unavailable error", err)
	}
	rs.Restart()

	// After the restart, a newcomer on a node sees both, and gets media
	// from both.
	late := n2.dial(ctx, t, "outage", "late")
	if err := late.WaitUntil(ctx, func() bool { return receivedFromAll(late, pubs, 50) }); err != nil {
		t.Fatalf("after the restart: %v; %s", err, describe(late, pubs))
	}
	// Nobody left or joined again in anyone's view.
	for _, c := range pubs {
		if n := c.Received("participant-left"); n != 0 {
			t.Errorf("%s saw %d leaves", c.ID(), n)
		}
	}
}

// TestOneRelayPerNodePair: two rooms that span the same two nodes share
// one relay (an egress and an ingress end a node), and media flows in both;
// when one room empties on a node, the relay goes on carrying the other.
func TestOneRelayPerNodePair(t *testing.T) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	rs := redistest.Start(t)
	n1, n2 := startNode(t, rs, "m1"), startNode(t, rs, "m2")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var pairs [][]*bench.Client
	for _, room := range []string{"one", "two"} {
		a := n1.dial(ctx, t, room, room+"-a")
		publish(ctx, t, a)
		b := n2.dial(ctx, t, room, room+"-b")
		publish(ctx, t, b)
		pairs = append(pairs, []*bench.Client{a, b})
	}
	for _, pair := range pairs {
		for _, c := range pair {
			if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, pair, 50) }); err != nil {
				t.Fatalf("%v; %s", err, describe(c, pair))
			}
		}
	}
	for _, n := range []*testNode{n1, n2} {
		if got := n.node.Stats().RelayEnds; got != 2 {
			t.Errorf("%s: %d relay ends for two rooms with one other node, want 2", n.id, got)
		}
		if st := n.sfu.Stats(); st.RelayStreamsOut != 4 || st.RelayStreamsIn != 4 {
			t.Errorf("%s: relay streams out %d, in %d; want 4 and 4 (audio and video of a publisher a room)", n.id, st.RelayStreamsOut, st.RelayStreamsIn)
		}
	}
	// Room one empties on m2: the relay still carries room two.
	if err := pairs[0][1].Close(); err != nil {
		t.Logf("closing: %v", err)
	}
	a, b := pairs[1][0], pairs[1][1]
	before := trackFrom(a, b.ID(), "audio").Stats().Distinct
	if err := a.WaitUntil(ctx, func() bool { return trackFrom(a, b.ID(), "audio").Stats().Distinct > before+50 }); err != nil {
		t.Fatalf("room two stopped when room one emptied on m2: %v", err)
	}
	waitFor(ctx, t, "m1 relays only room two's tracks", func() bool {
		st := n1.sfu.Stats()
		return st.RelayStreamsOut == 2 && n1.node.Stats().RelayEnds == 2
	})
}
