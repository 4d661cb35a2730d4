package signaling_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/transport/v5/vnet"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// newResumeServer is newServer with resume on: a dropped session is held
// for window; at most held of them at once.
func newResumeServer(t *testing.T, window time.Duration, held int, opts ...signaling.Option) (*testServer, *signaling.Handler) {
	t.Helper()
	log := testLogger(t).With("side", "server")
	s, err := sfu.New(sfu.WithICEIPs([]string{loopback}), sfu.WithLogger(log))
	if err != nil {
		t.Fatalf("sfu.New: %v", err)
	}
	h := signaling.NewHandler(s, append([]signaling.Option{signaling.WithLogger(log),
		signaling.WithResumeWindow(window), signaling.WithMaxPendingResumes(held)}, opts...)...)
	return serve(t, h, s), h
}

// waitFor polls cond every 10 ms until it holds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// distinct is what c received from p's track of kind so far.
func distinct(c, p *bench.Client, kind string) uint64 {
	if r := trackFrom(c, p.ID(), kind); r != nil {
		return r.Stats().Distinct
	}
	return 0
}

// TestResumeAfterCut: a participant's WebSocket is cut (no leave, no close
// frame) and resumed on a new one: the others see nobody leave or join, its
// media keeps flowing both ways, and it gets joined again with the same id,
// resumed, and a fresh token.
func TestResumeAfterCut(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv, h := newResumeServer(t, 20*time.Second, 16)
	clients := srv.meeting(ctx, t, "resume", 20, "mover", "stayer")
	mover, stayer := clients[0], clients[1]
	id, token := mover.ID(), mover.ResumeToken()
	if token == "" {
		t.Fatal("joined carried no resume token")
	}
	left, joined := stayer.Received(protocol.TypeParticipantLeft), stayer.Received(protocol.TypeParticipantJoined)

	mover.Cut()
	waitFor(ctx, t, "the server to hold the dropped session", func() bool { return h.PendingResumes() == 1 })
	// Held, the mover's PeerConnection still sends: the stayer keeps
	// receiving while the mover has no signaling at all.
	before := distinct(stayer, mover, "video")
	waitFor(ctx, t, "media from the held participant", func() bool { return distinct(stayer, mover, "video") > before+30 })

	start := time.Now()
	j, err := mover.Resume(ctx)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	t.Logf("resumed in %v", time.Since(start).Round(time.Millisecond))
	if !j.Resumed || j.ParticipantID != id || j.ResumeToken == "" || j.ResumeToken == token {
		t.Fatalf("joined after resume: resumed %v, id %q (was %q), token renewed %v", j.Resumed, j.ParticipantID, id, j.ResumeToken != token)
	}
	if len(j.Participants) != 1 || j.Participants[0].ID != stayer.ID() || len(j.Participants[0].Tracks) != 2 {
		t.Errorf("joined after resume lists %+v, want the stayer and its two tracks", j.Participants)
	}
	if n := h.PendingResumes(); n != 0 {
		t.Errorf("%d sessions still held after the resume", n)
	}
	// Media both ways after the resume and its renegotiation (50 packets
	// of each: over a second of video at 30 fps, with margin for a loaded
	// machine in the timeout).
	fromStayer := [2]uint64{distinct(mover, stayer, "audio"), distinct(mover, stayer, "video")}
	fromMover := distinct(stayer, mover, "video")
	waitFor(ctx, t, "media both ways after the resume", func() bool {
		return distinct(mover, stayer, "audio") > fromStayer[0]+50 && distinct(mover, stayer, "video") > fromStayer[1]+50 &&
			distinct(stayer, mover, "video") > fromMover+50 && mover.Received(protocol.TypeOffer) > 0
	})
	if mover.ConnectionState().String() != "connected" {
		t.Errorf("mover's PeerConnection is %v", mover.ConnectionState())
	}
	if l, jn := stayer.Received(protocol.TypeParticipantLeft), stayer.Received(protocol.TypeParticipantJoined); l != left || jn != joined {
		t.Errorf("the stayer saw %d leaves and %d joins during the resume", l-left, jn-joined)
	}
	if st := srv.sfu.Stats(); st.Participants != 2 || st.Tracks != 4 {
		t.Errorf("server stats after resume: %+v", st)
	}
	checkIntact(t, mover)
	checkIntact(t, stayer)
}

