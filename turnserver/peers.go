package turnserver

import (
	"fmt"
	"net"
	"net/netip"
)

// Peer is a set of addresses the relay may send to: the SFU's media
// sockets. Relaying to anything else is refused, so that the TURN server
// cannot be used to reach other services of the host or its network (the
// risk RFC 8656 §21.3 warns of).
type Peer struct {
	// IP is the address clients name: the one in the SFU's ICE candidates,
	// such as a 1:1 NAT's public address.
	IP netip.Addr
	// Local, when valid, is where the socket really is on this host. The
	// relay sends there instead of to IP and reports packets from there as
	// from IP, so relayed media never needs the cloud NAT to hairpin it
	// back to the host it came from (RFC 4787 §6).
	Local netip.Addr
	// MinPort and MaxPort bound the SFU's ports (one port with a UDP mux).
	MinPort, MaxPort uint16
}

func (p Peer) String() string {
	s := fmt.Sprintf("%s:%d-%d", p.IP, p.MinPort, p.MaxPort)
	if p.Local.IsValid() && p.Local != p.IP {
		s += " (local " + p.Local.String() + ")"
	}
	return s
}

func (p Peer) validate() error {
	if !p.IP.IsValid() || p.MinPort == 0 || p.MaxPort < p.MinPort {
		return fmt.Errorf("%w: %v", ErrBadPeer, p)
	}
	return nil
}

func (p Peer) local() netip.Addr {
	if p.Local.IsValid() {
		return p.Local
	}
	return p.IP
}

func (p Peer) hasPort(port uint16) bool { return port >= p.MinPort && port <= p.MaxPort }

// peers is the relay's allow-list.
type peers []Peer

// permits tells whether a client may create a permission or bind a channel
// to ip (RFC 8656 §9): only the SFU's addresses.
func (ps peers) permits(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	for _, p := range ps {
		if a == p.IP || a == p.local() {
			return true
		}
	}
	return false
}

// route returns where a packet a client sends to dst must really go.
func (ps peers) route(dst netip.AddrPort) (netip.AddrPort, bool) {
	ip := dst.Addr().Unmap()
	for _, p := range ps {
		if (ip == p.IP || ip == p.local()) && p.hasPort(dst.Port()) {
			return netip.AddrPortFrom(p.local(), dst.Port()), true
		}
	}
	return netip.AddrPort{}, false
}

// announce returns the address a client knows src by, when src is one of
// the SFU's sockets.
func (ps peers) announce(src netip.AddrPort) (netip.AddrPort, bool) {
	ip := src.Addr().Unmap()
	for _, p := range ps {
		if (ip == p.local() || ip == p.IP) && p.hasPort(src.Port()) {
			return netip.AddrPortFrom(p.IP, src.Port()), true
		}
	}
	return netip.AddrPort{}, false
}
