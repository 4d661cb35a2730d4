package signaling_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// connGrabber keeps the TCP connection under a client's WebSocket so a
// test can cut it the way a killed tab does: no leave, no close frame.
type connGrabber struct {
	mu   sync.Mutex
	conn net.Conn
}

func (g *connGrabber) dialer() *websocket.Dialer {
	return &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		g.mu.Lock()
		g.conn = c
		g.mu.Unlock()
		return c, err
	}}
}

func (g *connGrabber) cut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conn != nil {
		_ = g.conn.Close()
	}
}

// TestVanishedParticipantIsRemoved: a participant that disappears without
// saying goodbye is gone from everyone's view within seconds.
func TestVanishedParticipantIsRemoved(t *testing.T) {
	tests := []struct {
		name   string
		vanish func(c *bench.Client, g *connGrabber)
	}{
		{"signaling connection cut", func(_ *bench.Client, g *connGrabber) { g.cut() }},
		{"media connection gone", func(c *bench.Client, _ *connGrabber) { _ = c.PeerConnection().Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			srv := newServer(t, sfu.WithICETimeouts(time.Second, 2*time.Second))
			stayer := srv.dial(ctx, t, "vanish", "stayer")
			if _, err := publish(ctx, stayer); err != nil {
				t.Fatal(err)
			}
			g := &connGrabber{}
			ghost := srv.dial(ctx, t, "vanish", "ghost", bench.WithDialer(g.dialer()))
			if _, err := publish(ctx, ghost); err != nil {
				t.Fatal(err)
			}
			clients := []*bench.Client{stayer, ghost}
			if err := stayer.WaitUntil(ctx, func() bool { return receivedFromAll(stayer, clients, 20) }); err != nil {
				t.Fatalf("no media before vanishing: %v; %s", err, describe(stayer, clients))
			}
			gone := ghost.ID()
			start := time.Now()
			tt.vanish(ghost, g)
			err := stayer.WaitUntil(ctx, func() bool {
				if stayer.Received(protocol.TypeParticipantLeft) == 0 {
					return false
				}
				for _, r := range stayer.RemoteTracksFrom(gone) {
					if !r.Ended() {
						return false
					}
				}
				return srv.sfu.Stats().Participants == 1 && srv.sfu.Stats().Tracks == 2
			})
			if err != nil {
				t.Fatalf("ghost still present: %v; stats %+v", err, srv.sfu.Stats())
			}
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("removal took %v", d)
			}
			t.Logf("removed after %v", time.Since(start).Round(10*time.Millisecond))
		})
	}
}
