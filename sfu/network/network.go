// Package network is where the SFU's PeerConnections meet the network:
// which addresses and ports they gather ICE candidates on, the public
// addresses of a 1:1 NAT they announce instead of the host's own
// (NATMapping, parsed once at the flag), and the sockets every
// PeerConnection shares: one UDP port (a mux whose writes leave in batches,
// package udpbatch) and one ICE-TCP port.
//
// It knows nothing of participants. Package sfu builds one Config from its
// options, applies it to each of its setting engines (Config.Apply), opens
// the shared sockets once (Config.Listen) and has its participants'
// engines gather on them through its own per-connection policy, the SSRC
// cap (Sockets.Use with a Gate).
package network

import (
	"fmt"
	"net"
	"slices"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
	"github.com/switchboard-rtc/switchboard/internal/iceaddr"
)

// Config says where PeerConnections gather ICE candidates and on which
// sockets: the settings a server on the internet needs (a 1:1 NAT's public
// address, one UDP port for everyone, ICE-TCP for networks that block UDP).
// NewConfig makes one; it is read-only after, so every setting engine of a
// server applies the same one.
type Config struct {
	interfaces []string
	nat        []NATMapping
	iceIPs     []string
	net        transport.Net // nil: the system's
	udpMux     bool
	udpPort    int
	portMin    uint16
	portMax    uint16
	tcp        bool
	tcpPort    int
	batchSends bool

	// Worked out by NewConfig from iceIPs, once for every engine.
	filter   func(net.IP) bool
	loopback bool
}

// NewConfig applies opts in order (a later option wins over an earlier one
// of its kind) and checks what can be checked before any socket is open, so
// that a bad option fails the server's start rather than its first
// PeerConnection.
func NewConfig(opts ...Option) (*Config, error) {
	c := &Config{batchSends: true}
	for _, o := range opts {
		o(c)
	}
	for _, p := range []int{c.udpPort, c.tcpPort} {
		if p < 0 || p > 65535 {
			return nil, fmt.Errorf("%w: port %d out of range", ErrBadConfig, p)
		}
	}
	if c.portMax < c.portMin {
		return nil, fmt.Errorf("%w: UDP port range %d-%d", ErrBadConfig, c.portMin, c.portMax)
	}
	var err error
	if c.filter, c.loopback, err = iceaddr.Filter(c.iceIPs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadICEIP, err)
	}
	for _, m := range c.nat {
		// Pion would announce the mapping on no candidate, silently.
		if !m.Public.IsValid() || m.Local.IsValid() && m.Local.Is4() != m.Public.Is4() {
			return nil, fmt.Errorf("%w: NAT mapping %v", ErrBadConfig, m)
		}
	}
	return c, nil
}

// Apply configures se to gather where c says: on the addresses and
// interfaces allowed, announcing the NAT's public addresses, on ports of
// the range when PeerConnections take ports of their own. It applies to
// every engine, whether its PeerConnections gather on the shared sockets
// (Sockets.Use) or on their own.
func (c *Config) Apply(se *webrtc.SettingEngine) error {
	if c.filter != nil {
		se.SetIPFilter(c.filter)
	}
	if c.loopback {
		se.SetIncludeLoopbackCandidate(true)
		// Loopback-only runs (tests, one machine) have no LAN to ask.
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	if f := c.interfaceFilter(); f != nil {
		se.SetInterfaceFilter(f)
	}
	if err := c.applyNAT(se); err != nil {
		return err
	}
	if c.portMin != 0 || c.portMax != 0 {
		if err := se.SetEphemeralUDPPortRange(c.portMin, c.portMax); err != nil {
			return fmt.Errorf("%w: UDP port range %d-%d", ErrBadConfig, c.portMin, c.portMax)
		}
	}
	return nil
}

// interfaceFilter keeps the interfaces of WithICEInterfaces; nil: all.
func (c *Config) interfaceFilter() func(string) bool {
	if len(c.interfaces) == 0 {
		return nil
	}
	return func(name string) bool { return slices.Contains(c.interfaces, name) }
}

// applyNAT announces the 1:1 NAT's public addresses in place of the local
// ones in host candidates (so clients need no STUN to find the server).
func (c *Config) applyNAT(se *webrtc.SettingEngine) error {
	if len(c.nat) == 0 {
		return nil
	}
	rules := make([]webrtc.ICEAddressRewriteRule, 0, len(c.nat))
	for _, m := range c.nat {
		rule := webrtc.ICEAddressRewriteRule{
			External: []string{m.Public.String()}, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace,
		}
		if m.Local.IsValid() {
			rule.Local = m.Local.String()
		}
		rules = append(rules, rule)
	}
	if err := se.SetICEAddressRewriteRules(rules...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	return nil
}

// Listen opens the shared sockets of WithUDPMux and WithICETCP. It returns
// nil, and no error, when there are none: each PeerConnection then takes
// sockets of its own, and every method of a nil *Sockets does nothing. On
// an error, whatever it opened is closed again.
func (c *Config) Listen() (*Sockets, error) {
	if !c.udpMux && !c.tcp {
		return nil, nil
	}
	s := &Sockets{nat: c.nat}
	if c.udpMux {
		if err := c.listenUDP(s); err != nil {
			return nil, err
		}
	}
	if c.tcp {
		if err := c.listenTCP(s); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

// listenUDP opens the one UDP port, on every address ICE may gather on.
func (c *Config) listenUDP(s *Sockets) error {
	opts := []ice.UDPMuxFromPortOption{ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4, ice.NetworkTypeUDP6)}
	if c.filter != nil {
		opts = append(opts, ice.UDPMuxFromPortWithIPFilter(c.filter))
	}
	if f := c.interfaceFilter(); f != nil {
		opts = append(opts, ice.UDPMuxFromPortWithInterfaceFilter(f))
	}
	if c.loopback {
		opts = append(opts, ice.UDPMuxFromPortWithLoopback())
	}
	switch {
	case c.net != nil:
		opts = append(opts, ice.UDPMuxFromPortWithNet(c.net))
	case c.batchSends:
		std, err := stdnet.NewNet()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadConfig, err)
		}
		opts = append(opts, ice.UDPMuxFromPortWithNet(batchingNet{Net: std, sockets: s}))
	}
	mux, err := ice.NewMultiUDPMuxFromPort(c.udpPort, opts...)
	if err != nil {
		return fmt.Errorf("%w: UDP port %d: %w", ErrBadConfig, c.udpPort, err)
	}
	s.udp = mux
	return nil
}

// listenTCP opens the ICE-TCP port. Passive candidates only: the SFU never
// dials clients, whose own TCP candidates are active (RFC 6544 §4.5).
func (c *Config) listenTCP(s *Sockets) error {
	addr := &net.TCPAddr{Port: c.tcpPort}
	var ln net.Listener
	var err error
	if c.net != nil {
		ln, err = c.net.ListenTCP("tcp", addr)
	} else {
		ln, err = net.ListenTCP("tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("%w: ICE-TCP port %d: %w", ErrBadConfig, c.tcpPort, err)
	}
	s.tcp = ice.NewTCPMuxDefault(ice.TCPMuxParams{Listener: ln, ReadBufferSize: 64})
	return nil
}
