package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/internal/mediatest"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// The SIGTERM test's participants: a media room of Pion clients (two
// publishers sending Opus and VP8, eight subscribers) and signaling-only
// clients, ten to a room, for the rest of the hundred: what a shutdown owes
// each is the same bye, and Pion clients cost a 2-core CI machine more.
const (
	sigtermPublishers   = 2
	sigtermSubscribers  = 8
	sigtermSignaling    = 90
	sigtermRoomSize     = 10
	sigtermMinPackets   = 50 // per track, before the SIGTERM and after the restart
	sigtermExitDeadline = shutdownGrace
)

// serverPanicked matches what the Go runtime and the race detector write
// when something goes wrong: a panic, a fatal error, a data race.
var serverPanicked = regexp.MustCompile(`(?m)^(panic: |fatal error: |WARNING: DATA RACE|goroutine \d+ \[running\]:)`)

// TestSIGTERMWith100Participants: a server process with 100 participants
// connected, ten of them sending or receiving media, gets SIGTERM. Every
// client is told bye, the process exits 0 within shutdownGrace (5 s)
// without a panic or a race on its stderr, and a server started again on
// the same HTTP and UDP ports takes every client that dials again: all
// join, and media flows again from each publisher to each subscriber.
func TestSIGTERMWith100Participants(t *testing.T) {
	began := time.Now()
	udpPort := freePort(t) // the server binds it for UDP alone
	args := []string{
		"--udp-port", strconv.Itoa(udpPort), "--max-participants", "100",
		// Every client dials from 127.0.0.1: no per-address limits.
		"--max-connections-per-ip", "0", "--joins-per-ip", "0",
	}
	first := startServerProcess(t, args...)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	pubs, subs := connectMediaRoom(ctx, t, first.wsURL())
	sig := connectSignalingOnly(ctx, t, first.wsURL())
	connected := time.Since(began)

	signalled := time.Now()
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-exited:
	case <-time.After(3 * sigtermExitDeadline):
		t.Fatalf("the server process still runs %v after SIGTERM", 3*sigtermExitDeadline)
	}
	exitTook := time.Since(signalled)
	if waitErr != nil {
		t.Errorf("the server process exited with %v, want 0", waitErr)
	}
	if exitTook > sigtermExitDeadline {
		t.Errorf("the server process exited %v after SIGTERM, want within %v", exitTook, sigtermExitDeadline)
	}
	if m := serverPanicked.FindString(first.stderr.String()); m != "" {
		t.Errorf("the server process wrote %q on stderr", m)
	}

	// Every client was told: the Pion clients' sessions ended on a bye,
	// and the last message each signaling-only client read was one.
	for _, c := range append(append([]*bench.Client(nil), pubs...), subs...) {
		select {
		case <-c.Done():
		case <-ctx.Done():
			t.Fatalf("%s: session still up after the server exited", c.ID())
		}
		if c.Received(protocol.TypeBye) != 1 || !errors.Is(c.Err(), bench.ErrSessionEnded) {
			t.Errorf("%s: %d bye, session ended with %v", c.ID(), c.Received(protocol.TypeBye), c.Err())
		}
	}
	for _, s := range sig {
		select {
		case <-s.done:
		case <-ctx.Done():
			t.Fatalf("%s: socket still open after the server exited", s.name)
		}
		if !byeLast(s.types) {
			t.Errorf("%s read %v, want bye as the last message and no other", s.name, s.types)
		}
	}

	// The same ports again: the clients that dial again all join, and media
	// flows as before.
	restarted := time.Now()
	second := startServerProcess(t, append(args, "--listen", first.addr)...)
	if second.addr != first.addr {
		t.Fatalf("restarted on %s, want %s", second.addr, first.addr)
	}
	connectMediaRoom(ctx, t, second.wsURL())
	for _, s := range connectSignalingOnly(ctx, t, second.wsURL()) {
		_ = s.ws.Close()
	}
	if m := serverPanicked.FindString(second.stderr.String()); m != "" {
		t.Errorf("the restarted server process wrote %q on stderr", m)
	}
	t.Logf("100 participants connected in %v; the process exited %v after SIGTERM; restarted, all back with media in %v; %v in all",
		connected.Round(time.Millisecond), exitTook.Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond),
		time.Since(began).Round(time.Millisecond))
}

