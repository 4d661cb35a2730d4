package turnserver

import (
	"net"
	"net/netip"
	"strconv"

	"github.com/pion/transport/v5"
	"github.com/pion/turn/v5"
)

// relayGenerator makes each allocation's relay socket (RFC 8656 §7.2) and
// wraps it in peerConn, which talks only to the SFU. (pion/turn's
// RelayAddressGeneratorStatic would do, but it rewrites the socket's own
// local address in place, which breaks vnet sockets.)
type relayGenerator struct {
	net     transport.Net
	bind    string     // local address relay sockets listen on
	relayIP netip.Addr // the address given to clients
	peers   peers
}

func (g *relayGenerator) Validate() error { return nil }

func (g *relayGenerator) AllocatePacketConn(c turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	conn, err := g.net.ListenPacket(c.Network, net.JoinHostPort(g.bind, strconv.Itoa(c.RequestedPort)))
	if err != nil {
		return nil, nil, err
	}
	local, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		_ = conn.Close()
		return nil, nil, errNotPeer
	}
	relayed := net.UDPAddrFromAddrPort(netip.AddrPortFrom(g.relayIP, uint16(local.Port)))
	return &peerConn{PacketConn: conn, peers: g.peers}, relayed, nil
}

func (g *relayGenerator) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errTCPRelay
}

func (g *relayGenerator) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, errTCPRelay
}

// peerConn is a relay socket that sends only to the SFU's sockets and
// hears only from them. The permission handler already refuses other
// addresses; this also holds the ports to the SFU's, and maps a 1:1 NAT's
// public address to the local one (Peer.Local).
type peerConn struct {
	net.PacketConn
	peers peers
}

func (c *peerConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	to, ok := c.peers.route(addrPort(addr))
	if !ok {
		return 0, errNotPeer
	}
	return c.PacketConn.WriteTo(b, net.UDPAddrFromAddrPort(to))
}

func (c *peerConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			return n, addr, err
		}
		if from, ok := c.peers.announce(addrPort(addr)); ok {
			return n, net.UDPAddrFromAddrPort(from), nil
		}
		// Anything else reaching the relay port is dropped here, before it
		// could be relayed to a client.
	}
}

// addrPort converts without allocating for UDP addresses (every packet
// passes here); anything unparsable becomes the zero value, which no peer
// matches.
func addrPort(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}
