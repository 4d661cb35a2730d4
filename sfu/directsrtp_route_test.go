package sfu

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/sfu/udpbatch"
)

// batchedOn opens a batched socket on each address, all on one port (the
// system's choice for the first), as the shared UDP port's sockets are.
func batchedOn(t *testing.T, addrs ...string) []*udpbatch.Conn {
	t.Helper()
	var out []*udpbatch.Conn
	port := 0
	for _, a := range addrs {
		uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(a), Port: port})
		if err != nil {
			t.Fatal(err)
		}
		port = uc.LocalAddr().(*net.UDPAddr).Port
		c, err := udpbatch.New(uc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		out = append(out, c)
	}
	return out
}

// nat announces each local address as the public one of the map, as
// network.Sockets.Announced does for --nat-ip; an address not in it as itself.
func nat(m map[string]string) func(netip.Addr) []netip.Addr {
	return func(ip netip.Addr) []netip.Addr {
		if p, ok := m[ip.String()]; ok {
			return []netip.Addr{netip.MustParseAddr(p)}
		}
		return []netip.Addr{ip}
	}
}

// TestDirectSockets: direct SRTP is refused where a local candidate on the
// shared port could name two sockets (a NAT mapping every local address to
// one public one), since a pair there would find no route; allowed where
// each name is one socket's.
func TestDirectSockets(t *testing.T) {
	tests := []struct {
		name      string
		announced map[string]string
		wantErr   bool
	}{
		{"own addresses", nil, false},
		{"each pinned to its own public address", map[string]string{"127.0.0.1": "203.0.113.1", "127.0.0.2": "203.0.113.2"}, false},
		{"one public address for both", map[string]string{"127.0.0.1": "203.0.113.1", "127.0.0.2": "203.0.113.1"}, true},
		{"a public address that is the other's own", map[string]string{"127.0.0.1": "127.0.0.2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			socks, err := directSockets(batchedOn(t, "127.0.0.1", "127.0.0.2"), nat(tt.announced))
			if tt.wantErr {
				if !errors.Is(err, errDirectSRTP) {
					t.Fatalf("got %v, want an error wrapping errDirectSRTP", err)
				}
				return
			}
			if err != nil || len(socks) != 2 {
				t.Fatalf("got %d sockets, %v; want both", len(socks), err)
			}
		})
	}
	// Different ports never clash, whatever they are called.
	a, b := batchedOn(t, "127.0.0.1"), batchedOn(t, "127.0.0.2")
	if _, err := directSockets(append(a, b...), nat(map[string]string{"127.0.0.1": "203.0.113.1", "127.0.0.2": "203.0.113.1"})); err != nil {
		t.Fatalf("sockets on two ports: %v", err)
	}
}

// TestDirectRoute: a selected pair is routed to the one socket its local
// candidate names (by its own address or the NAT's public one), to the
// pair's remote address, relay candidates' included (a client behind
// TURN); pairs off the shared UDP port, and remote names that are no
// address, are not.
func TestDirectRoute(t *testing.T) {
	conns := batchedOn(t, "127.0.0.1", "127.0.0.2")
	socks, err := directSockets(conns, nat(map[string]string{"127.0.0.2": "203.0.113.2"}))
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(conns[0].LocalAddr().(*net.UDPAddr).Port)
	cand := func(typ webrtc.ICECandidateType, proto webrtc.ICEProtocol, addr string, port uint16) *webrtc.ICECandidate {
		return &webrtc.ICECandidate{Typ: typ, Protocol: proto, Address: addr, Port: port}
	}
	host := webrtc.ICECandidateTypeHost
	udp, tcp := webrtc.ICEProtocolUDP, webrtc.ICEProtocolTCP
	tests := []struct {
		name   string
		local  *webrtc.ICECandidate
		remote *webrtc.ICECandidate
		want   *udpbatch.Conn // nil: no route
	}{
		{"own address", cand(host, udp, "127.0.0.1", port), cand(host, udp, "127.0.0.9", 5000), conns[0]},
		{"NAT's public address", cand(host, udp, "203.0.113.2", port), cand(webrtc.ICECandidateTypePrflx, udp, "198.51.100.7", 6000), conns[1]},
		{"client behind TURN", cand(host, udp, "127.0.0.1", port), cand(webrtc.ICECandidateTypeRelay, udp, "127.0.0.5", 7000), conns[0]},
		{"replaced local address", cand(host, udp, "127.0.0.2", port), cand(host, udp, "127.0.0.9", 5000), nil},
		{"another port", cand(host, udp, "127.0.0.1", port+1), cand(host, udp, "127.0.0.9", 5000), nil},
		{"ICE-TCP", cand(host, tcp, "127.0.0.1", port), cand(webrtc.ICECandidateTypePrflx, tcp, "127.0.0.9", 5000), nil},
		{"local relay", cand(webrtc.ICECandidateTypeRelay, udp, "127.0.0.1", port), cand(host, udp, "127.0.0.9", 5000), nil},
		{"mDNS name", cand(host, udp, "127.0.0.1", port), cand(host, udp, "0b1d5a4e.local", 5000), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, to, ok := directRoute(&webrtc.ICECandidatePair{Local: tt.local, Remote: tt.remote}, socks)
			if tt.want == nil {
				if ok {
					t.Fatalf("routed to %v via %v, want no route", to, conn.LocalAddr())
				}
				return
			}
			want := netip.MustParseAddrPort(net.JoinHostPort(tt.remote.Address, strconv.Itoa(int(tt.remote.Port))))
			if !ok || conn != tt.want || to != want {
				t.Fatalf("got %v %v %v, want %v to %v", conn, to, ok, tt.want.LocalAddr(), want)
			}
		})
	}
}
