package sfu

import (
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pion/stun/v4"
)

// TestLearnUfrag: a gate of a connection's own socket takes its local ICE
// username from a client's Binding request (USERNAME "local:remote", RFC
// 8445 §7.2.2), and from nothing else.
func TestLearnUfrag(t *testing.T) {
	tests := []struct {
		name   string
		packet func(t *testing.T) []byte
		want   string
	}{
		{"a Binding request", func(t *testing.T) []byte {
			return stunPacket(t, stun.BindingRequest, stun.NewUsername("srvUfrag:cliUfrag"))
		}, "srvUfrag"},
		{"a Binding success", func(t *testing.T) []byte {
			return stunPacket(t, stun.BindingSuccess, stun.NewUsername("srvUfrag:cliUfrag"))
		}, ""},
		{"a Binding request without USERNAME", func(t *testing.T) []byte {
			return stunPacket(t, stun.BindingRequest)
		}, ""},
		{"a USERNAME without a colon", func(t *testing.T) []byte {
			return stunPacket(t, stun.BindingRequest, stun.NewUsername("srvUfrag"))
		}, ""},
		{"DTLS", func(*testing.T) []byte { return []byte{22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} }, ""},
		{"truncated STUN", func(t *testing.T) []byte {
			return stunPacket(t, stun.BindingRequest, stun.NewUsername("srvUfrag:cliUfrag"))[:24]
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := ssrcCap{max: 4}.gate("")
			g.learn = true
			if !g.pass(tt.packet(t), func() any { return clientAddr }) {
				t.Fatal("a packet that is not RTP was dropped")
			}
			if g.ufrag != tt.want {
				t.Fatalf("learned %q, want %q", g.ufrag, tt.want)
			}
		})
	}
}

// TestLearnedUfragChoosesTheSet: an own socket's gate takes its
// participant's set (shared with its other connections, across ICE
// restarts) by the username of the last Binding request, but only when
// the first RTP packet comes from the address that request came from: a
// check anyone could send does not move a connection onto another
// participant's set.
func TestLearnedUfragChoosesTheSet(t *testing.T) {
	other := netip.MustParseAddrPort("198.51.100.9:4000")
	tests := []struct {
		name      string
		checkFrom netip.AddrPort // where the Binding request comes from
		rtpFrom   netip.AddrPort
		shared    bool // the gate uses the participant's set
	}{
		{"check and media from the client", clientAddr, clientAddr, true},
		{"a check from elsewhere", other, clientAddr, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sets sync.Map
			var dropped atomic.Uint64
			c := ssrcCap{max: 2, dropped: &dropped, log: slog.New(slog.NewTextHandler(io.Discard, nil)), sets: &sets}
			share := c.newSSRCShare()
			share.register("a=ice-ufrag:srvUfrag\r\n")
			defer share.unregister()
			// The participant's set is full already (its shared-port
			// connection, or a socket before an ICE restart).
			full := c.gate("srvUfrag")
			for ssrc := range uint32(2) {
				if !full.pass(rtpPacket(ssrc+1, false, 96), func() any { return clientAddr }) {
					t.Fatalf("SSRC %d refused from an empty set", ssrc+1)
				}
			}
			g := c.gate("")
			g.learn = true
			g.pass(stunPacket(t, stun.BindingRequest, stun.NewUsername("srvUfrag:cliUfrag")), func() any { return tt.checkFrom })
			passed := g.pass(rtpPacket(7, false, 96), func() any { return tt.rtpFrom })
			if passed == tt.shared {
				t.Fatalf("a new SSRC passed %v: want it dropped by the participant's full set (%v) or let into a set of the socket's own", passed, tt.shared)
			}
		})
	}
}

var clientAddr = netip.MustParseAddrPort("192.0.2.5:5000")

func stunPacket(t *testing.T, setters ...stun.Setter) []byte {
	t.Helper()
	m, err := stun.Build(append([]stun.Setter{stun.TransactionID}, setters...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m.Raw
}
