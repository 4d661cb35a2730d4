package sfu

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/sfu/udpbatch"
)

// directSocket is one batched socket of the shared UDP port, and the
// addresses the SFU's ICE candidates name it by: its own, or the 1:1 NAT's
// public ones in its place (network.Sockets.Announced).
type directSocket struct {
	conn  *udpbatch.Conn
	local netip.AddrPort // bound address, unmapped
	names []netip.Addr
}

// directSockets lists the batched sockets direct SRTP may send on. A stream
// that has gone direct can never go back to Pion's path (directsrtp.go), so
// direct SRTP must be able to send wherever ICE may put the pair: every
// local candidate on the shared UDP port must name exactly one socket. Two
// sockets on one port that a candidate could name alike (a NAT mapping
// with no local address, announcing one public address for several local
// ones; two unspecified sockets of one family) fail it, wrapping
// errDirectSRTP: the SFU then turns direct SRTP off for every connection,
// rather than let a pair on the wrong socket pause a stream.
func directSockets(batched []*udpbatch.Conn, announced func(netip.Addr) []netip.Addr) ([]directSocket, error) {
	out := make([]directSocket, 0, len(batched))
	for _, c := range batched {
		la, ok := c.LocalAddr().(*net.UDPAddr)
		if !ok {
			return nil, fmt.Errorf("%w: socket on %v is not UDP", errDirectSRTP, c.LocalAddr())
		}
		ap := la.AddrPort()
		ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
		d := directSocket{conn: c, local: ap, names: announced(ap.Addr())}
		for _, o := range out {
			if o.local.Port() == ap.Port() && o.overlaps(d) {
				return nil, fmt.Errorf("%w: sockets %v and %v on one port are named alike (%v, %v): a pair could not tell them apart",
					errDirectSRTP, o.local, ap, o.names, d.names)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// overlaps tells whether a candidate's address could name both s and o.
func (s directSocket) overlaps(o directSocket) bool {
	if s.local.Addr().IsUnspecified() || o.local.Addr().IsUnspecified() {
		return s.local.Addr().Is4() == o.local.Addr().Is4()
	}
	return slices.ContainsFunc(s.names, func(a netip.Addr) bool { return slices.Contains(o.names, a) })
}

// named tells whether a candidate of the address a (unmapped, no zone)
// is on s.
func (s directSocket) named(a netip.Addr) bool {
	if s.local.Addr().IsUnspecified() {
		return s.local.Addr().Is4() == a.Is4()
	}
	return slices.Contains(s.names, a)
}

// directRoute finds the shared socket and remote address of a selected
// pair. It declines pairs off the shared UDP socket (TCP, relayed) and
// ambiguous ones (several sockets on the pair's port and family, none bound
// to its address): a packet from the wrong source address would not match
// the pair ICE checked (RFC 8445 §7.2.5.2.1). directSockets made the
// sockets such that every local candidate the SFU gathers on the shared
// port names one, and a direct PeerConnection resolves no mDNS name
// (newPeerConnection): so a UDP pair of a direct connection always has a
// route.
func directRoute(pair *webrtc.ICECandidatePair, socks []directSocket) (*udpbatch.Conn, netip.AddrPort, bool) {
	if pair == nil || pair.Local == nil || pair.Remote == nil ||
		pair.Local.Protocol != webrtc.ICEProtocolUDP || pair.Local.Typ == webrtc.ICECandidateTypeRelay {
		return nil, netip.AddrPort{}, false
	}
	remote, err := netip.ParseAddr(pair.Remote.Address)
	if err != nil {
		return nil, netip.AddrPort{}, false // an mDNS name: not an address to send to
	}
	local, err := netip.ParseAddr(pair.Local.Address)
	if err != nil {
		return nil, netip.AddrPort{}, false
	}
	var found *udpbatch.Conn
	matches := 0
	for _, s := range socks {
		if s.local.Port() != pair.Local.Port || !s.named(local.Unmap().WithZone("")) {
			continue
		}
		found = s.conn
		matches++
	}
	if matches != 1 {
		return nil, netip.AddrPort{}, false
	}
	return found, netip.AddrPortFrom(remote.Unmap(), pair.Remote.Port), true
}
