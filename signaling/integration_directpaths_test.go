package signaling_test

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
	"github.com/switchboard-rtc/switchboard/turnserver"
)

// TestDirectSRTPThroughTURN: with direct SRTP on the shared batched UDP
// port, a publisher and a subscriber that may use relay candidates only
// meet through the embedded TURN server on real loopback sockets. The
// SFU's side of each pair is its host candidate on the shared port and the
// client's relay address is the remote one: direct SRTP sends to the relay
// from the shared socket, and the relay's packets from the publisher are
// decrypted in the socket's read loop. The subscriber decodes every packet
// intact, and no packet of a direct stream is paused.
func TestDirectSRTPThroughTURN(t *testing.T) {
	checkLeaks(t)
	log := testLogger(t).With("side", "server")
	s, err := sfu.New(sfu.WithICEIPs([]string{loopback}), sfu.WithLogger(log), sfu.WithUDPMux(0), sfu.WithDirectSRTP(true))
	if err != nil {
		t.Fatal(err)
	}
	var peers []turnserver.Peer
	for _, m := range s.MediaAddrs() {
		for _, a := range m.Announced {
			peers = append(peers, turnserver.Peer{IP: a, Local: m.Local.Addr(), MinPort: m.Local.Port(), MaxPort: m.Local.Port()})
		}
	}
	conn, err := net.ListenPacket("udp4", net.JoinHostPort(loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "direct turn secret"
	turn, err := turnserver.New(turnserver.WithPacketConn(conn), turnserver.WithSecret(secret),
		turnserver.WithRelayIP(netip.MustParseAddr(loopback)), turnserver.WithRelayBind(loopback),
		turnserver.WithPeers(peers), turnserver.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = turn.Close() }) // after the clients and the server: registered first
	url := "turn:" + net.JoinHostPort(loopback, strconv.Itoa(conn.LocalAddr().(*net.UDPAddr).Port)) + "?transport=udp"
	ice := func(_, identity string) []protocol.ICEServer {
		user, pass := turnserver.Credentials(secret, identity, time.Hour, time.Now())
		return []protocol.ICEServer{{URLs: []string{url}, Username: user, Credential: pass}}
	}
	srv := serve(t, signaling.NewHandler(s, signaling.WithLogger(log), signaling.WithICEServersFunc(ice)), s)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // generous: loaded 2-core CI
	defer cancel()
	pub := srv.dial(ctx, t, "direct-turn", "pub", bench.WithRelayOnly())
	sub := srv.dial(ctx, t, "direct-turn", "sub", bench.WithRelayOnly())
	if _, err := publish(ctx, pub); err != nil {
		t.Fatal(err)
	}
	const want = 200 // packets of each kind
	if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, []*bench.Client{pub}, want) }); err != nil {
		t.Fatalf("%v: %s", err, describe(sub, []*bench.Client{pub}))
	}
	checkIntact(t, sub)
	for _, c := range []*bench.Client{pub, sub} {
		if p := nominatedPair(ctx, t, c); p.Local.Typ != webrtc.ICECandidateTypeRelay {
			t.Fatalf("%s's pair %s: want its relay candidate, or the test tests no relay", c.ID(), p)
		}
	}
	st := s.Stats()
	t.Logf("through TURN (%d allocations): %d of %d forwarded packets sent directly, %d of %d received directly, %d paused",
		turn.Allocations(), st.DirectSRTPPackets, st.PacketsOut, st.DirectSRTPReceived, st.PacketsIn, st.DirectSRTPPaused)
	if st.DirectSRTPPackets < 2*want || st.DirectSRTPReceived < want {
		t.Fatalf("%d packets sent and %d received directly, want at least %d and %d: the relay's pairs did not go direct",
			st.DirectSRTPPackets, st.DirectSRTPReceived, 2*want, want)
	}
	if st.DirectSRTPPaused != 0 {
		t.Fatalf("%d packets of direct streams found no path", st.DirectSRTPPaused)
	}
}

// TestDirectSRTPOffWithoutSharedPort: direct SRTP asked for where it cannot
// follow every pair (no shared batched UDP socket: a port per connection,
// as --udp-port 0, or batching off) is off for every connection, not
// paused: the meeting runs on Pion's path, the subscriber decodes every
// packet intact, and nothing is sent, received or paused directly.
func TestDirectSRTPOffWithoutSharedPort(t *testing.T) {
	tests := []struct {
		name string
		opts []sfu.Option
	}{
		{"a port per connection", nil},
		{"batching off", []sfu.Option{sfu.WithUDPMux(0), sfu.WithSendBatching(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := newServer(t, append(tt.opts, sfu.WithDirectSRTP(true))...)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			pub := srv.dial(ctx, t, "direct-off", "pub")
			sub := srv.dial(ctx, t, "direct-off", "sub")
			if _, err := publish(ctx, pub); err != nil {
				t.Fatal(err)
			}
			const want = 100
			if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, []*bench.Client{pub}, want) }); err != nil {
				t.Fatalf("%v: %s", err, describe(sub, []*bench.Client{pub}))
			}
			checkIntact(t, sub)
			st := srv.sfu.Stats()
			if st.PacketsOut < 2*want || st.DirectSRTPPackets != 0 || st.DirectSRTPReceived != 0 || st.DirectSRTPPaused != 0 {
				t.Fatalf("forwarded %d; direct: sent %d, received %d, paused %d; want Pion's path only",
					st.PacketsOut, st.DirectSRTPPackets, st.DirectSRTPReceived, st.DirectSRTPPaused)
			}
		})
	}
}
