package signaling_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/clock"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// dialFrom connects from the loopback address src (any of 127.0.0.0/8 is
// this host), so that tests can be several client addresses.
func dialFrom(t *testing.T, url, src string, header map[string][]string) (*websocket.Conn, error) {
	t.Helper()
	d := websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		NetDialContext:   (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}).DialContext,
	}
	c, _, err := d.Dial(url, header)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}

func mustDialFrom(t *testing.T, url, src string) *websocket.Conn {
	t.Helper()
	c, err := dialFrom(t, url, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// expectFatal reads until a fatal error arrives, checks its code, and waits
// for the server to close the connection.
func expectFatal(t *testing.T, c *websocket.Conn, code string) map[string]any {
	t.Helper()
	for {
		m := next(t, c, protocol.TypeError)
		if m["fatal"] == true {
			if m["code"] != code || m["message"] == "" {
				t.Fatalf("fatal error %v, want code %q with a message", m, code)
			}
			expectClosed(t, c)
			return m
		}
	}
}

// eventually retries f until it succeeds or 5 s pass.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// joinsFrom tells whether a new connection from src can join room.
func joinsFrom(t *testing.T, url, src, room string) bool {
	t.Helper()
	c, err := dialFrom(t, url, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send(t, c, join(room, "Again"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return false
		}
		if strings.Contains(string(data), `"type":"joined"`) {
			return true
		}
	}
}

func TestConnectionsPerAddress(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithMaxConnectionsPerAddr(3))
	var held []*websocket.Conn
	for i := range 3 {
		c := mustDialFrom(t, url, "127.0.0.1")
		if i < 2 { // joined or not, a connection counts
			send(t, c, join("per-addr", "Held"))
			next(t, c, protocol.TypeJoined)
		}
		held = append(held, c)
	}
	over := mustDialFrom(t, url, "127.0.0.1")
	m := expectFatal(t, over, protocol.CodeRateLimited)
	if !strings.Contains(m["message"].(string), "connections") {
		t.Fatalf("message %q does not say what was limited", m["message"])
	}
	// Another address is not affected.
	other := mustDialFrom(t, url, "127.0.0.2")
	send(t, other, join("per-addr", "Other"))
	next(t, other, protocol.TypeJoined)
	// A closed connection frees its place.
	held[2].Close()
	eventually(t, "a place freed by a close", func() bool { return joinsFrom(t, url, "127.0.0.1", "per-addr") })
	// The held sessions are intact.
	send(t, held[0], protocol.Mute{Type: protocol.TypeMute, Mid: "nope"})
	if m := next(t, held[0], protocol.TypeError); m["fatal"] == true {
		t.Fatalf("a held session got a fatal error: %v", m)
	}
}

// TestFloodFromOneAddressHarmsNoOther: one address opens many connections
// and joins as fast as it can; a participant from another address that was
// there before is not disturbed, and a newcomer from a third joins at once.
func TestFloodFromOneAddressHarmsNoOther(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithMaxConnectionsPerAddr(10), signaling.WithJoinsPerAddr(2, 5))
	bystander := mustDialFrom(t, url, "127.0.0.3")
	send(t, bystander, join("flood", "Bystander"))
	next(t, bystander, protocol.TypeJoined)

	const attackers = 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range attackers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := websocket.Dialer{HandshakeTimeout: 5 * time.Second,
				NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}).DialContext}
			c, _, err := d.DialContext(ctx, url, nil)
			if err != nil {
				return
			}
			defer c.Close()
			_ = c.WriteJSON(join("flood", "Mallory"))
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			for {
				var m map[string]any
				if err := c.ReadJSON(&m); err != nil {
					return
				}
				if m["type"] == protocol.TypeError && m["fatal"] == true {
					mu.Lock()
					codes[m["code"].(string)]++
					mu.Unlock()
					return
				}
				if m["type"] == protocol.TypeJoined {
					mu.Lock()
					codes["joined"]++
					mu.Unlock()
					// Hold the place until the test ends.
					<-ctx.Done()
					return
				}
			}
		}()
	}
	// Meanwhile a newcomer from another address joins at once.
	start := time.Now()
	newcomer := mustDialFrom(t, url, "127.0.0.2")
	send(t, newcomer, join("flood", "Newcomer"))
	next(t, newcomer, protocol.TypeJoined)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the newcomer took %v to join", d)
	}
	eventually(t, "every attacker answered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range codes {
			n += v
		}
		return n == attackers
	})
	mu.Lock()
	joined, limited := codes["joined"], codes[protocol.CodeRateLimited]
	mu.Unlock()
	// At most the join burst (5) got in, within the 10 connections.
	if joined < 1 || joined > 5 || limited != attackers-joined {
		t.Errorf("attackers: %v; want 1 to 5 joined and the others rate-limited", codes)
	}
	cancel()
	wg.Wait()
	// The bystander's session is intact, and it heard of the newcomer.
	send(t, bystander, protocol.Mute{Type: protocol.TypeMute, Mid: "nope"})
	if m := next(t, bystander, protocol.TypeError); m["fatal"] == true {
		t.Fatalf("bystander got a fatal error: %v", m)
	}
}

