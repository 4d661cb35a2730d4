package sfu

import (
	"net"
	"net/netip"
	"sync"

	"github.com/pion/ice/v4"
)

// tcpRoutes are the ICE-TCP packet conns of one direct-SRTP PeerConnection
// on the shared passive TCP port (RFC 6544 §4.5: the SFU only accepts), by
// the remote address of each TCP connection they carry, so that direct SRTP
// can follow a selected pair onto ICE-TCP (directsrtp_pc.go).
//
// Direct SRTP writes through the very packet conn Pion's ICE writes the
// pair's STUN, DTLS and SRTCP on (pion/ice's tcpPacketConn behind the
// mux's shared wrapper), never through a framing writer of its own on the
// raw net.Conn: that conn frames each packet with its RFC 4571 two-byte
// length and hands it to the connection in one Write, which Go's net
// package serialises against every other Write on the socket, so our
// packets and Pion's can neither interleave nor disagree on the framing.
//
// A remote address is learnt from the packets read from it: a TCP pair is
// selected only after ICE read the client's connectivity check on that
// connection (the first packet of every connection the mux accepts is one),
// and ICE reads through the wrapper (routedTCPConn), so the address is
// known before the pair is.
//
// The same reads feed the direct receive path (recv, when set): the
// publisher's SRTP on any of the connection's ICE-TCP connections is taken
// there, as recvDemux takes it from the shared UDP socket, so that a
// stream gone direct stays with the one receive context (and its rollover
// counter, RFC 3711 §3.3.1) when the publisher's pair moves between UDP
// and ICE-TCP: Pion's context, which saw only its first packets, would
// guess the counter wrong once 32 768 packets went by.
type tcpRoutes struct {
	mu   sync.Mutex
	by   map[netip.AddrPort]tcpRoute
	recv *directRecv
}

// tcpRoute is where packets for one remote TCP address go: the packet conn
// and the very net.Addr its connection reports, which the conn's table of
// connections is keyed by (its String form).
type tcpRoute struct {
	conn net.PacketConn
	to   net.Addr
}

func newTCPRoutes(recv *directRecv) *tcpRoutes {
	return &tcpRoutes{by: map[netip.AddrPort]tcpRoute{}, recv: recv}
}

// wrap records the remote addresses conn reads from, until it closes.
func (r *tcpRoutes) wrap(conn net.PacketConn) net.PacketConn {
	if r == nil {
		return conn
	}
	return &routedTCPConn{PacketConn: conn, routes: r}
}

// lookup finds the packet conn of the TCP connection from remote.
func (r *tcpRoutes) lookup(remote netip.AddrPort) (tcpRoute, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt, ok := r.by[remote]
	return rt, ok
}

func (r *tcpRoutes) add(a *net.TCPAddr, conn net.PacketConn) {
	ap := a.AddrPort()
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	r.mu.Lock()
	r.by[ap] = tcpRoute{conn: conn, to: a}
	r.mu.Unlock()
}

// forget drops every address of conn: ICE closed it (an ICE restart, the
// PeerConnection's end), and a later TCP connection may come from one of
// its addresses again.
func (r *tcpRoutes) forget(conn net.PacketConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ap, rt := range r.by {
		if rt.conn == conn {
			delete(r.by, ap)
		}
	}
}

// routedTCPConn is an ICE-TCP packet conn whose reads tell tcpRoutes where
// its connections come from. ICE reads it from one goroutine (its
// candidate's read loop), so last needs no lock.
type routedTCPConn struct {
	net.PacketConn
	routes *tcpRoutes
	last   *net.TCPAddr // the address last recorded; a pointer compare per packet
}

func (c *routedTCPConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			return n, addr, err
		}
		// A connection's RemoteAddr is one *net.TCPAddr for its life, so
		// the table is written once per connection, not per packet.
		if ta, ok := addr.(*net.TCPAddr); ok && ta != c.last {
			c.last = ta
			c.routes.add(ta, c.PacketConn)
		}
		// SRTP of a stream bound to a layer goes the direct way (it
		// decrypts into a buffer of its own: b is free again); the
		// rest, and what it declines, to Pion's ICE.
		if r := c.routes.recv; r == nil || !isSRTP(b[:n]) || !r.take(b[:n]) {
			return n, addr, err
		}
	}
}

func (c *routedTCPConn) Close() error {
	c.routes.forget(c.PacketConn)
	return c.PacketConn.Close()
}

// directGate is a direct-SRTP PeerConnection's gate on the shared sockets
// (network.Gate): the SFU's SSRC cap, and on ICE-TCP the record of the
// connection's packet conns by remote address.
type directGate struct {
	ssrcCap
	tcp *tcpRoutes
}

// GateTCP gates each ICE-TCP connection and records its remote addresses.
func (g directGate) GateTCP(m *ice.TCPMuxDefault) ice.TCPMux {
	return gatedTCPMux{mux: m, cap: g.ssrcCap, routes: g.tcp}
}
