package sfu

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/internal/iceaddr"
	"github.com/switchboard-rtc/switchboard/sfu/udpbatch"
)

// networkConfig says where PeerConnections gather ICE candidates and on
// which sockets: the settings a server on the internet needs (a 1:1 NAT's
// public address, one UDP port for everyone, ICE-TCP for networks that block
// UDP). The shared sockets are opened by New and closed by Close.
type networkConfig struct {
	interfaces []string
	nat        []NATMapping
	udpMux     bool
	udpPort    int
	portMin    uint16
	portMax    uint16
	tcp        bool
	tcpPort    int
	batchSends bool
	sockets    *sharedSockets
	// ssrcs caps the SSRCs of participants' connections (ssrccap.go), on
	// the shared sockets and on the sockets of their own.
	ssrcs ssrcCap
}

// sharedSockets are the listeners every PeerConnection shares.
type sharedSockets struct {
	once sync.Once
	udp  *ice.MultiUDPMuxDefault
	tcp  *ice.TCPMuxDefault
	// batched are the UDP mux's sockets when their writes are batched
	// (WithSendBatching); set before the first PeerConnection, read-only
	// after.
	batched []*udpbatch.Conn
}

// flush sends the writes queued on the batched sockets: called once a
// packet has been fanned out to every subscriber.
func (s *sharedSockets) flush() {
	if s == nil {
		return
	}
	for _, c := range s.batched {
		c.Flush()
	}
}

// share allocates the shared sockets' holder while options are applied, so
// that every copy of the config points at the sockets apply opens later.
func (n *networkConfig) share() {
	if n.sockets == nil {
		n.sockets = &sharedSockets{}
	}
}

func (s *sharedSockets) close() {
	if s == nil {
		return
	}
	s.once.Do(func() {
		if s.udp != nil {
			_ = s.udp.Close()
		}
		if s.tcp != nil {
			_ = s.tcp.Close()
		}
	})
}

// WithNATMappings announces the public addresses of a 1:1 NAT in the SFU's
// host candidates instead of the interface's own: a cloud host's public
// address (ParseNATMapping reads the flag's form).
func WithNATMappings(m ...NATMapping) Option {
	return func(c *config) { c.network.nat = m }
}

// WithUDPMux serves every PeerConnection on one UDP port (0: one the system
// chooses), so that a firewall in front of the SFU needs one rule; ICE tells
// the PeerConnections apart by their ICE username (RFC 8445 §7.3).
func WithUDPMux(port int) Option {
	return func(c *config) {
		c.network.udpMux, c.network.udpPort = true, port
		c.network.share()
	}
}

// WithSendBatching batches the writes on the shared UDP port (WithUDPMux):
// the packets of one fan-out leave in one sendmmsg(2) instead of a system
// call per subscriber. On by default; it needs the system's own network
// (not WithNet's).
func WithSendBatching(on bool) Option {
	return func(c *config) { c.network.batchSends = on }
}

// WithUDPPortRange makes each PeerConnection take its own UDP port from
// [min, max]: the alternative to WithUDPMux for firewalls that open a range.
func WithUDPPortRange(min, max uint16) Option {
	return func(c *config) { c.network.portMin, c.network.portMax = min, max }
}

// WithICETCP accepts ICE over TCP (RFC 6544, passive candidates) on one TCP
// port for every PeerConnection (0: one the system chooses): the way in for
// networks that block UDP.
func WithICETCP(port int) Option {
	return func(c *config) {
		c.network.tcp, c.network.tcpPort = true, port
		c.network.share()
	}
}

// WithICEInterfaces restricts ICE gathering to these network interfaces.
func WithICEInterfaces(names []string) Option {
	return func(c *config) { c.network.interfaces = names }
}

// MediaAddr is one shared socket the SFU receives media on.
type MediaAddr struct {
	Network string         // "udp" or "tcp"
	Local   netip.AddrPort // the address the socket is bound to
	// Announced are the addresses the SFU's candidates name for Local: the
	// 1:1 NAT's public addresses, or Local's own address.
	Announced []netip.Addr
}

// MediaAddrs lists the shared sockets (WithUDPMux, WithICETCP); it is empty
// when every PeerConnection has ports of its own.
func (s *SFU) MediaAddrs() []MediaAddr {
	sock, n := s.cfg.network.sockets, &s.cfg.network
	if sock == nil {
		return nil
	}
	var out []MediaAddr
	add := func(network string, a net.Addr) {
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		out = append(out, MediaAddr{Network: network, Local: ap, Announced: n.announced(ap.Addr())})
	}
	if sock.udp != nil {
		for _, a := range sock.udp.GetListenAddresses() {
			add("udp", a)
		}
	}
	if sock.tcp != nil {
		add("tcp", sock.tcp.LocalAddr())
	}
	return out
}

// announced returns the addresses candidates name for the local address ip.
func (n *networkConfig) announced(ip netip.Addr) []netip.Addr {
	var pub []netip.Addr
	for _, m := range n.nat {
		if m.Maps(ip) {
			pub = append(pub, m.Public)
		}
	}
	if len(pub) == 0 {
		return []netip.Addr{ip}
	}
	return pub
}

