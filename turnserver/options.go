package turnserver

import (
	"crypto/tls"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pion/transport/v5"
)

type config struct {
	listen     string
	packetConn net.PacketConn
	listener   net.Listener
	secret     string
	realm      string
	relayIP    netip.Addr
	relayBind  string
	peers      peers
	tls        *tls.Config
	quota      int
	net        transport.Net
	log        *slog.Logger
	now        func() time.Time
}

func defaultConfig() config {
	return config{
		realm: "switchboard",
		quota: 10,
		log:   slog.Default(),
		now:   time.Now,
	}
}

// Option configures a Server.
type Option func(*config)

// WithListen serves TURN on addr over both UDP and TCP (":3478").
func WithListen(addr string) Option { return func(c *config) { c.listen = addr } }

// WithPacketConn serves TURN over UDP on conn instead of a socket of its
// own (a vnet socket in tests). The server closes it.
func WithPacketConn(conn net.PacketConn) Option { return func(c *config) { c.packetConn = conn } }

// WithListener serves TURN over TCP on l instead of a socket of its own.
// The server closes it.
func WithListener(l net.Listener) Option { return func(c *config) { c.listener = l } }

// WithSecret sets the secret shared with whoever mints credentials (see
// Credentials); it is required.
func WithSecret(secret string) Option { return func(c *config) { c.secret = secret } }

// WithRealm sets the realm of the long-term credentials (RFC 8489 §9.2).
func WithRealm(realm string) Option { return func(c *config) { c.realm = realm } }

// WithRelayIP sets the relay address given to clients (XOR-RELAYED-ADDRESS,
// RFC 8656 §7.3): the host's public address behind a 1:1 NAT.
func WithRelayIP(ip netip.Addr) Option { return func(c *config) { c.relayIP = ip } }

// WithRelayBind sets the local address relay sockets bind to; by default
// the relay address when it is local, or every address.
func WithRelayBind(addr string) Option { return func(c *config) { c.relayBind = addr } }

// WithPeers sets the only addresses the relay sends to: the SFU's.
func WithPeers(p []Peer) Option { return func(c *config) { c.peers = append(peers(nil), p...) } }

// WithTLS also serves TURN over TLS (turns:) on the TCP port.
func WithTLS(cfg *tls.Config) Option { return func(c *config) { c.tls = cfg } }

// WithQuota caps the allocations each user holds at once (0: no cap).
func WithQuota(n int) Option { return func(c *config) { c.quota = n } }

// WithNet makes relay sockets on n (a pion/transport vnet in tests).
func WithNet(n transport.Net) Option { return func(c *config) { c.net = n } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }
