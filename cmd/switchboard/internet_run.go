package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/sfu/network"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
	"github.com/switchboard-rtc/switchboard/turnserver"
)

// sfuOptions are the SFU's ICE settings from the flags.
func (c *internetConfig) sfuOptions() []sfu.Option {
	opts := []sfu.Option{sfu.WithSendBatching(c.udpBatch), sfu.WithDirectSRTP(c.directSRTP)}
	if len(c.natIPs) > 0 {
		opts = append(opts, sfu.WithNATMappings([]network.NATMapping(c.natIPs)...))
	}
	switch {
	case c.udpPortRange.set():
		opts = append(opts, sfu.WithUDPPortRange(c.udpPortRange.min, c.udpPortRange.max))
	case c.udpPort != 0:
		opts = append(opts, sfu.WithUDPMux(c.udpPort))
	case c.turnListen != "" && !c.udpPortRange.set():
		// The embedded TURN server relays only to the SFU's own ports, so
		// they must be known: one UDP port the system picks.
		opts = append(opts, sfu.WithUDPMux(0))
	}
	if c.tcpPort != 0 {
		opts = append(opts, sfu.WithICETCP(c.tcpPort))
	}
	if len(c.iceInterfaces) > 0 {
		opts = append(opts, sfu.WithICEInterfaces(c.iceInterfaces))
	}
	return opts
}

// internet is the running part of internetConfig: the certificate, the
// embedded TURN server, and what they give the signaling.
type internet struct {
	cfg   *internetConfig
	stun  []string
	certs *certificate
	turn  *turnserver.Server
}

// startInternet loads the certificate and starts the embedded TURN server,
// which relays to s's media addresses only.
func startInternet(c *internetConfig, stun, iceIPs []string, s *sfu.SFU, log *slog.Logger) (*internet, error) {
	in := &internet{cfg: c, stun: stun}
	if c.tlsCert != "" {
		certs, err := loadCertificate(c.tlsCert, c.tlsKey, log)
		if err != nil {
			return nil, err
		}
		in.certs = certs
	}
	if c.turnListen != "" {
		relayIP, err := c.relayIP(iceIPs)
		if err != nil {
			return nil, err
		}
		peers, err := turnPeers(c, iceIPs, s.MediaAddrs())
		if err != nil {
			return nil, err
		}
		opts := []turnserver.Option{
			turnserver.WithListen(c.turnListen), turnserver.WithSecret(c.turnSecret),
			turnserver.WithRelayIP(relayIP), turnserver.WithPeers(peers),
			turnserver.WithQuota(c.turnQuota), turnserver.WithLogger(log),
		}
		if in.certs != nil {
			opts = append(opts, turnserver.WithTLS(in.certs.tlsConfig()))
		}
		if in.turn, err = turnserver.New(opts...); err != nil {
			return nil, err
		}
	}
	if c.apiKey == "" {
		log.Warn("no --api-key and --api-secret: the server is open, anyone who reaches it may join any room (fine for development, not for the internet)")
	}
	return in, nil
}

// signalingOptions are the signaling's access control and ICE servers.
func (in *internet) signalingOptions() []signaling.Option {
	opts := []signaling.Option{signaling.WithICEServersFunc(in.iceServers)}
	if len(in.cfg.origins) > 0 {
		opts = append(opts, signaling.WithAllowedOrigins(in.cfg.origins))
	}
	if in.cfg.apiKey != "" {
		opts = append(opts, signaling.WithAPIKey(in.cfg.apiKey, in.cfg.apiSecret))
	}
	return opts
}

// iceServers is what one participant is handed at join: the STUN URLs, and
// the TURN URLs (the embedded server's, reached by the host name the client
// used, unless --ice-server names TURN servers) with credentials of its own
// that expire (TURN REST: no static password ever reaches a browser).
func (in *internet) iceServers(host, identity string) []protocol.ICEServer {
	stun := append([]string(nil), in.stun...)
	var turn []string
	for _, u := range in.cfg.iceServers {
		if strings.HasPrefix(u, "turn") {
			turn = append(turn, u)
		} else {
			stun = append(stun, u)
		}
	}
	if len(turn) == 0 && in.turn != nil {
		turn = in.embeddedURLs(host)
	}
	var out []protocol.ICEServer
	if len(stun) > 0 {
		out = append(out, protocol.ICEServer{URLs: stun})
	}
	if len(turn) > 0 {
		user, pass := turnserver.Credentials(in.cfg.turnSecret, identity, in.cfg.turnTTL, time.Now())
		out = append(out, protocol.ICEServer{URLs: turn, Username: user, Credential: pass})
	}
	return out
}

// embeddedURLs names the embedded TURN server by the host the client
// reached the web server by (RFC 7065 URIs): over UDP, TCP and, with a
// certificate for that name, TLS.
func (in *internet) embeddedURLs(host string) []string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		host = in.turn.UDPAddr().(*net.UDPAddr).IP.String()
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 literal
	}
	port := in.turn.UDPAddr().(*net.UDPAddr).Port
	urls := []string{
		fmt.Sprintf("turn:%s:%d?transport=udp", host, port),
		fmt.Sprintf("turn:%s:%d?transport=tcp", host, port),
	}
	if in.turn.TLS() {
		urls = append(urls, fmt.Sprintf("turns:%s:%d?transport=tcp", host, port))
	}
	return urls
}

// serve serves HTTP, or HTTPS with the certificate.
func (in *internet) serve(srv *http.Server, ln net.Listener) error {
	if in.certs == nil {
		return srv.Serve(ln)
	}
	srv.TLSConfig = in.certs.tlsConfig()
	return srv.ServeTLS(ln, "", "")
}

// url is the address of the start page to print.
func (in *internet) url(addr net.Addr) string {
	u := openURL(addr)
	if in.certs != nil {
		u = "https" + strings.TrimPrefix(u, "http")
	}
	return u
}

func (in *internet) close() {
	if in.turn != nil {
		_ = in.turn.Close()
	}
}

var errNoRelayIP = errors.New("no address for the TURN relay: give --turn-relay-ip")
