package main

import (
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
)

// limitsConfig holds the flags that keep one client from harming the
// others: per client address, per node, per participant.
type limitsConfig struct {
	maxConnsPerIP   int
	joinsPerIP      float64
	joinBurstPerIP  int
	trustedProxies  listFlag
	maxRooms        int
	maxTracks       int
	ingressBitrate  int
	ingressPackets  int
	offerRate       float64
	offerBurst      int
	trustedPrefixes []netip.Prefix // parsed from trustedProxies by validate
}

func (c *limitsConfig) addFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.maxConnsPerIP, "max-connections-per-ip", signaling.DefaultMaxConnectionsPerAddr,
		"WebSockets one client address (IPv4, or IPv6 /64) may hold at once (0: no limit); behind a reverse proxy every client has the proxy's address, unless --trusted-proxy")
	fs.Float64Var(&c.joinsPerIP, "joins-per-ip", signaling.DefaultJoinsPerAddr,
		"joins a `rate` a second one client address may make after its burst (0: no limit)")
	fs.IntVar(&c.joinBurstPerIP, "join-burst-per-ip", signaling.DefaultJoinBurstPerAddr,
		"joins one client address may make at once before --joins-per-ip paces it")
	fs.Var(&c.trustedProxies, "trusted-proxy", "a reverse proxy's address or `CIDR` network whose X-Forwarded-For is believed for the per-address limits (repeatable)")
	fs.IntVar(&c.maxRooms, "max-rooms", 0, "rooms open on this node (0: no limit); past it, a join that would open another is refused (unavailable)")
	fs.IntVar(&c.maxTracks, "max-tracks-per-participant", 8, "tracks one participant may send (0: no limit); an offer with more is refused (too-many-tracks)")
	fs.IntVar(&c.ingressBitrate, "ingress-bitrate", sfu.DefaultIngressBitrate,
		"bits a `second` one published stream (a simulcast layer, or a track) may bring in (0: no limit); the rest is dropped before any subscriber gets it")
	fs.IntVar(&c.ingressPackets, "ingress-packets", sfu.DefaultIngressPackets,
		"packets a `second` one published stream may bring in (0: no limit)")
	fs.Float64Var(&c.offerRate, "offer-rate", signaling.DefaultOfferRate,
		"offers a `rate` a second one connection may make after its burst (0: only the message limit); past it an offer is refused (rate-limited)")
	fs.IntVar(&c.offerBurst, "offer-burst", signaling.DefaultOfferBurst,
		"offers one connection may make at once before --offer-rate paces it")
}

func (c *limitsConfig) validate() error {
	switch {
	case c.maxConnsPerIP < 0:
		return errors.New("--max-connections-per-ip must not be negative")
	case c.joinsPerIP < 0:
		return errors.New("--joins-per-ip must not be negative")
	case c.joinsPerIP > 0 && c.joinBurstPerIP < 1:
		return errors.New("--join-burst-per-ip must be at least 1")
	case c.maxRooms < 0:
		return errors.New("--max-rooms must not be negative")
	case c.maxTracks < 0:
		return errors.New("--max-tracks-per-participant must not be negative")
	case c.ingressBitrate < 0 || c.ingressPackets < 0:
		return errors.New("--ingress-bitrate and --ingress-packets must not be negative")
	case c.offerRate < 0:
		return errors.New("--offer-rate must not be negative")
	case c.offerRate > 0 && c.offerBurst < 1:
		return errors.New("--offer-burst must be at least 1")
	}
	c.trustedPrefixes = nil
	for _, s := range c.trustedProxies {
		p, err := signaling.ParseTrustedProxy(s)
		if err != nil {
			return errors.New("--trusted-proxy: " + err.Error())
		}
		c.trustedPrefixes = append(c.trustedPrefixes, p)
	}
	return nil
}

func (c *limitsConfig) signalingOptions() []signaling.Option {
	return []signaling.Option{
		signaling.WithMaxConnectionsPerAddr(c.maxConnsPerIP),
		signaling.WithJoinsPerAddr(c.joinsPerIP, c.joinBurstPerIP),
		signaling.WithTrustedProxies(c.trustedPrefixes),
		signaling.WithMaxRooms(c.maxRooms),
		signaling.WithMaxTracksPerParticipant(c.maxTracks),
		signaling.WithOfferRate(c.offerRate, c.offerBurst),
	}
}

// sfuOptions are the limits the SFU enforces on the media path.
func (c *limitsConfig) sfuOptions() []sfu.Option {
	return []sfu.Option{sfu.WithIngressCap(c.ingressBitrate, c.ingressPackets)}
}

// httpLimits bound what a slow or greedy HTTP client can hold. They end at
// a WebSocket's upgrade: net/http clears a hijacked connection's deadlines
// (and gorilla/websocket does too), and the signaling sets its own (join
// timeout, heartbeat).
type httpLimits struct {
	readHeader     time.Duration // the request line and headers
	read           time.Duration // the whole request, body included
	idle           time.Duration // a keep-alive connection between requests
	maxHeaderBytes int
}

// defaultHTTPLimits: the server's requests are GETs without a body, so the
// whole request fits the header's time; 32 KiB of headers leave room for
// large cookies.
var defaultHTTPLimits = httpLimits{
	readHeader:     10 * time.Second,
	read:           30 * time.Second,
	idle:           120 * time.Second,
	maxHeaderBytes: 32 << 10,
}

// newHTTPServer is the server of --listen. No WriteTimeout: it would cut a
// large static file or a scrape to a slow reader, and holds nothing a slow
// client could hoard that the idle and read limits do not.
func newHTTPServer(h http.Handler, log *slog.Logger, l httpLimits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.readHeader,
		ReadTimeout:       l.read,
		IdleTimeout:       l.idle,
		MaxHeaderBytes:    l.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}