// apply configures se and, when shared, opens the shared sockets (once) and
// gathers on them; otherwise each connection takes sockets of its own.
func (n *networkConfig) apply(se *webrtc.SettingEngine, cfg *config, shared bool) error {
	if err := n.validate(); err != nil {
		return err
	}
	filter, loopback, err := iceaddr.Filter(cfg.iceIPs)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadICEIP, err)
	}
	if filter != nil {
		se.SetIPFilter(filter)
	}
	if loopback {
		se.SetIncludeLoopbackCandidate(true)
		// Loopback-only runs (tests, one machine) have no LAN to ask.
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	var ifFilter func(string) bool
	if len(n.interfaces) > 0 {
		ifFilter = func(name string) bool { return slices.Contains(n.interfaces, name) }
		se.SetInterfaceFilter(ifFilter)
	}
	if err := n.applyNAT(se); err != nil {
		return err
	}
	if n.portMin != 0 || n.portMax != 0 {
		if err := se.SetEphemeralUDPPortRange(n.portMin, n.portMax); err != nil {
			return fmt.Errorf("%w: UDP port range %d-%d", ErrBadNetworkConfig, n.portMin, n.portMax)
		}
	}
	if !shared || !n.udpMux && !n.tcp {
		return nil
	}
	if n.udpMux {
		opts := []ice.UDPMuxFromPortOption{ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4, ice.NetworkTypeUDP6)}
		if filter != nil {
			opts = append(opts, ice.UDPMuxFromPortWithIPFilter(filter))
		}
		if ifFilter != nil {
			opts = append(opts, ice.UDPMuxFromPortWithInterfaceFilter(ifFilter))
		}
		if loopback {
			opts = append(opts, ice.UDPMuxFromPortWithLoopback())
		}
		switch {
		case cfg.net != nil:
			opts = append(opts, ice.UDPMuxFromPortWithNet(cfg.net))
		case n.batchSends:
			std, err := stdnet.NewNet()
			if err != nil {
				return fmt.Errorf("%w: %w", ErrBadNetworkConfig, err)
			}
			opts = append(opts, ice.UDPMuxFromPortWithNet(batchingNet{Net: std, sockets: n.sockets}))
		}
		mux, err := ice.NewMultiUDPMuxFromPort(n.udpPort, opts...)
		if err != nil {
			return fmt.Errorf("%w: UDP port %d: %w", ErrBadNetworkConfig, n.udpPort, err)
		}
		n.sockets.udp = mux
	}
	if n.tcp {
		if err := n.listenTCP(cfg); err != nil {
			n.sockets.close()
			return err
		}
	}
	n.sockets.use(se, n.ssrcs)
	return nil
}

// use has se gather on the shared sockets opened already, each
// participant's connection on them capped in its SSRCs.
func (s *sharedSockets) use(se *webrtc.SettingEngine, ssrcs ssrcCap) {
	if s.udp != nil {
		se.SetICEUDPMux(gatedUDPMux{UDPMux: s.udp, cap: ssrcs})
	}
	if s.tcp != nil {
		se.SetICETCPMux(gatedTCPMux{mux: s.tcp, cap: ssrcs})
		se.DisableActiveTCP(true)
		se.SetNetworkTypes([]webrtc.NetworkType{
			webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6,
		})
	}
}

// applyNAT announces the 1:1 NAT's public addresses in place of the local
// ones in host candidates (so clients need no STUN to find the server).
func (n *networkConfig) applyNAT(se *webrtc.SettingEngine) error {
	if len(n.nat) == 0 {
		return nil
	}
	rules := make([]webrtc.ICEAddressRewriteRule, 0, len(n.nat))
	for _, m := range n.nat {
		if !m.Public.IsValid() || m.Local.IsValid() && m.Local.Is4() != m.Public.Is4() {
			return fmt.Errorf("%w: NAT mapping %v", ErrBadNetworkConfig, m)
		}
		rule := webrtc.ICEAddressRewriteRule{
			External: []string{m.Public.String()}, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace,
		}
		if m.Local.IsValid() {
			rule.Local = m.Local.String()
		}
		rules = append(rules, rule)
	}
	if err := se.SetICEAddressRewriteRules(rules...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadNetworkConfig, err)
	}
	return nil
}

// listenTCP opens the ICE-TCP port. Passive candidates only: the SFU never
// dials clients, whose own TCP candidates are active (RFC 6544 §4.5).
func (n *networkConfig) listenTCP(cfg *config) error {
	addr := &net.TCPAddr{Port: n.tcpPort}
	var ln net.Listener
	var err error
	if cfg.net != nil {
		ln, err = cfg.net.ListenTCP("tcp", addr)
	} else {
		ln, err = net.ListenTCP("tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("%w: ICE-TCP port %d: %w", ErrBadNetworkConfig, n.tcpPort, err)
	}
	n.sockets.tcp = ice.NewTCPMuxDefault(ice.TCPMuxParams{Listener: ln, ReadBufferSize: 64})
	return nil
}

// ErrBadNetworkConfig reports network options that cannot work.
var ErrBadNetworkConfig = errors.New("sfu: bad network configuration")

// validate checks what apply cannot check before it opens sockets.
func (n *networkConfig) validate() error {
	for _, p := range []int{n.udpPort, n.tcpPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("%w: port %d out of range", ErrBadNetworkConfig, p)
		}
	}
	if n.portMax < n.portMin {
		return fmt.Errorf("%w: UDP port range %d-%d", ErrBadNetworkConfig, n.portMin, n.portMax)
	}
	return nil
}
