package rawudp

import (
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// TestConn: datagrams both ways between two Conns, with the sources
// net.UDPConn would give, over each address family; deadlines time reads
// out; a destination of the wrong family fails that write alone.
func TestConn(t *testing.T) {
	tests := []struct {
		name          string
		network       string
		local, peerIP net.IP
	}{
		{"IPv4", "udp4", net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 1)},
		{"IPv6", "udp6", net.IPv6loopback, net.IPv6loopback},
		{"IPv4 from a dual-stack socket", "udp", net.IPv6unspecified, net.IPv4(127, 0, 0, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := net.ListenUDP(tt.network, &net.UDPAddr{IP: tt.local})
			if err != nil {
				t.Skipf("no such socket here: %v", err)
			}
			defer func() { _ = raw.Close() }()
			c, err := NewConn(raw)
			if err != nil {
				t.Fatal(err)
			}
			peer, err := net.ListenUDP(tt.network, &net.UDPAddr{IP: tt.peerIP})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = peer.Close() }()
			peerIP, _ := netip.AddrFromSlice(tt.peerIP)
			to := netip.AddrPortFrom(peerIP.Unmap(), uint16(peer.LocalAddr().(*net.UDPAddr).Port))

			if n, err := c.WriteToAddrPort([]byte("ping"), to); err != nil || n != 4 {
				t.Fatalf("write: %d, %v", n, err)
			}
			buf := make([]byte, 100)
			_ = peer.SetReadDeadline(time.Now().Add(time.Second))
			if n, _, err := peer.ReadFromUDPAddrPort(buf); err != nil || string(buf[:n]) != "ping" {
				t.Fatalf("peer read %q, %v", buf[:n], err)
			}

			back := netip.AddrPortFrom(to.Addr(), uint16(raw.LocalAddr().(*net.UDPAddr).Port))
			if _, err := peer.WriteToUDPAddrPort([]byte("pong"), back); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			n, from, err := c.ReadFromAddrPort(buf)
			if err != nil || string(buf[:n]) != "pong" || from.Addr().Unmap() != to.Addr() || from.Port() != to.Port() {
				t.Fatalf("read %q from %v (%v), want \"pong\" from %v", buf[:n], from, err, to)
			}

			_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			if _, _, err := c.ReadFromAddrPort(buf); !os.IsTimeout(err) {
				t.Fatalf("read with nothing to read: %v, want a timeout", err)
			}
		})
	}
}

// TestWrongFamily: an IPv4 socket cannot send to an IPv6 address; the
// write says so, and the socket still works.
func TestWrongFamily(t *testing.T) {
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = raw.Close() }()
	c, err := NewConn(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteToAddrPort([]byte("x"), netip.MustParseAddrPort("[::1]:9")); err == nil {
		t.Fatal("an IPv6 destination from an IPv4 socket: no error")
	}
	if _, err := c.WriteTo([]byte("x"), raw.LocalAddr()); err != nil {
		t.Fatalf("the socket after a refused write: %v", err)
	}
}

// TestClosed: reads and writes on a closed socket fail as net.UDPConn's do.
func TestClosed(t *testing.T) {
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewConn(raw)
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.Close()
	if _, _, err := c.ReadFromAddrPort(make([]byte, 10)); err == nil {
		t.Fatal("read on a closed socket: no error")
	}
	if _, err := c.WriteToAddrPort([]byte("x"), netip.MustParseAddrPort("127.0.0.1:9")); err == nil {
		t.Fatal("write on a closed socket: no error")
	}
}

func BenchmarkWriteRead(b *testing.B) {
	raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer raw.Close()
	c, _ := NewConn(raw)
	self := raw.LocalAddr().(*net.UDPAddr).AddrPort()
	payload, buf := make([]byte, 1100), make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = c.WriteToAddrPort(payload, self)
		_, _, _ = c.ReadFromAddrPort(buf)
	}
}

// TestNet: Pion's ICE gathers on sockets the Net wraps, and sees the
// host's interfaces (loopback at least).
func TestNet(t *testing.T) {
	n, err := NewNet()
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if _, ok := c.(*Conn); !ok {
		t.Fatalf("ListenUDP gave a %T, want a *Conn", c)
	}
	ifs, err := n.Interfaces()
	if err != nil || len(ifs) == 0 {
		t.Fatalf("interfaces: %v, %v", ifs, err)
	}
	lo, err := n.InterfaceByIndex(ifs[0].Index)
	if err != nil || lo.Name != ifs[0].Name {
		t.Fatalf("interface %d: %v, %v", ifs[0].Index, lo, err)
	}
	if _, err := n.InterfaceByName(ifs[0].Name); err != nil {
		t.Fatal(err)
	}
}
