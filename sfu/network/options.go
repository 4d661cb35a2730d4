package network

import "github.com/pion/transport/v5"

// Option configures a Config (NewConfig).
type Option func(*Config)

// WithNATMappings announces the public addresses of a 1:1 NAT in host
// candidates instead of the interface's own: a cloud host's public address
// (ParseNATMapping reads the flag's form). A later call replaces the
// mappings of an earlier one.
func WithNATMappings(m ...NATMapping) Option {
	return func(c *Config) { c.nat = m }
}

// WithUDPMux serves every PeerConnection on one UDP port (0: one the system
// chooses), so that a firewall in front of the SFU needs one rule; ICE tells
// the PeerConnections apart by their ICE username (RFC 8445 §7.3).
func WithUDPMux(port int) Option {
	return func(c *Config) { c.udpMux, c.udpPort = true, port }
}

// WithSendBatching batches the writes on the shared UDP port (WithUDPMux):
// the packets of one fan-out leave in one sendmmsg(2) instead of a system
// call per subscriber. On by default; it needs the system's own network
// (not WithNet's).
func WithSendBatching(on bool) Option {
	return func(c *Config) { c.batchSends = on }
}

// WithUDPPortRange makes each PeerConnection take its own UDP port from
// [min, max]: the alternative to WithUDPMux for firewalls that open a range.
func WithUDPPortRange(min, max uint16) Option {
	return func(c *Config) { c.portMin, c.portMax = min, max }
}

// WithICETCP accepts ICE over TCP (RFC 6544, passive candidates) on one TCP
// port for every PeerConnection (0: one the system chooses): the way in for
// networks that block UDP.
func WithICETCP(port int) Option {
	return func(c *Config) { c.tcp, c.tcpPort = true, port }
}

// WithICEInterfaces restricts ICE gathering to these network interfaces.
func WithICEInterfaces(names []string) Option {
	return func(c *Config) { c.interfaces = names }
}

// WithICEIPs restricts ICE gathering to these addresses. A loopback address
// in the list turns loopback candidates on (and multicast DNS off), which is
// how tests keep media on 127.0.0.1.
func WithICEIPs(ips []string) Option {
	return func(c *Config) { c.iceIPs = ips }
}

// WithNet opens the shared sockets on n (a pion/transport vnet in tests)
// instead of the system's network; their writes are then not batched.
func WithNet(n transport.Net) Option {
	return func(c *Config) { c.net = n }
}
