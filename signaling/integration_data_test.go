package signaling_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/sfu/dataframe"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// dataRoom dials one client per name into room, with data channels when
// channels is set, and waits until they are open.
func (s *testServer) dataRoom(ctx context.Context, t *testing.T, room string, channels bool, names ...string) []*bench.Client {
	t.Helper()
	var opts []bench.Option
	if channels {
		opts = append(opts, bench.WithDataChannels())
	}
	clients := make([]*bench.Client, 0, len(names))
	for _, name := range names {
		clients = append(clients, s.dial(ctx, t, room, name, opts...))
	}
	for _, c := range clients {
		err := c.WaitUntil(ctx, func() bool {
			return len(c.Participants()) == len(names)-1 && (!channels || c.DataChannelsOpen())
		})
		if err != nil {
			t.Fatalf("%s: waiting for the room (data channels %v): %v", c.ID(), channels, err)
		}
	}
	// The server's ends open a little after the clients' (each side marks
	// them open when its SCTP association is up): until then it sends on
	// the signaling socket, as it should, but these tests check the path.
	if channels {
		err := clients[0].WaitUntil(ctx, func() bool {
			open := 0
			for _, p := range s.sfu.Participants() {
				if p.Room == room && p.DataChannels {
					open++
				}
			}
			return open == len(names)
		})
		if err != nil {
			t.Fatalf("waiting for the server's data channels: %v", err)
		}
	}
	return clients
}

// waitData waits until c has received n data messages and returns them.
func waitData(ctx context.Context, t *testing.T, c *bench.Client, n int) []bench.ReceivedData {
	t.Helper()
	if err := c.WaitUntil(ctx, func() bool { return len(c.Data()) >= n }); err != nil {
		t.Fatalf("%s: waiting for %d data messages: %v; got %+v", c.ID(), n, err, c.Data())
	}
	return c.Data()
}

// checkData fails unless got is exactly want's payloads, each from sender,
// on the data channel or not as onChannel says.
func checkData(t *testing.T, who string, got []bench.ReceivedData, sender *bench.Client, onChannel bool, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s got %d data messages, want %d: %+v", who, len(got), len(want), got)
	}
	for i, d := range got {
		if string(d.Payload) != want[i] || d.Identity != sender.Identity() || d.ParticipantID != sender.ID() || d.OnChannel != onChannel {
			t.Errorf("%s message %d: %q from %s (%s), on the channel %v; want %q from %s (%s), on the channel %v",
				who, i, d.Payload, d.Identity, d.ParticipantID, d.OnChannel, want[i], sender.Identity(), sender.ID(), onChannel)
		}
	}
}

// errorCodes lists the codes of the errors c got.
func errorCodes(c *bench.Client) []string {
	var codes []string
	for _, e := range c.Errors() {
		codes = append(codes, e.Code)
	}
	return codes
}

// bothWays runs f as a subtest with data channels and as one on the
// signaling fallback, each with its leak check and a context of
// testTimeout.
func bothWays(t *testing.T, f func(ctx context.Context, t *testing.T, channels bool)) {
	for _, tc := range []struct {
		name     string
		channels bool
	}{{"data channel", true}, {"signaling fallback", false}} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			f(ctx, t, tc.channels)
		})
	}
}

