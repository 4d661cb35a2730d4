package turnserver

import (
	"errors"
	"fmt"
	"net"

	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/turn/v5"
)

// Server is a running TURN server.
type Server struct {
	turn    *turn.Server
	udp     net.Addr
	tcp     net.Addr
	tls     bool
	relayIP string
}

// New starts a TURN server. It needs a secret, somewhere to listen (WithListen,
// WithPacketConn or WithListener), a relay address and the SFU's peers.
func New(opts ...Option) (*Server, error) {
	c := defaultConfig()
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if err := c.open(); err != nil {
		return nil, err
	}
	bind := c.bindAddress()
	if c.net == nil {
		n, err := stdnet.NewNet()
		if err != nil {
			c.closeSockets()
			return nil, fmt.Errorf("turnserver: %w", err)
		}
		c.net = n
	}
	gen := &relayGenerator{net: c.net, bind: bind, relayIP: c.relayIP, peers: c.peers}
	q := newQuota(c.quota)
	sc := turn.ServerConfig{
		Realm:        c.realm,
		AuthHandler:  authHandler(c.secret, c.now, c.log),
		QuotaHandler: q.allow,
		EventHandler: turn.EventHandler{OnAllocationCreated: q.created, OnAllocationDeleted: q.deleted},
	}
	permit := func(_ net.Addr, ip net.IP) bool {
		if c.peers.permits(ip) {
			return true
		}
		c.log.Info("turn: refused a permission for an address that is not the SFU's", "peer", ip)
		return false
	}
	s := &Server{tls: c.tls != nil, relayIP: c.relayIP.String()}
	if c.packetConn != nil {
		sc.PacketConnConfigs = []turn.PacketConnConfig{{PacketConn: c.packetConn, RelayAddressGenerator: gen, PermissionHandler: permit}}
		s.udp = c.packetConn.LocalAddr()
	}
	if c.listener != nil {
		l := c.listener
		if c.tls != nil {
			l = &sniffListener{Listener: l, config: c.tls}
		}
		sc.ListenerConfigs = []turn.ListenerConfig{{Listener: l, RelayAddressGenerator: gen, PermissionHandler: permit}}
		s.tcp = c.listener.Addr()
	}
	srv, err := turn.NewServer(sc)
	if err != nil {
		c.closeSockets()
		return nil, fmt.Errorf("turnserver: %w", err)
	}
	s.turn = srv
	c.log.Info("TURN server listening", "udp", s.udp, "tcp", s.tcp, "tls", s.tls, "relay", s.relayIP, "peers", fmt.Sprint(c.peers))
	return s, nil
}

// UDPAddr is the address TURN is served on over UDP, or nil.
func (s *Server) UDPAddr() net.Addr { return s.udp }

// TCPAddr is the address TURN is served on over TCP (and TLS), or nil.
func (s *Server) TCPAddr() net.Addr { return s.tcp }

// TLS tells whether the TCP port also speaks TURN over TLS.
func (s *Server) TLS() bool { return s.tls }

// Allocations is the number of allocations currently held.
func (s *Server) Allocations() int { return s.turn.AllocationCount() }

// Close ends every allocation and closes the sockets.
func (s *Server) Close() error {
	err := s.turn.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (c *config) validate() error {
	if c.secret == "" {
		return ErrNoSecret
	}
	if c.listen == "" && c.packetConn == nil && c.listener == nil {
		return ErrNoListener
	}
	if !c.relayIP.IsValid() {
		return ErrNoRelayIP
	}
	if len(c.peers) == 0 {
		return ErrNoPeers
	}
	for _, p := range c.peers {
		if err := p.validate(); err != nil {
			return err
		}
	}
	return nil
}

// open listens on c.listen over UDP and TCP where no socket was given.
func (c *config) open() error {
	if c.listen == "" {
		return nil
	}
	if c.packetConn == nil {
		pc, err := net.ListenPacket("udp", c.listen)
		if err != nil {
			return fmt.Errorf("turnserver: %w", err)
		}
		c.packetConn = pc
	}
	if c.listener == nil {
		// The same port over TCP, also when the UDP port was chosen by the
		// system.
		addr := c.listen
		if u, ok := c.packetConn.LocalAddr().(*net.UDPAddr); ok {
			host, _, _ := net.SplitHostPort(c.listen)
			addr = net.JoinHostPort(host, fmt.Sprint(u.Port))
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			_ = c.packetConn.Close()
			return fmt.Errorf("turnserver: %w", err)
		}
		c.listener = l
	}
	return nil
}

func (c *config) closeSockets() {
	if c.packetConn != nil {
		_ = c.packetConn.Close()
	}
	if c.listener != nil {
		_ = c.listener.Close()
	}
}

// bindAddress is where relay sockets listen: the relay address if it is one
// of the host's, every address otherwise (behind a 1:1 NAT, the public
// address is not).
func (c *config) bindAddress() string {
	if c.relayBind != "" {
		return c.relayBind
	}
	// A vnet host has only the addresses it was given.
	if c.net != nil || isLocal(c.relayIP.AsSlice()) {
		return c.relayIP.String()
	}
	if c.relayIP.Is4() {
		return "0.0.0.0"
	}
	return "::"
}

func isLocal(ip net.IP) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}
