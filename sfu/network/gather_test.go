package network_test

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/sfu/network"
)

// candidate is one a=candidate line of a local description, in parts.
type candidate struct {
	proto, addr string
	port        int
	tcpType     string // "passive", "active", "" for UDP
}

// gather has a PeerConnection of an engine configured by c (and, when
// socks is not nil, gathering on socks through gate) gather its
// candidates, and returns them.
func gather(t *testing.T, c *network.Config, socks *network.Sockets, gate network.Gate) []candidate {
	t.Helper()
	se := webrtc.SettingEngine{}
	if err := c.Apply(&se); err != nil {
		t.Fatal(err)
	}
	if socks != nil {
		socks.Use(&se, gate)
	}
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.CreateDataChannel("d", nil); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-done
	var out []candidate
	for _, line := range strings.Split(pc.LocalDescription().SDP, "\n") {
		// a=candidate:FOUNDATION COMPONENT PROTO PRIORITY ADDR PORT typ TYPE [tcptype T]
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "a=candidate:"))
		if !strings.HasPrefix(line, "a=candidate:") || len(f) < 8 {
			continue
		}
		port, _ := strconv.Atoi(f[5])
		cand := candidate{proto: strings.ToLower(f[2]), addr: f[4], port: port}
		if i := slices.Index(f, "tcptype"); i >= 0 && i+1 < len(f) {
			cand.tcpType = f[i+1]
		}
		out = append(out, cand)
	}
	return out
}

func config(t *testing.T, opts ...network.Option) *network.Config {
	t.Helper()
	c, err := network.NewConfig(append([]network.Option{loopback}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// countingGate counts the connections the UDP mux hands out through it
// and the TCP mux's LocalAddr asked through it (ICE asks it to gather).
type countingGate struct{ udpConns, tcpAsked atomic.Int32 }

func (g *countingGate) GateUDP(m ice.UDPMux) ice.UDPMux { return countedUDPMux{m, g} }

func (g *countingGate) GateTCP(m *ice.TCPMuxDefault) ice.TCPMux { return countedTCPMux{m, g} }

type countedUDPMux struct {
	ice.UDPMux
	g *countingGate
}

func (m countedUDPMux) GetConn(ufrag string, addr net.Addr) (net.PacketConn, error) {
	m.g.udpConns.Add(1)
	return m.UDPMux.GetConn(ufrag, addr)
}

type countedTCPMux struct {
	*ice.TCPMuxDefault
	g *countingGate
}

func (m countedTCPMux) LocalAddr() net.Addr {
	m.g.tcpAsked.Add(1)
	return m.TCPMuxDefault.LocalAddr()
}

// TestUseSharedSockets: an engine that Use was applied to gathers on the
// shared ports, through the gate, with passive TCP candidates only.
func TestUseSharedSockets(t *testing.T) {
	c := config(t, network.WithUDPMux(0), network.WithICETCP(0))
	socks, err := c.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer socks.Close()
	var udpPort, tcpPort int
	for _, a := range socks.Addrs() {
		if a.Network == "udp" {
			udpPort = int(a.Local.Port())
		} else {
			tcpPort = int(a.Local.Port())
		}
	}
	for _, gated := range []bool{false, true} {
		g := &countingGate{}
		var gate network.Gate
		if gated {
			gate = g
		}
		cands := gather(t, c, socks, gate)
		var udp, tcp int
		for _, cand := range cands {
			switch {
			case cand.addr != "127.0.0.1":
				t.Errorf("candidate %+v off the ICE IPs", cand)
			case cand.proto == "udp" && cand.port == udpPort:
				udp++
			case cand.proto == "tcp" && cand.port == tcpPort && cand.tcpType == "passive":
				tcp++
			default:
				t.Errorf("candidate %+v: not on a shared port, or not passive", cand)
			}
		}
		if udp == 0 || tcp == 0 {
			t.Errorf("gated %v: %d UDP and %d TCP candidates on the shared ports in %+v", gated, udp, tcp, cands)
		}
		if gated && (g.udpConns.Load() == 0 || g.tcpAsked.Load() == 0) {
			t.Errorf("gathered past the gate: %d UDP connections and %d TCP address reads through it", g.udpConns.Load(), g.tcpAsked.Load())
		}
	}
}

// TestApply: an engine that gathers on sockets of its own follows the
// config: the NAT's public address in place of the local one (unless the
// mapping is pinned to another), the port range, the interfaces.
func TestApply(t *testing.T) {
	probe, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	low := probe.LocalAddr().(*net.UDPAddr).Port
	_ = probe.Close()
	tests := []struct {
		name  string
		opts  []network.Option
		check func(candidate) bool
		none  bool // no candidate at all
	}{
		{"loopback", nil, func(c candidate) bool { return c.addr == "127.0.0.1" }, false},
		{"1:1 NAT", []network.Option{network.WithNATMappings(mustNAT(t, "203.0.113.7"))},
			func(c candidate) bool { return c.addr == "203.0.113.7" }, false},
		{"NAT pinned elsewhere", []network.Option{network.WithNATMappings(mustNAT(t, "203.0.113.7/10.1.2.3"))},
			func(c candidate) bool { return c.addr == "127.0.0.1" }, false},
		{"port range", []network.Option{network.WithUDPPortRange(uint16(low), uint16(low+20))},
			func(c candidate) bool { return c.port >= low && c.port <= low+20 }, false},
		{"interface lo", []network.Option{network.WithICEInterfaces([]string{"lo"})},
			func(c candidate) bool { return c.addr == "127.0.0.1" }, false},
		{"no such interface", []network.Option{network.WithICEInterfaces([]string{"no-such-if0"})}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cands := gather(t, config(t, tt.opts...), nil, nil)
			if tt.none {
				if len(cands) != 0 {
					t.Fatalf("candidates %+v, want none", cands)
				}
				return
			}
			if len(cands) == 0 {
				t.Fatal("no candidate")
			}
			for _, c := range cands {
				if c.proto != "udp" || !tt.check(c) {
					t.Errorf("candidate %+v", c)
				}
			}
		})
	}
}