func TestJoinsPerAddress(t *testing.T) {
	clk := clock.NewFake(time.Now())
	url := newTestServer(t, nil, signaling.WithJoinsPerAddr(5, 2), signaling.WithClock(clk))
	for range 2 {
		c := mustDialFrom(t, url, "127.0.0.1")
		send(t, c, join("joins", "Burst"))
		next(t, c, protocol.TypeJoined)
	}
	over := mustDialFrom(t, url, "127.0.0.1")
	send(t, over, join("joins", "Over"))
	m := expectFatal(t, over, protocol.CodeRateLimited)
	if !strings.Contains(m["message"].(string), "joins") {
		t.Fatalf("message %q does not say what was limited", m["message"])
	}
	// Another address joins at the same moment.
	if !joinsFrom(t, url, "127.0.0.2", "joins") {
		t.Fatal("another address could not join")
	}
	// The bucket refills: 5 a second, one in 200 ms and not before.
	clk.Advance(150 * time.Millisecond)
	if joinsFrom(t, url, "127.0.0.1", "joins") {
		t.Fatal("a join 150 ms after the burst")
	}
	clk.Advance(50 * time.Millisecond)
	if !joinsFrom(t, url, "127.0.0.1", "joins") {
		t.Fatal("no join after the bucket refilled")
	}
}

// TestTrustedProxy: behind a trusted proxy each client counts by the
// address the proxy puts in X-Forwarded-For; from any other peer the header
// counts for nothing.
func TestTrustedProxy(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithMaxConnectionsPerAddr(1),
		signaling.WithTrustedProxies([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}))
	xff := func(ip string) map[string][]string { return map[string][]string{"X-Forwarded-For": {ip}} }
	if _, err := dialFrom(t, url, "127.0.0.1", xff("198.51.100.1")); err != nil {
		t.Fatal(err)
	}
	// Another client through the same proxy.
	b, err := dialFrom(t, url, "127.0.0.1", xff("198.51.100.2"))
	if err != nil {
		t.Fatal(err)
	}
	send(t, b, join("proxy", "B"))
	next(t, b, protocol.TypeJoined)
	// The first client again: over its limit.
	again, err := dialFrom(t, url, "127.0.0.1", xff("198.51.100.1"))
	if err != nil {
		t.Fatal(err)
	}
	expectFatal(t, again, protocol.CodeRateLimited)
	// An untrusted peer's header is not read: it counts as itself.
	if _, err := dialFrom(t, url, "127.0.0.2", xff("198.51.100.9")); err != nil {
		t.Fatal(err)
	}
	spoof, err := dialFrom(t, url, "127.0.0.2", xff("198.51.100.10"))
	if err != nil {
		t.Fatal(err)
	}
	expectFatal(t, spoof, protocol.CodeRateLimited)
}

func TestMaxRooms(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithMaxRooms(2))
	a := dial(t, url)
	send(t, a, join("room-a", "A"))
	next(t, a, protocol.TypeJoined)
	b := dial(t, url)
	send(t, b, join("room-b", "B"))
	next(t, b, protocol.TypeJoined)

	c := dial(t, url)
	send(t, c, join("room-c", "C"))
	m := expectFatal(t, c, protocol.CodeUnavailable)
	if !strings.Contains(m["message"].(string), "rooms") {
		t.Fatalf("message %q does not say what was limited", m["message"])
	}
	// A room already open still takes joins.
	a2 := dial(t, url)
	send(t, a2, join("room-a", "A2"))
	next(t, a2, protocol.TypeJoined)
	// A refused join holds no room: room-b closes when B leaves, and then
	// room-c may open.
	send(t, b, protocol.Leave{Type: protocol.TypeLeave})
	expectClosed(t, b)
	eventually(t, "a room freed by its last leave", func() bool { return joinsFrom(t, url, "127.0.0.1", "room-c") })
}

// offerSending makes a real offer (Pion's) that sends audio tracks on n
// transceivers plus one video transceiver that only receives.
func offerSending(t *testing.T, n int) protocol.SessionDescription {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var tracks []protocol.PublishedTrack
	for i := range n {
		tr, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "s")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
		tracks = append(tracks, protocol.PublishedTrack{Mid: string(rune('0' + i)), Source: "microphone"})
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return protocol.SessionDescription{Type: protocol.TypeOffer, SDP: offer.SDP, Tracks: tracks}
}

func TestMaxTracksPerParticipant(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithMaxTracksPerParticipant(2))
	tests := []struct {
		name    string
		sending int
		refused bool
	}{
		{"within the limit", 1, false},
		{"at the limit", 2, false},
		{"over the limit", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, url)
			send(t, c, join("tracks", "Publisher"))
			next(t, c, protocol.TypeJoined)
			send(t, c, offerSending(t, tt.sending))
			if !tt.refused {
				next(t, c, protocol.TypeAnswer)
				return
			}
			m := next(t, c, protocol.TypeError)
			if m["code"] != protocol.CodeTooManyTracks || m["fatal"] == true || !strings.Contains(m["message"].(string), "allows 2") {
				t.Fatalf("got %v, want a non-fatal too-many-tracks error naming the limit", m)
			}
			// The session goes on: an offer within the limit is answered.
			send(t, c, offerSending(t, 2))
			next(t, c, protocol.TypeAnswer)
		})
	}
}