// dialRaw opens a bare WebSocket to the server, whose TCP connection the
// caller may cut.
func dialRaw(ctx context.Context, t *testing.T, url string) (*websocket.Conn, net.Conn) {
	t.Helper()
	g := &connGrabber{}
	ws, _, err := g.dialer().DialContext(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return ws, g.conn
}

// rawJoin sends join and returns the server's first answer.
func rawJoin(t *testing.T, ws *websocket.Conn, j protocol.Join) any {
	t.Helper()
	j.Type, j.Version = protocol.TypeJoin, protocol.Version
	if j.Name == "" {
		j.Name = "raw"
	}
	if err := ws.WriteJSON(j); err != nil {
		t.Fatalf("send join: %v", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(testTimeout))
	_, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	msg, err := protocol.DecodeServer(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return msg
}

// TestResumeRefused: a token that resumes nothing gets resume-failed, not
// fatal: the client then joins afresh on the same connection.
func TestResumeRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	const window = 500 * time.Millisecond
	srv, h := newResumeServer(t, window, 16)

	// held drops a fresh session without a word and returns its token.
	held := func(room string) (string, string) {
		ws, conn := dialRaw(ctx, t, srv.url)
		j, ok := rawJoin(t, ws, protocol.Join{Room: room}).(*protocol.Joined)
		if !ok || j.ResumeToken == "" {
			t.Fatalf("no joined with a resume token")
		}
		_ = conn.Close()
		return j.ParticipantID, j.ResumeToken
	}
	tests := []struct {
		name  string
		token func(t *testing.T) (room, token string)
	}{
		{"wrong", func(*testing.T) (string, string) {
			return "refused", strings.Repeat("A", 52)
		}},
		{"another room's", func(*testing.T) (string, string) {
			_, token := held("refused-a")
			return "refused-b", token
		}},
		{"replayed", func(t *testing.T) (string, string) {
			_, token := held("refused-c")
			ws, _ := dialRaw(ctx, t, srv.url)
			if j, ok := rawJoin(t, ws, protocol.Join{Room: "refused-c", Resume: token}).(*protocol.Joined); !ok || !j.Resumed {
				t.Fatalf("first use of the token did not resume")
			}
			confirmResume(t, ws)
			return "refused-c", token
		}},
		{"expired", func(t *testing.T) (string, string) {
			id, token := held("refused-d")
			waitFor(ctx, t, "the held session to expire", func() bool {
				for _, p := range srv.sfu.Participants() {
					if p.ID == id {
						return false
					}
				}
				return true
			})
			return "refused-d", token
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			room, token := tt.token(t)
			ws, _ := dialRaw(ctx, t, srv.url)
			e, ok := rawJoin(t, ws, protocol.Join{Room: room, Resume: token}).(*protocol.Error)
			if !ok || e.Code != protocol.CodeResumeFailed || e.Fatal {
				t.Fatalf("resume with a %s token: got %+v, want a non-fatal %s", tt.name, e, protocol.CodeResumeFailed)
			}
			// The same connection joins afresh.
			if _, ok := rawJoin(t, ws, protocol.Join{Room: room}).(*protocol.Joined); !ok {
				t.Fatalf("no fresh join after the refusal")
			}
		})
	}
	if n := h.PendingResumes(); n > 2 {
		t.Errorf("%d sessions held at the end, want at most the two dropped ones", n)
	}
}

// confirmResume sends a message on a resumed connection, which shows the
// server that the client read its joined (and the next token), and waits
// for the server's answer to it.
func confirmResume(t *testing.T, ws *websocket.Conn) {
	t.Helper()
	if err := ws.WriteJSON(protocol.Mute{Type: protocol.TypeMute, Mid: "none", Muted: true}); err != nil {
		t.Fatalf("send: %v", err)
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if msg, err := protocol.DecodeServer(data); err == nil {
			if _, ok := msg.(*protocol.Error); ok {
				return // the refusal of the mute: the server has read it
			}
		}
	}
}

// TestResumeAfterLostJoined: a resume whose joined is lost with its
// connection (cut again at once) leaves the client holding the token it
// used; that token resumes again, until the client sends something on a
// resumed connection, after which it is refused.
func TestResumeAfterLostJoined(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv, _ := newResumeServer(t, 10*time.Second, 16)
	ws, conn := dialRaw(ctx, t, srv.url)
	first, ok := rawJoin(t, ws, protocol.Join{Room: "lost"}).(*protocol.Joined)
	if !ok {
		t.Fatal("no joined")
	}
	_ = conn.Close()
	token := first.ResumeToken
	for try := range 2 { // the first joined is never read
		ws, conn := dialRaw(ctx, t, srv.url)
		j, ok := rawJoin(t, ws, protocol.Join{Room: "lost", Resume: token}).(*protocol.Joined)
		if !ok || !j.Resumed || j.ParticipantID != first.ParticipantID {
			t.Fatalf("try %d: the token did not resume", try)
		}
		if try == 1 {
			confirmResume(t, ws)
			break
		}
		_ = conn.Close()
	}
	ws, _ = dialRaw(ctx, t, srv.url)
	if e, ok := rawJoin(t, ws, protocol.Join{Room: "lost", Resume: token}).(*protocol.Error); !ok || e.Code != protocol.CodeResumeFailed {
		t.Fatalf("the used token once confirmed: got %+v, want %s", e, protocol.CodeResumeFailed)
	}
}

// TestResumeTableBounded: 1 000 sessions dropped at once are held no more
// than the table's bound; the others leave at once, the held ones when the
// window passes.
func TestResumeTableBounded(t *testing.T) {
	// 1 000 joins one after the other, each making a PeerConnection on the
	// server, under the race detector: 10 s alone, over 35 s at a load
	// average of 23 on 2 cores.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	const (
		sessions = 1000
		bound    = 100
		perRoom  = 10
		window   = 10 * time.Second // outlasts dropping 1 000 on a loaded machine
	)
	// The bare WebSockets never read, so never answer a ping: until its
	// first pong a joined session is bound by the join timeout, which must
	// outlast joining 1 000 on a loaded machine.
	srv, h := newResumeServer(t, window, bound, signaling.WithJoinTimeout(time.Minute))
	conns := make([]net.Conn, 0, sessions)
	joining := time.Now()
	for i := range sessions {
		ws, conn := dialRaw(ctx, t, srv.url)
		if _, ok := rawJoin(t, ws, protocol.Join{Room: fmt.Sprintf("flood-%d", i/perRoom)}).(*protocol.Joined); !ok {
			t.Fatalf("session %d: no joined", i)
		}
		conns = append(conns, conn)
	}
	if n := srv.sfu.Stats().Participants; n != sessions {
		t.Fatalf("%d participants, want %d", n, sessions)
	}
	t.Logf("%d joined in %v", sessions, time.Since(joining).Round(time.Millisecond))
	for _, c := range conns {
		_ = c.Close()
	}
	cut := time.Now()
	waitFor(ctx, t, "the bound's worth held, the rest gone", func() bool {
		if n := h.PendingResumes(); n > bound {
			t.Fatalf("%d sessions held, over the bound %d", n, bound)
		}
		return h.PendingResumes() == bound && srv.sfu.Stats().Participants == bound
	})
	bounded := time.Since(cut)
	waitFor(ctx, t, "the held sessions to expire", func() bool {
		return h.PendingResumes() == 0 && srv.sfu.Stats().Participants == 0 && srv.sfu.Stats().Rooms == 0
	})
	t.Logf("%d dropped: %d held and the rest gone %v after the cut, all gone %v after it (window %v)",
		sessions, bound, bounded.Round(time.Millisecond), time.Since(cut).Round(time.Millisecond), window)
}

// TestICERestartAfterAddressChange: a client's network changes under it
// (its old address goes dark, a new one comes up, as from Wi-Fi to a
// hotspot); its ICE restart over the live signaling (a new offer with a
// new ufrag and password, answered by the server) brings media back both
// ways on the new address.
func TestICERestartAfterAddressChange(t *testing.T) {
	checkLeaks(t)
	in := newInternet(t)
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	const oldIP, newIP = "198.51.100.60", "198.51.100.61"
	roam := newRoamingNet(in.openClient(t, oldIP))
	var cut atomic.Bool
	var dropped atomic.Int64
	in.wan.AddChunkFilter(func(c vnet.Chunk) bool {
		if cut.Load() && (strings.HasPrefix(c.SourceAddr().String(), oldIP+":") || strings.HasPrefix(c.DestinationAddr().String(), oldIP+":")) {
			dropped.Add(1)
			return false
		}
		return true
	})
	mover := in.dial(ctx, t, "roam", "mover", nil, bench.WithNet(roam))
	stayer := in.dial(ctx, t, "roam", "stayer", in.openClient(t, "198.51.100.50"))
	all := []*bench.Client{mover, stayer}
	publishAll(ctx, t, all)

	// The old address goes dark; the new one is there for what opens next.
	roam.moveTo(in.openClient(t, newIP))
	cut.Store(true)
	start := time.Now()
	if err := mover.RestartICE(ctx); err != nil {
		t.Fatalf("ICE restart: %v", err)
	}
	fromStayer, fromMover := distinct(mover, stayer, "video"), distinct(stayer, mover, "video")
	// 30 more packets of video each way: a second of it at 30 fps.
	err := mover.WaitUntil(ctx, func() bool {
		return distinct(mover, stayer, "video") > fromStayer+30 && distinct(stayer, mover, "video") > fromMover+30
	})
	if err != nil {
		t.Fatalf("no media after the ICE restart: %v; %s", err, describe(mover, all))
	}
	back := time.Since(start)
	pair := nominatedPair(ctx, t, mover)
	if pair.Local.Address == oldIP || dropped.Load() == 0 {
		t.Fatalf("mover's path %s, %d packets dropped on the old address: the test does not test what it says", pair, dropped.Load())
	}
	t.Logf("media back both ways %v after the ICE restart (30 video packets each way), on %s; %d packets to or from the old address dropped",
		back.Round(time.Millisecond), pair, dropped.Load())
	// The issue asks for media back within 3 s of the network returning;
	// the margin over it is for a loaded 2-core machine.
	if back > 6*time.Second {
		t.Errorf("media back only %v after the ICE restart, want within 3 s (6 s with margin)", back)
	}
	for _, c := range all {
		checkIntact(t, c)
	}
}