func TestDataRouting(t *testing.T) {
	bothWays(t, func(ctx context.Context, t *testing.T, channels bool) {
		srv := newServer(t)
		c := srv.dataRoom(ctx, t, "data", channels, "alice", "bob", "carol")
		alice, bob, carol := c[0], c[1], c[2]
		if alice.Identity() != alice.ID() {
			t.Errorf("without API keys the identity is the participant id: %q, id %q", alice.Identity(), alice.ID())
		}
		for _, p := range bob.Participants() {
			if p.Identity != p.ID {
				t.Errorf("bob sees %s with identity %q", p.ID, p.Identity)
			}
		}

		// Lossy first (unordered: on its own stream), on loopback it
		// arrives; then reliable ones, in order.
		if err := alice.PublishData([]byte("lossy"), "cursor", false); err != nil {
			t.Fatal(err)
		}
		checkData(t, "bob", waitData(ctx, t, bob, 1), alice, channels, "lossy")
		checkData(t, "carol", waitData(ctx, t, carol, 1), alice, channels, "lossy")
		// To everyone; a spoofed sender is ignored, both ways of sending.
		if err := alice.PublishData([]byte("hello"), "chat", true); err != nil {
			t.Fatal(err)
		}
		if channels {
			frame, _ := dataframe.Append(nil, dataframe.Header{Topic: "chat", From: carol.Identity(), FromID: carol.ID()}, []byte("spoofed"))
			if err := alice.SendFrame(frame); err != nil {
				t.Fatal(err)
			}
		} else {
			err := alice.SendMessage(protocol.Data{Type: protocol.TypeData, Payload: []byte("spoofed"), Topic: "chat",
				Identity: carol.Identity(), ParticipantID: carol.ID()})
			if err != nil {
				t.Fatal(err)
			}
		}
		// To bob alone, then one to everyone that marks the end: on
		// the same ordered channel, so carol has had every message
		// meant for her once it arrives.
		if err := alice.PublishData([]byte("to bob"), "dm", true, bob.Identity()); err != nil {
			t.Fatal(err)
		}
		if err := alice.PublishData([]byte("end"), "", true); err != nil {
			t.Fatal(err)
		}
		checkData(t, "bob", waitData(ctx, t, bob, 5), alice, channels, "lossy", "hello", "spoofed", "to bob", "end")
		checkData(t, "carol", waitData(ctx, t, carol, 4), alice, channels, "lossy", "hello", "spoofed", "end")
		if got := bob.Data()[3].Topic; got != "dm" {
			t.Errorf("topic %q, want dm", got)
		}
		if n := len(alice.Data()); n != 0 {
			t.Errorf("alice got %d of her own messages", n)
		}
		for _, c := range c {
			if codes := errorCodes(c); len(codes) != 0 {
				t.Errorf("%s got errors %v", c.ID(), codes)
			}
		}
	})
}

// TestDataLimits: an oversized message and those past the rate are refused
// with an error to their sender alone, and nobody receives them; the
// others' errors stay empty and the session goes on.
func TestDataLimits(t *testing.T) {
	bothWays(t, func(ctx context.Context, t *testing.T, channels bool) {
		lim := sfu.DefaultDataLimits()
		// One message a second, bursts of 5: 20 sent in a row after
		// three get at least 20 - 2 - (seconds they take) refused, 10
		// or more on any machine that sends them within 8 s.
		lim.Rate, lim.Burst = 1, 5
		srv := newServer(t, sfu.WithDataLimits(lim))
		c := srv.dataRoom(ctx, t, "limits", channels, "alice", "bob")
		alice, bob := c[0], c[1]

		big := bytes.Repeat([]byte{'x'}, lim.MaxReliable+1)
		if err := alice.PublishData(big, "", true); err != nil {
			t.Fatal(err)
		}
		if err := alice.PublishData(big[:lim.MaxLossy+1], "", false); err != nil {
			t.Fatal(err)
		}
		if err := alice.WaitUntil(ctx, func() bool { return len(alice.Errors()) == 2 }); err != nil {
			t.Fatalf("waiting for two errors: %v; %v", err, errorCodes(alice))
		}
		for _, code := range errorCodes(alice) {
			if code != protocol.CodeDataTooLarge {
				t.Errorf("an oversized message got %q, want %q", code, protocol.CodeDataTooLarge)
			}
		}
		// A message at the size limit goes through (the two refused
		// ones spent two of the five tokens).
		if err := alice.PublishData(big[:lim.MaxReliable], "", true); err != nil {
			t.Fatal(err)
		}
		waitData(ctx, t, bob, 1)

		const sent = 20
		for i := range sent {
			if err := alice.PublishData(fmt.Appendf(nil, "%d", i), "", true); err != nil {
				t.Fatal(err)
			}
		}
		limited := func() int {
			n := 0
			for _, code := range errorCodes(alice) {
				if code == protocol.CodeRateLimited {
					n++
				}
			}
			return n
		}
		err := alice.WaitUntil(ctx, func() bool { return len(bob.Data())-1+limited() == sent })
		if err != nil {
			t.Fatalf("bob got %d, alice %d refusals, of %d sent: %v", len(bob.Data())-1, limited(), sent, err)
		}
		t.Logf("%d of %d delivered, %d refused (rate-limited)", len(bob.Data())-1, sent, limited())
		if limited() < 10 {
			t.Errorf("only %d of %d refused past a burst of 5 at 1/s", limited(), sent)
		}
		if codes := errorCodes(bob); len(codes) != 0 {
			t.Errorf("bob got errors %v", codes)
		}
		if alice.Err() != nil {
			t.Errorf("alice's session ended: %v", alice.Err())
		}
	})
}

