package main

import (
	"net"
	"net/netip"

	"github.com/switchboard-rtc/switchboard/sfu/network"
	"github.com/switchboard-rtc/switchboard/turnserver"
)

// relayIP is the address the embedded TURN server gives clients as their
// relay: --turn-relay-ip, else the 1:1 NAT's public address, else the
// address TURN listens on, the first --ice-ips address, or the host's first
// address that is not loopback.
func (c *internetConfig) relayIP(iceIPs []string) (netip.Addr, error) {
	var candidates []string
	candidates = append(candidates, c.turnRelayIP)
	for _, n := range c.natIPs {
		candidates = append(candidates, n.Public.String())
	}
	if host, _, err := net.SplitHostPort(c.turnListen); err == nil {
		candidates = append(candidates, host)
	}
	candidates = append(candidates, iceIPs...)
	for _, s := range candidates {
		if ip, err := netip.ParseAddr(s); err == nil && !ip.IsUnspecified() {
			return ip.Unmap(), nil
		}
	}
	for _, ip := range hostIPs() {
		if !ip.IsLoopback() && ip.Is4() {
			return ip, nil
		}
	}
	return netip.Addr{}, errNoRelayIP
}

// turnPeers lists the SFU's media sockets for the TURN relay: the UDP mux's
// addresses, or the UDP port range on the SFU's addresses. Each is known by
// the address its candidates announce (the 1:1 NAT's public one) and
// reached locally.
func turnPeers(c *internetConfig, iceIPs []string, media []network.MediaAddr) ([]turnserver.Peer, error) {
	var peers []turnserver.Peer
	for _, m := range media {
		if m.Network != "udp" {
			continue
		}
		for _, a := range m.Announced {
			peers = append(peers, turnserver.Peer{IP: a, Local: m.Local.Addr(), MinPort: m.Local.Port(), MaxPort: m.Local.Port()})
		}
	}
	if len(peers) > 0 || !c.udpPortRange.set() {
		return peers, nil
	}
	var locals []netip.Addr
	for _, s := range iceIPs {
		if ip, err := netip.ParseAddr(s); err == nil {
			locals = append(locals, ip.Unmap())
		}
	}
	if len(locals) == 0 {
		locals = hostIPs()
	}
	r := c.udpPortRange
	for _, l := range locals {
		peers = append(peers, turnserver.Peer{IP: l, MinPort: r.min, MaxPort: r.max})
	}
	for _, n := range c.natIPs {
		local := n.Local
		if !local.IsValid() {
			local = firstOfFamily(locals, n.Public.Is4())
		}
		peers = append(peers, turnserver.Peer{IP: n.Public, Local: local, MinPort: r.min, MaxPort: r.max})
	}
	return peers, nil
}

func firstOfFamily(ips []netip.Addr, v4 bool) netip.Addr {
	for _, ip := range ips {
		if ip.Is4() == v4 && !ip.IsLoopback() {
			return ip
		}
	}
	return netip.Addr{}
}

// hostIPs are the host's own addresses.
func hostIPs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && !ip.IsLinkLocalUnicast() {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out
}
