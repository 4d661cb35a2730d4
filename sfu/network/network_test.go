package network_test

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/transport/v5/stdnet"
	"github.com/switchboard-rtc/switchboard/sfu/network"
	"github.com/switchboard-rtc/switchboard/sfu/udpbatch"
)

// loopback keeps every socket of a test on 127.0.0.1.
var loopback = network.WithICEIPs([]string{"127.0.0.1"})

// listen opens the shared sockets of opts (on loopback), closed when the
// test ends.
func listen(t *testing.T, opts ...network.Option) *network.Sockets {
	t.Helper()
	c, err := network.NewConfig(append([]network.Option{loopback}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestNetworkOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    []network.Option
		wantErr error
		check   func(*testing.T, []network.MediaAddr)
	}{
		{"no shared sockets by default", nil, nil, func(t *testing.T, m []network.MediaAddr) {
			if len(m) != 0 {
				t.Errorf("media addresses %v", m)
			}
		}},
		{"one UDP port the system picks, one TCP port", []network.Option{network.WithUDPMux(0), network.WithICETCP(0)}, nil, func(t *testing.T, m []network.MediaAddr) {
			if len(m) != 2 || m[0].Network != "udp" || m[0].Local.Addr() != netip.MustParseAddr("127.0.0.1") || m[0].Local.Port() == 0 || m[1].Network != "tcp" {
				t.Errorf("media addresses %+v", m)
			}
		}},
		{"announced through a 1:1 NAT", []network.Option{network.WithUDPMux(0), network.WithNATMappings(mustNAT(t, "203.0.113.7"))}, nil, func(t *testing.T, m []network.MediaAddr) {
			if len(m) != 1 || len(m[0].Announced) != 1 || m[0].Announced[0] != netip.MustParseAddr("203.0.113.7") {
				t.Errorf("media addresses %+v", m)
			}
		}},
		{"pinned to another local address", []network.Option{network.WithUDPMux(0), network.WithNATMappings(mustNAT(t, "203.0.113.7/10.1.2.3"))}, nil, func(t *testing.T, m []network.MediaAddr) {
			if len(m) != 1 || m[0].Announced[0] != netip.MustParseAddr("127.0.0.1") {
				t.Errorf("a mapping for 10.1.2.3 changed 127.0.0.1: %+v", m)
			}
		}},
		{"the last NAT option wins", []network.Option{network.WithUDPMux(0), network.WithNATMappings(mustNAT(t, "203.0.113.7")), network.WithNATMappings(mustNAT(t, "198.51.100.9"))}, nil, func(t *testing.T, m []network.MediaAddr) {
			if len(m) != 1 || len(m[0].Announced) != 1 || m[0].Announced[0] != netip.MustParseAddr("198.51.100.9") {
				t.Errorf("media addresses %+v", m)
			}
		}},
		{"NAT mapping across families", []network.Option{network.WithNATMappings(network.NATMapping{Public: netip.MustParseAddr("203.0.113.7"), Local: netip.MustParseAddr("::1")})}, network.ErrBadConfig, nil},
		{"NAT mapping without a public address", []network.Option{network.WithNATMappings(network.NATMapping{})}, network.ErrBadConfig, nil},
		{"port out of range", []network.Option{network.WithUDPMux(70000)}, network.ErrBadConfig, nil},
		{"TCP port out of range", []network.Option{network.WithICETCP(-1)}, network.ErrBadConfig, nil},
		{"port range upside down", []network.Option{network.WithUDPPortRange(50010, 50000)}, network.ErrBadConfig, nil},
		{"bad ICE IP", []network.Option{network.WithICEIPs([]string{"localhost"})}, network.ErrBadICEIP, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := network.NewConfig(append([]network.Option{loopback}, tt.opts...)...)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Listen()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			tt.check(t, s.Addrs())
		})
	}
}

