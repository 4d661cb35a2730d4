package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/internal/redistest"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/cluster"
)

const loopback = "127.0.0.1"

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
	id   string
	sfu  *sfu.SFU
	node *cluster.Node
	url  string
}

// startNode starts a node of the cluster in rdb; cleanup stops it.
func startNode(t *testing.T, rs *redistest.Server, id string) *testNode {
	t.Helper()
	log := testLogger(t).With("node", id)
	s, err := sfu.New(sfu.WithICEIPs([]string{loopback}), sfu.WithLogger(log))
	if err != nil {
		t.Fatalf("sfu.New: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	n, err := cluster.New(rdb, s, cluster.WithNodeID(id), cluster.WithSecret("test-secret"), cluster.WithLogger(log))
	if err != nil {
		t.Fatalf("cluster.New: %v", err)
	}
	n.Start()
	h := signaling.NewHandler(s, signaling.WithLogger(log), signaling.WithCluster(n))
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("%s: handler shutdown: %v", id, err)
		}
		srv.Close()
		if err := n.Close(); err != nil {
			t.Logf("%s: node close: %v", id, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("%s: sfu close: %v", id, err)
		}
		_ = rdb.Close()
	})
	return &testNode{id: id, sfu: s, node: n, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
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

func trackFrom(c *bench.Client, participant, kind string) *bench.RemoteTrack {
	var found *bench.RemoteTrack
	for _, r := range c.RemoteTracksFrom(participant) {
		if r.Kind.String() == kind {
			found = r
		}
	}
	return found
}

// receivedFromAll reports whether c got n distinct audio and video packets
// from every other client in from.
func receivedFromAll(c *bench.Client, from []*bench.Client, n uint64) bool {
	for _, p := range from {
		if p == c {
			continue
		}
		for _, kind := range []string{"audio", "video"} {
			r := trackFrom(c, p.ID(), kind)
			if r == nil || r.Stats().Distinct < n {
				return false
			}
		}
	}
	return true
}

func describe(c *bench.Client, from []*bench.Client) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s):", c.ID(), c.ConnectionState())
	for _, p := range from {
		if p == c {
			continue
		}
		for _, kind := range []string{"audio", "video"} {
			r := trackFrom(c, p.ID(), kind)
			if r == nil {
				fmt.Fprintf(&b, " [%s/%s: none]", p.ID(), kind)
				continue
			}
			s := r.Stats()
			fmt.Fprintf(&b, " [%s/%s: %d distinct, %d missing, %d errors, %d keyframes]",
				p.ID(), kind, s.Distinct, s.Missing(), s.PayloadErrors, s.Keyframes)
		}
	}
	return b.String()
}

// TestRoomAcrossThreeNodes: one publisher on each of three nodes sharing
// one Redis; each receives the other two's audio and video, intact, and
// each node relays each of its tracks once to each other node.
func TestRoomAcrossThreeNodes(t *testing.T) {
	existing := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, existing) })
	rs := redistest.Start(t)
	nodes := []*testNode{startNode(t, rs, "n1"), startNode(t, rs, "n2"), startNode(t, rs, "n3")}
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
		if got := n.node.RelayEnds(); got != 4 {
			t.Errorf("%s: %d relay ends, want 4", n.id, got)
		}
		if got := n.node.NodesSeen(); got != 3 {
			t.Errorf("%s: %d nodes seen, want 3", n.id, got)
		}
	}
}
