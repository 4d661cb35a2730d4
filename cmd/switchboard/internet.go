package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// defaultUDPPort is where all media goes unless --udp-port says otherwise:
// one port for everyone is what a firewall wants and what the fast path
// (batched sendmmsg on the shared socket) needs. LiveKit's default, so that
// a rule written for one fits the other.
const defaultUDPPort = 7882

// internetConfig is what a server reachable from the internet needs: how
// clients reach its media (1:1 NAT, one UDP port, ICE-TCP, TURN), TLS, and
// who may join. Its flags' names are fixed: docs and operators' scripts use
// them.
type internetConfig struct {
	natIPs        natFlag
	udpPort       int
	udpBatch      bool
	directSRTP    bool
	udpPortRange  portRange
	tcpPort       int
	iceInterfaces listFlag
	turnListen    string
	turnRelayIP   string
	turnSecret    string
	turnTTL       time.Duration
	turnQuota     int
	iceServers    listFlag
	apiKey        string
	apiSecret     string
	tlsCert       string
	tlsKey        string
	origins       listFlag
}

func (c *internetConfig) addFlags(fs *flag.FlagSet) {
	fs.Var(&c.natIPs, "nat-ip", "public `IP` of a 1:1 NAT in front of the host, announced in the server's ICE candidates (repeatable; PUBLIC/PRIVATE pins it to one local address)")
	fs.IntVar(&c.udpPort, "udp-port", defaultUDPPort, "serve all media on this one UDP `port`, with batched sends (0: a port per connection)")
	fs.BoolVar(&c.udpBatch, "udp-batch", true, "on the one UDP port, send each packet's copies to all subscribers with one sendmmsg system call")
	fs.BoolVar(&c.directSRTP, "direct-srtp", true, "on the one UDP port (and ICE-TCP port), encrypt forwarded RTP in the SFU and send it on the socket directly, past Pion's SRTP session, and decrypt publishers' RTP as the UDP port reads it, past Pion's receive goroutines (false: Pion's path; without the one batched UDP port it is off)")
	fs.Var(&c.udpPortRange, "udp-port-range", "take each connection's UDP port from `MIN-MAX` instead of the one --udp-port")
	fs.IntVar(&c.tcpPort, "tcp-port", 0, "accept ICE over TCP on this `port`, for networks that block UDP (0: off)")
	fs.Var(&c.iceInterfaces, "ice-interfaces", "comma-separated network `interfaces` to gather ICE candidates on (default: all)")
	fs.StringVar(&c.turnListen, "turn-listen", "", "run the embedded TURN server on this `address`, UDP and TCP (e.g. :3478)")
	fs.StringVar(&c.turnRelayIP, "turn-relay-ip", "", "`IP` the embedded TURN server gives clients as their relay address (default: --nat-ip, else the host's)")
	fs.StringVar(&c.turnSecret, "turn-secret", "", "`secret` shared with the embedded TURN server or coturn's static-auth-secret, for TURN credentials that expire")
	fs.DurationVar(&c.turnTTL, "turn-ttl", 24*time.Hour, "how long the TURN credentials handed out at join stay valid")
	fs.IntVar(&c.turnQuota, "turn-quota", 10, "allocations one participant may hold at once on the embedded TURN server")
	fs.Var(&c.iceServers, "ice-server", "STUN or TURN `URL` handed to clients (repeatable; turn: URLs get credentials from --turn-secret)")
	fs.StringVar(&c.apiKey, "api-key", "", "API `key` that signs access tokens; with --api-secret, every join needs a token")
	fs.StringVar(&c.apiSecret, "api-secret", "", "`secret` of --api-key")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "certificate `file` (PEM): serve HTTPS and WSS, and TURN over TLS")
	fs.StringVar(&c.tlsKey, "tls-key", "", "private key `file` (PEM) of --tls-cert")
	fs.Var(&c.origins, "allowed-origin", "`origin` whose pages may connect to /ws besides the server's own, e.g. https://app.example.com (repeatable; * for any)")
}

// Configuration errors, each wrapped into a usage error.
var (
	errPairedFlag = errors.New("flags go in pairs")
	errBadFlag    = errors.New("bad value")
	errNoSecret   = errors.New("TURN needs --turn-secret")
)

func (c *internetConfig) validate() error {
	if (c.apiKey == "") != (c.apiSecret == "") {
		return fmt.Errorf("%w: --api-key and --api-secret", errPairedFlag)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return fmt.Errorf("%w: --tls-cert and --tls-key", errPairedFlag)
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"--udp-port", c.udpPort}, {"--tcp-port", c.tcpPort}} {
		if p.v < 0 || p.v > 65535 {
			return fmt.Errorf("%w: %s %d", errBadFlag, p.name, p.v)
		}
	}
	if c.turnRelayIP != "" {
		if _, err := netip.ParseAddr(c.turnRelayIP); err != nil {
			return fmt.Errorf("%w: --turn-relay-ip %q", errBadFlag, c.turnRelayIP)
		}
	}
	if c.turnListen != "" {
		if _, _, err := net.SplitHostPort(c.turnListen); err != nil {
			return fmt.Errorf("%w: --turn-listen %q: %v", errBadFlag, c.turnListen, err)
		}
	}
	if c.turnTTL <= 0 {
		return fmt.Errorf("%w: --turn-ttl %v", errBadFlag, c.turnTTL)
	}
	for _, u := range c.iceServers {
		scheme, _, _ := strings.Cut(u, ":")
		switch scheme {
		case "stun", "stuns":
		case "turn", "turns":
			if c.turnSecret == "" {
				return fmt.Errorf("%w: --ice-server %s", errNoSecret, u)
			}
		default:
			return fmt.Errorf("%w: --ice-server %q: want a stun, stuns, turn or turns URL", errBadFlag, u)
		}
	}
	if c.turnListen != "" && c.turnSecret == "" {
		return fmt.Errorf("%w: --turn-listen", errNoSecret)
	}
	return nil
}

// portRange is a MIN-MAX flag.
type portRange struct{ min, max uint16 }

func (r *portRange) String() string {
	if r.min == 0 && r.max == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", r.min, r.max)
}

func (r *portRange) Set(v string) error {
	lo, hi, ok := strings.Cut(v, "-")
	a, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	b, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	if !ok || err1 != nil || err2 != nil || a == 0 || b < a {
		return fmt.Errorf("%w: port range %q: want MIN-MAX", errBadFlag, v)
	}
	r.min, r.max = uint16(a), uint16(b)
	return nil
}

func (r portRange) set() bool { return r.min != 0 }