// TestPortTaken: a shared port another socket holds fails Listen, which
// closes what it had opened already (the UDP port, when ICE-TCP's is
// taken) so that the port is free for the next try.
func TestPortTaken(t *testing.T) {
	loop := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	udp, err := net.ListenUDP("udp4", loop)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	tcp, err := net.ListenTCP("tcp", &net.TCPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	takenUDP, takenTCP := udp.LocalAddr().(*net.UDPAddr).Port, tcp.Addr().(*net.TCPAddr).Port

	for _, opts := range [][]network.Option{
		{network.WithUDPMux(takenUDP)},
		{network.WithUDPMux(takenUDP), network.WithSendBatching(false)},
		{network.WithICETCP(takenTCP)},
	} {
		c, err := network.NewConfig(append([]network.Option{loopback}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Listen(); !errors.Is(err, network.ErrBadConfig) {
			t.Fatalf("port taken: err = %v, want %v", err, network.ErrBadConfig)
		}
	}

	// A UDP port free a moment ago, taken by the mux, then given back
	// when ICE-TCP's port turns out taken.
	probe, err := net.ListenUDP("udp4", loop)
	if err != nil {
		t.Fatal(err)
	}
	port := probe.LocalAddr().(*net.UDPAddr).Port
	_ = probe.Close()
	c, err := network.NewConfig(loopback, network.WithUDPMux(port), network.WithICETCP(takenTCP))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Listen(); !errors.Is(err, network.ErrBadConfig) {
		t.Fatalf("ICE-TCP port taken: err = %v, want %v", err, network.ErrBadConfig)
	}
	again, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loop.IP, Port: port})
	if err != nil {
		t.Fatalf("the UDP port of a failed Listen is still taken: %v", err)
	}
	_ = again.Close()
}

// TestBatchedSockets: the shared UDP port's writes are queued and leave in
// sendmmsg batches, counted by Sent, sent at Flush without waiting for the
// batch's delay; Close closes the batched socket with the mux, once.
func TestBatchedSockets(t *testing.T) {
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	to := sink.LocalAddr().(*net.UDPAddr).AddrPort()

	c, err := network.NewConfig(loopback, network.WithUDPMux(0))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Listen()
	if err != nil {
		t.Fatal(err)
	}
	batched := s.Batched()
	if len(batched) != 1 || !s.SharesUDP() {
		t.Fatalf("%d batched sockets on 127.0.0.1, want 1", len(batched))
	}
	const n = 5
	for i := range n {
		if _, err := batched[0].WriteToAddrPort([]byte{byte(i)}, to); err != nil {
			t.Fatal(err)
		}
	}
	s.Flush()
	_ = sink.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 16)
	for i := range n {
		if m, err := sink.Read(b); err != nil || m != 1 || b[0] != byte(i) {
			t.Fatalf("datagram %d: %v %v, want [%d]", i, b[:m], err, i)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Counted once the system call returns: after Close, which waits for
	// the sender, every send is.
	if calls, datagrams := s.Sent(); calls == 0 || calls > n || datagrams != n {
		t.Errorf("Sent() = %d calls, %d datagrams; want %d datagrams in 1 to %d calls", calls, datagrams, n, n)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := batched[0].WriteToAddrPort([]byte{0}, to); !errors.Is(err, udpbatch.ErrClosed) {
		t.Fatalf("write after Close: %v, want %v", err, udpbatch.ErrClosed)
	}
}

// TestUnbatched: no batched socket without batching, on a Net of the
// caller's (vnet in tests), or without the shared UDP port; such Sockets,
// and none at all, flush and count nothing.
func TestUnbatched(t *testing.T) {
	std, err := stdnet.NewNet()
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string][]network.Option{
		"batching off": {network.WithUDPMux(0), network.WithSendBatching(false)},
		"own Net":      {network.WithUDPMux(0), network.WithNet(std)},
		"ICE-TCP only": {network.WithICETCP(0)},
		"no sockets":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			s := listen(t, opts...)
			s.Flush()
			if calls, datagrams := s.Sent(); len(s.Batched()) != 0 || calls != 0 || datagrams != 0 {
				t.Fatalf("%d batched sockets, %d calls, %d datagrams", len(s.Batched()), calls, datagrams)
			}
			if got, want := s.SharesUDP(), len(opts) > 0 && name != "ICE-TCP only"; got != want {
				t.Errorf("SharesUDP() = %v, want %v", got, want)
			}
		})
	}
}
