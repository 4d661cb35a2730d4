package signaling_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// newTestServer starts a server on loopback whose media stays on 127.0.0.1.
func newTestServer(t *testing.T, sfuOpts []sfu.Option, opts ...signaling.Option) (wsURL string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := sfu.New(append([]sfu.Option{sfu.WithICEIPs([]string{"127.0.0.1"}), sfu.WithLogger(log)}, sfuOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h := signaling.NewHandler(s, append([]signaling.Option{signaling.WithLogger(log)}, opts...)...)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		_ = s.Close()
		srv.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// next reads server messages until one of type typ arrives.
func next(t *testing.T, c *websocket.Conn, typ string) map[string]any {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %q: %v", typ, err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("server sent bad JSON %q: %v", data, err)
		}
		if m["type"] == typ {
			return m
		}
	}
}

func send(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	var data []byte
	switch v := v.(type) {
	case string:
		data = []byte(v)
	default:
		var err error
		if data, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WriteMessage(websocket.TextMessage, data); err != nil {
		t.Fatal(err)
	}
}

func join(room, name string) protocol.Join {
	return protocol.Join{Type: protocol.TypeJoin, Version: protocol.Version, Room: room, Name: name}
}

// expectClosed reads until the server closes the connection.
func expectClosed(t *testing.T, c *websocket.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("server did not close the connection")
			}
			return
		}
	}
}

func TestBadInputGetsAnErrorAndKeepsTheSession(t *testing.T) {
	url := newTestServer(t, nil)
	tests := []struct {
		name   string
		joined bool
		msg    any
		code   string
	}{
		{"malformed JSON", false, `{"type":`, protocol.CodeBadRequest},
		{"not an object", false, `[1,2,3]`, protocol.CodeBadRequest},
		{"unknown type", false, `{"type":"teleport"}`, protocol.CodeBadRequest},
		{"offer before join", false, protocol.SessionDescription{Type: protocol.TypeOffer, SDP: "v=0"}, protocol.CodeNotJoined},
		{"bad room name", false, join("no spaces allowed", "Al"), protocol.CodeInvalidRoom},
		{"empty name", false, join("room", "   "), protocol.CodeInvalidName},
		{"control characters in name", false, join("room", "a\x07b"), protocol.CodeInvalidName},
		{"second join", true, join("room", "Al"), protocol.CodeAlreadyJoined},
		{"garbage SDP", true, protocol.SessionDescription{Type: protocol.TypeOffer, SDP: "this is not sdp"}, protocol.CodeBadSDP},
		{"empty SDP", true, protocol.SessionDescription{Type: protocol.TypeOffer}, protocol.CodeBadSDP},
		{"answer without an offer", true, protocol.SessionDescription{Type: protocol.TypeAnswer, SDP: "v=0"}, protocol.CodeBadRequest},
		{"unknown source", true, protocol.SessionDescription{Type: protocol.TypeOffer, SDP: "v=0", Tracks: []protocol.PublishedTrack{{Mid: "0", Source: "hologram"}}}, protocol.CodeBadRequest},
		{"mute of an unknown track", true, protocol.Mute{Type: protocol.TypeMute, Mid: "7", Muted: true}, protocol.CodeBadRequest},
		{"wrong field types", true, `{"type":"candidate","candidate":"nope"}`, protocol.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, url)
			if tt.joined {
				send(t, c, join("bad-input", "Tester"))
				next(t, c, protocol.TypeJoined)
			}
			send(t, c, tt.msg)
			m := next(t, c, protocol.TypeError)
			if m["code"] != tt.code || m["fatal"] == true || m["message"] == "" {
				t.Fatalf("got %v, want a non-fatal %q error with a message", m, tt.code)
			}
			// The session still works.
			if !tt.joined {
				send(t, c, join("bad-input", "Tester"))
				next(t, c, protocol.TypeJoined)
			} else {
				send(t, c, join("bad-input", "Tester"))
				next(t, c, protocol.TypeError)
			}
		})
	}
}

