package signaling

import (
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/switchboard-rtc/switchboard/internal/clock"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

type config struct {
	logger         *slog.Logger
	iceServers     []protocol.ICEServer
	maxMessageSize int
	messageRate    float64
	messageBurst   int
	offerRate      float64 // offers.go
	offerBurst     int
	maxBadMessages int
	pingInterval   time.Duration
	pongTimeout    time.Duration
	joinTimeout    time.Duration
	writeTimeout   time.Duration
	sendQueue      int
	allowedOrigins []string

	apiKeys             map[string]string // auth_options.go
	iceServersFunc      ICEServersFunc
	cluster             Cluster // cluster_hook.go; nil on a single node
	maxNodeParticipants int     // placement.go; 0: no limit

	resumeWindow      time.Duration // resume.go; 0: no resume
	maxPendingResumes int

	// limits.go and addrlimit.go; 0: no limit
	maxRooms         int
	maxTracks        int
	maxConnsPerAddr  int
	joinsPerAddr     float64
	joinBurstPerAddr int
	trustedProxies   []netip.Prefix

	clock clock.Clock // the rate limits'
}

func defaultConfig() config {
	return config{
		logger:         slog.Default(),
		maxMessageSize: 64 << 10,
		messageRate:    50,
		messageBurst:   100,
		offerRate:      DefaultOfferRate,
		offerBurst:     DefaultOfferBurst,
		maxBadMessages: 10,
		pingInterval:   10 * time.Second,
		pongTimeout:    30 * time.Second,
		joinTimeout:    10 * time.Second,
		writeTimeout:   10 * time.Second,
		sendQueue:      1024,

		maxPendingResumes: DefaultMaxPendingResumes,
		clock:             clock.Real{},
	}
}

// Option configures a Handler.
type Option func(*config)

// WithClock makes the rate limits (messages, offers, joins per address)
// refill on c's time: a test gives a clock.Fake and lets a bucket refill
// at once. The default is the system's clock; the connections' deadlines
// and pings keep it.
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithICEServers sets the STUN/TURN servers handed to every client at join.
func WithICEServers(s []protocol.ICEServer) Option { return func(c *config) { c.iceServers = s } }

// WithMaxMessageSize caps one message; a larger one ends the connection.
func WithMaxMessageSize(n int) Option { return func(c *config) { c.maxMessageSize = n } }

// WithMessageRate limits each connection to rate messages a second with
// bursts of burst.
func WithMessageRate(rate float64, burst int) Option {
	return func(c *config) { c.messageRate, c.messageBurst = rate, burst }
}

// WithMaxBadMessages disconnects a client after this many refused messages.
func WithMaxBadMessages(n int) Option { return func(c *config) { c.maxBadMessages = n } }

// WithHeartbeat sets how often the server pings and how long it waits for
// any sign of life before it drops the connection.
func WithHeartbeat(ping, timeout time.Duration) Option {
	return func(c *config) { c.pingInterval, c.pongTimeout = ping, timeout }
}

// WithJoinTimeout bounds the time between connecting and joining.
func WithJoinTimeout(d time.Duration) Option { return func(c *config) { c.joinTimeout = d } }

// WithAllowedOrigins lists the Origin values a browser may connect from
// ("*" allows any). Without it, only same-host pages and non-browser
// clients (no Origin header) may connect.
func WithAllowedOrigins(origins []string) Option {
	return func(c *config) { c.allowedOrigins = origins }
}

// WithMaxNodeParticipants caps the participants of this node, all rooms
// together: past it, a joining client is sent to another node of the
// cluster (redirect), or refused (unavailable) when there is none.
func WithMaxNodeParticipants(n int) Option { return func(c *config) { c.maxNodeParticipants = n } }

// WithMaxRooms caps the rooms that have participants on this node: past it,
// a join that would open another room is refused (unavailable), while joins
// to the rooms already open still go through. 0: no limit (the default).
func WithMaxRooms(n int) Option { return func(c *config) { c.maxRooms = n } }

// WithMaxTracksPerParticipant caps the tracks one participant may send: an
// offer with more sending audio and video sections is refused
// (too-many-tracks). A simulcast track is one section. 0: no limit (the
// default).
func WithMaxTracksPerParticipant(n int) Option { return func(c *config) { c.maxTracks = n } }

// WithMaxConnectionsPerAddr caps the WebSockets one client address holds at
// once (an IPv4 address, or an IPv6 /64): past it, a new connection gets a
// fatal rate-limited error and is closed. The address is the TCP peer's, so
// behind a reverse proxy every client shares the proxy's, unless the proxy
// is trusted (WithTrustedProxies). 0: no limit (the default; the command's
// is DefaultMaxConnectionsPerAddr).
func WithMaxConnectionsPerAddr(n int) Option { return func(c *config) { c.maxConnsPerAddr = n } }

// WithJoinsPerAddr limits the joins of one client address (as for
// WithMaxConnectionsPerAddr) to rate a second with bursts of burst: past
// it, a join gets a fatal rate-limited error. rate 0: no limit (the
// default).
func WithJoinsPerAddr(rate float64, burst int) Option {
	return func(c *config) { c.joinsPerAddr, c.joinBurstPerAddr = rate, burst }
}

// WithTrustedProxies names the reverse proxies whose X-Forwarded-For header
// is believed: for a connection from one of them, the per-address limits
// count the nearest address in the header that is not a trusted proxy.
// From any other peer the header is ignored.
func WithTrustedProxies(p []netip.Prefix) Option {
	return func(c *config) { c.trustedProxies = slices.Clone(p) }
}

// WithResumeWindow holds a participant whose WebSocket drops without a
// leave or a close frame (a network blip, a proxy's idle timeout) for d:
// its PeerConnection, tracks and subscriptions stay, the others see no
// leave, and a new WebSocket whose join names the resumeToken of its last
// joined takes the session over. 0: off (the default; the command's is 30
// s): a dropped participant leaves at once.
func WithResumeWindow(d time.Duration) Option { return func(c *config) { c.resumeWindow = d } }

// WithMaxPendingResumes bounds the dropped sessions held for resume at
// once; past it, the oldest leaves. Default DefaultMaxPendingResumes.
func WithMaxPendingResumes(n int) Option { return func(c *config) { c.maxPendingResumes = n } }