func TestAttributes(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t)
	c := srv.dataRoom(ctx, t, "attrs", false, "alice", "bob")
	alice, bob := c[0], c[1]

	if err := alice.SetAttributes(map[string]string{"hand": "raised", "role": "host"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"hand": "raised", "role": "host"}
	for _, c := range c {
		err := c.WaitUntil(ctx, func() bool { return maps.Equal(c.Attributes(alice.ID()), want) })
		if err != nil {
			t.Fatalf("%s: alice's attributes %v, want %v: %v", c.ID(), c.Attributes(alice.ID()), want, err)
		}
	}

	// Past the limits (17 keys; 1 KiB): refused to alice alone, nothing
	// broadcast. Then a removal, which everyone hears as the next change.
	many := make(map[string]string)
	for i := range 17 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	if err := alice.SetAttributes(many); err != nil {
		t.Fatal(err)
	}
	if err := alice.SetAttributes(map[string]string{"big": string(bytes.Repeat([]byte{'v'}, 1024))}); err != nil {
		t.Fatal(err)
	}
	if err := alice.SetAttributes(map[string]string{"hand": ""}); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"role": "host"}
	err := bob.WaitUntil(ctx, func() bool { return maps.Equal(bob.Attributes(alice.ID()), want) })
	if err != nil {
		t.Fatalf("bob: alice's attributes %v, want %v: %v", bob.Attributes(alice.ID()), want, err)
	}
	if n := bob.Received(protocol.TypeAttributes); n != 2 {
		t.Errorf("bob got %d attributes messages, want 2 (the refused changes are not sent)", n)
	}
	if codes := errorCodes(alice); len(codes) != 2 || codes[0] != protocol.CodeInvalidAttributes || codes[1] != protocol.CodeInvalidAttributes {
		t.Errorf("alice got errors %v, want two %s", codes, protocol.CodeInvalidAttributes)
	}
	if codes := errorCodes(bob); len(codes) != 0 {
		t.Errorf("bob got errors %v", codes)
	}

	// A late joiner finds them in joined.
	carol := srv.dial(ctx, t, "attrs", "carol")
	if got := carol.Attributes(alice.ID()); !maps.Equal(got, want) {
		t.Errorf("carol sees alice's attributes %v at join, want %v", got, want)
	}
}

// TestDataFloodDisconnects: refusals of the data limits are not bad
// messages, but a client whose data keeps being refused past ten bursts'
// worth (here 10 × 2) is disconnected with a fatal rate-limited error.
func TestDataFloodDisconnects(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	log := testLogger(t).With("side", "server")
	s, err := sfu.New(sfu.WithICEIPs([]string{loopback}), sfu.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	// Two signaling messages a second, bursts of 2: 20 refusals allowed.
	srv := serve(t, signaling.NewHandler(s, signaling.WithLogger(log), signaling.WithMessageRate(2, 2)), s)
	c := srv.dataRoom(ctx, t, "flood", false, "alice", "bob")
	alice, bob := c[0], c[1]
	big := bytes.Repeat([]byte{'x'}, sfu.DefaultDataLimits().MaxLossy+1)
	// One at a time, each after the answer to the one before: the server's
	// queue to alice never fills (which would disconnect her as too slow to
	// read, the other way a flood ends).
	const sent = 100
	for i := range sent {
		if err := alice.PublishData(big, "", false); err != nil {
			break // the server hung up
		}
		if alice.WaitUntil(ctx, func() bool { return len(alice.Errors()) > i }) != nil {
			break
		}
	}
	select {
	case <-alice.Done():
	case <-ctx.Done():
		t.Fatalf("alice still connected after %d refused messages; errors %d", sent, len(alice.Errors()))
	}
	errs := alice.Errors()
	last := errs[len(errs)-1]
	if last.Code != protocol.CodeRateLimited || !last.Fatal {
		t.Errorf("the last error is %+v, want a fatal %s", last, protocol.CodeRateLimited)
	}
	// 20 refusals allowed, plus what refilled meanwhile (2 a second).
	if n := len(errs) - 1; n < 20 || n > 40 {
		t.Errorf("%d refusals before the disconnect, want 20 and what 2 a second refilled", n)
	}
	if n := len(bob.Data()); n != 0 {
		t.Errorf("bob got %d of the refused messages", n)
	}
}