func TestFatalInputClosesOnlyThatConnection(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithMaxMessageSize(1024), signaling.WithMaxBadMessages(3))
	bystander := dial(t, url)
	send(t, bystander, join("fatal", "Bystander"))
	next(t, bystander, protocol.TypeJoined)

	tests := []struct {
		name   string
		joined bool
		msgs   []any
		code   string
	}{
		{"oversized message", true, []any{`{"type":"join","name":"` + strings.Repeat("x", 2000) + `"}`}, protocol.CodeTooLarge},
		{"unsupported version", false, []any{protocol.Join{Type: protocol.TypeJoin, Version: 99, Room: "fatal", Name: "V"}}, protocol.CodeUnsupportedVersion},
		{"keeps sending garbage", true, []any{"x", "y", "z", "w"}, protocol.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, url)
			if tt.joined {
				send(t, c, join("fatal", "Mallory"))
				next(t, c, protocol.TypeJoined)
				defer next(t, bystander, protocol.TypeParticipantLeft)
			}
			for _, m := range tt.msgs {
				send(t, c, m)
			}
			for {
				m := next(t, c, protocol.TypeError)
				if m["fatal"] == true {
					if m["code"] != tt.code {
						t.Fatalf("fatal error %v, want code %q", m, tt.code)
					}
					break
				}
			}
			expectClosed(t, c)
			// The bystander sees Mallory leave (deferred above).
		})
	}
	// The bystander's session is intact.
	send(t, bystander, protocol.Mute{Type: protocol.TypeMute, Mid: "nope"})
	if m := next(t, bystander, protocol.TypeError); m["fatal"] == true {
		t.Fatalf("bystander got a fatal error: %v", m)
	}
}

func TestRateLimit(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithMessageRate(1, 5), signaling.WithMaxBadMessages(1000))
	c := dial(t, url)
	send(t, c, join("rate", "Speedy"))
	next(t, c, protocol.TypeJoined)
	for range 20 {
		send(t, c, protocol.Mute{Type: protocol.TypeMute, Mid: "x"})
	}
	for {
		if m := next(t, c, protocol.TypeError); m["code"] == protocol.CodeRateLimited {
			return
		}
	}
}

func TestRoomFull(t *testing.T) {
	url := newTestServer(t, []sfu.Option{sfu.WithMaxParticipants(2)})
	for _, name := range []string{"One", "Two"} {
		c := dial(t, url)
		send(t, c, join("small", name))
		next(t, c, protocol.TypeJoined)
	}
	c := dial(t, url)
	send(t, c, join("small", "Three"))
	m := next(t, c, protocol.TypeError)
	if m["code"] != protocol.CodeRoomFull || m["fatal"] != true {
		t.Fatalf("got %v, want a fatal room-full error", m)
	}
	expectClosed(t, c)
	// Another room is not affected.
	c2 := dial(t, url)
	send(t, c2, join("other", "Three"))
	next(t, c2, protocol.TypeJoined)
}

func TestJoinTimeoutAndHeartbeat(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithJoinTimeout(300*time.Millisecond), signaling.WithHeartbeat(100*time.Millisecond, 400*time.Millisecond))
	idle := dial(t, url)
	m := next(t, idle, protocol.TypeError)
	if m["fatal"] != true {
		t.Fatalf("got %v, want a fatal error for a client that never joins", m)
	}
	expectClosed(t, idle)

	// A client that answers pings stays; gorilla's default ping handler
	// answers as long as we keep reading.
	alive := dial(t, url)
	send(t, alive, join("heartbeat", "Alive"))
	next(t, alive, protocol.TypeJoined)
	_ = alive.SetReadDeadline(time.Now().Add(time.Second))
	if _, _, err := alive.ReadMessage(); err == nil {
		t.Fatal("unexpected message")
	} else if ne, ok := err.(interface{ Timeout() bool }); !ok || !ne.Timeout() {
		t.Fatalf("a live client was dropped: %v", err)
	}
}

func TestJoinedListsOthersAndAnnouncesNewcomers(t *testing.T) {
	url := newTestServer(t, nil, signaling.WithICEServers([]protocol.ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}))
	a := dial(t, url)
	send(t, a, join("announce", "Ann"))
	ja := next(t, a, protocol.TypeJoined)
	if ps := ja["participants"].([]any); len(ps) != 0 {
		t.Fatalf("first participant sees others: %v", ps)
	}
	if ice := ja["iceServers"].([]any); len(ice) != 1 {
		t.Fatalf("iceServers = %v", ice)
	}
	b := dial(t, url)
	send(t, b, join("announce", "Bob"))
	jb := next(t, b, protocol.TypeJoined)
	ps := jb["participants"].([]any)
	if len(ps) != 1 || ps[0].(map[string]any)["name"] != "Ann" {
		t.Fatalf("Bob sees %v, want Ann", ps)
	}
	pj := next(t, a, protocol.TypeParticipantJoined)
	if pj["participant"].(map[string]any)["id"] != jb["participantId"] {
		t.Fatalf("Ann was told of %v, want Bob %v", pj, jb["participantId"])
	}
	send(t, b, protocol.Leave{Type: protocol.TypeLeave})
	expectClosed(t, b)
	if pl := next(t, a, protocol.TypeParticipantLeft); pl["participantId"] != jb["participantId"] {
		t.Fatalf("participant-left %v", pl)
	}
}