// connectMediaRoom dials the media room's publishers and subscribers and
// returns once every subscriber has received sigtermMinPackets of each
// publisher's audio and video. The clients are closed at the test's end.
func connectMediaRoom(ctx context.Context, t *testing.T, url string) (pubs, subs []*bench.Client) {
	t.Helper()
	dial := func(name string) *bench.Client {
		c, err := bench.Dial(ctx, url, "sigterm-media", bench.WithName(name), bench.WithICEIPs([]string{"127.0.0.1"}))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	for i := range sigtermPublishers {
		c := dial(fmt.Sprintf("pub-%d", i+1))
		if err := mediatest.PublishAudioVideo(ctx, c); err != nil {
			t.Fatalf("%s publishing: %v", c.ID(), err)
		}
		pubs = append(pubs, c)
	}
	for i := range sigtermSubscribers {
		subs = append(subs, dial(fmt.Sprintf("sub-%d", i+1)))
	}
	for _, s := range subs {
		if err := s.WaitUntil(ctx, func() bool { return mediatest.ReceivedFromAll(s, pubs, sigtermMinPackets) }); err != nil {
			t.Fatalf("media from every publisher: %v: %s", err, mediatest.Describe(s, pubs))
		}
	}
	return pubs, subs
}

// byeLast reports whether types end with one bye and hold no other: the
// server says nothing to a session after its last word, not even the
// room-mates' leaving as it tears the rooms down.
func byeLast(types []string) bool {
	i := slices.Index(types, protocol.TypeBye)
	return i >= 0 && i == len(types)-1
}

// signalingClient is a participant without media: a WebSocket that joined
// and reads what the server sends until it closes.
type signalingClient struct {
	name  string
	ws    *websocket.Conn
	types []string      // message types read, in order; read after done
	done  chan struct{} // closed when the socket is
}

// connectSignalingOnly joins sigtermSignaling clients, sigtermRoomSize to
// a room, and returns once each has read its joined.
func connectSignalingOnly(ctx context.Context, t *testing.T, url string) []*signalingClient {
	t.Helper()
	var out []*signalingClient
	for i := range sigtermSignaling {
		s := &signalingClient{name: fmt.Sprintf("sig-%d", i+1), done: make(chan struct{})}
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		s.ws = ws
		t.Cleanup(func() { _ = ws.Close() })
		join := protocol.Join{Type: protocol.TypeJoin, Version: protocol.Version,
			Room: fmt.Sprintf("sigterm-%d", i/sigtermRoomSize+1), Name: s.name}
		if err := ws.WriteJSON(join); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		joined := make(chan struct{})
		go s.read(joined)
		select {
		case <-joined:
		case <-s.done:
			t.Fatalf("%s: socket closed before joined: read %v", s.name, s.types)
		case <-ctx.Done():
			t.Fatalf("%s: no joined", s.name)
		}
		out = append(out, s)
	}
	return out
}

// read records every message's type until the socket closes, and closes
// joined at the first joined.
func (s *signalingClient) read(joined chan<- struct{}) {
	defer close(s.done)
	for {
		_, data, err := s.ws.ReadMessage()
		if err != nil {
			return
		}
		var env protocol.Envelope
		if err := json.Unmarshal(data, &env); err != nil {
			s.types = append(s.types, "undecodable")
			continue
		}
		s.types = append(s.types, env.Type)
		if env.Type == protocol.TypeJoined && joined != nil {
			close(joined)
			joined = nil
		}
	}
}
