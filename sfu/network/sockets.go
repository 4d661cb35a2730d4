package network

import (
	"errors"
	"net"
	"net/netip"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/sfu/udpbatch"
)

// Sockets are the listeners every PeerConnection shares (Config.Listen).
// A nil *Sockets is none: its methods do nothing and report nothing, so
// the packet path can flush it unconditionally.
type Sockets struct {
	once sync.Once
	udp  *ice.MultiUDPMuxDefault
	tcp  *ice.TCPMuxDefault
	// batched are the UDP mux's sockets when their writes are batched
	// (WithSendBatching); set while Listen opens the mux, read-only after.
	batched []*udpbatch.Conn
	nat     []NATMapping // for Addrs
}

// Gate wraps the shared muxes for the PeerConnections of one setting
// engine, so that each ICE connection they hand out passes through the
// caller's own filter: package sfu caps each participant's RTP SSRCs there
// (sfu/ssrccap.go), a per-participant policy this package knows nothing of,
// and with direct SRTP learns which ICE-TCP packet conn carries which
// client connection (sfu/directsrtp_tcp.go).
type Gate interface {
	GateUDP(ice.UDPMux) ice.UDPMux
	GateTCP(*ice.TCPMuxDefault) ice.TCPMux
}

// Use has se gather on the shared sockets, each mux wrapped by gate (nil:
// as they are). With ICE-TCP, the SFU's candidates are passive only: it
// never dials clients (RFC 6544 §4.5), and gathers TCP beside UDP.
func (s *Sockets) Use(se *webrtc.SettingEngine, gate Gate) {
	if s == nil {
		return
	}
	if s.udp != nil {
		var m ice.UDPMux = s.udp
		if gate != nil {
			m = gate.GateUDP(m)
		}
		se.SetICEUDPMux(m)
	}
	if s.tcp != nil {
		var m ice.TCPMux = s.tcp
		if gate != nil {
			m = gate.GateTCP(s.tcp)
		}
		se.SetICETCPMux(m)
		se.DisableActiveTCP(true)
		se.SetNetworkTypes([]webrtc.NetworkType{
			webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6,
		})
	}
}

// SharesUDP tells whether every PeerConnection that Use was applied to
// receives on the one UDP port (WithUDPMux).
func (s *Sockets) SharesUDP() bool { return s != nil && s.udp != nil }

// SharesTCP tells whether every PeerConnection that Use was applied to
// accepts ICE-TCP on the one TCP port (WithICETCP), through the gate's
// GateTCP.
func (s *Sockets) SharesTCP() bool { return s != nil && s.tcp != nil }

// Flush sends the writes queued on the batched sockets: called once a
// packet has been fanned out to every subscriber, so that the fan-out
// leaves in one system call per socket.
func (s *Sockets) Flush() {
	if s == nil {
		return
	}
	for _, c := range s.batched {
		c.Flush()
	}
}

// Batched lists the UDP mux's batched sockets (none without batching): the
// sockets a writer past Pion's ICE (sfu's direct SRTP) queues on.
func (s *Sockets) Batched() []*udpbatch.Conn {
	if s == nil {
		return nil
	}
	return s.batched
}

// Sent sums the batched sockets' sendmmsg calls and the datagrams they
// carried.
func (s *Sockets) Sent() (calls, datagrams uint64) {
	for _, c := range s.Batched() {
		n, d := c.Sent()
		calls += n
		datagrams += d
	}
	return calls, datagrams
}

// Close closes the shared sockets; calls after the first do nothing.
func (s *Sockets) Close() error {
	if s == nil {
		return nil
	}
	var err error
	s.once.Do(func() {
		if s.udp != nil {
			err = s.udp.Close()
		}
		if s.tcp != nil {
			err = errors.Join(err, s.tcp.Close())
		}
	})
	return err
}

// MediaAddr is one shared socket the SFU receives media on.
type MediaAddr struct {
	Network string         // "udp" or "tcp"
	Local   netip.AddrPort // the address the socket is bound to
	// Announced are the addresses the SFU's candidates name for Local: the
	// 1:1 NAT's public addresses, or Local's own address.
	Announced []netip.Addr
}

// Addrs lists the shared sockets, UDP first; it is empty when every
// PeerConnection has ports of its own. The embedded TURN server relays to
// these and nothing else.
func (s *Sockets) Addrs() []MediaAddr {
	if s == nil {
		return nil
	}
	var out []MediaAddr
	add := func(network string, a net.Addr) {
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		out = append(out, MediaAddr{Network: network, Local: ap, Announced: s.announced(ap.Addr())})
	}
	if s.udp != nil {
		for _, a := range s.udp.GetListenAddresses() {
			add("udp", a)
		}
	}
	if s.tcp != nil {
		add("tcp", s.tcp.LocalAddr())
	}
	return out
}

// Announced returns the addresses the SFU's candidates name for a socket
// bound to the local address ip: the 1:1 NAT's public addresses that map
// it, or ip itself.
func (s *Sockets) Announced(ip netip.Addr) []netip.Addr {
	if s == nil {
		return []netip.Addr{ip}
	}
	return s.announced(ip)
}

// announced returns the addresses candidates name for the local address ip.
func (s *Sockets) announced(ip netip.Addr) []netip.Addr {
	var pub []netip.Addr
	for _, m := range s.nat {
		if m.Maps(ip) {
			pub = append(pub, m.Public)
		}
	}
	if len(pub) == 0 {
		return []netip.Addr{ip}
	}
	return pub
}
