package signaling

import (
	"log/slog"
	"time"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

type config struct {
	logger         *slog.Logger
	iceServers     []protocol.ICEServer
	maxMessageSize int
	messageRate    float64
	messageBurst   int
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
}

func defaultConfig() config {
	return config{
		logger:         slog.Default(),
		maxMessageSize: 64 << 10,
		messageRate:    50,
		messageBurst:   100,
		maxBadMessages: 10,
		pingInterval:   10 * time.Second,
		pongTimeout:    30 * time.Second,
		joinTimeout:    10 * time.Second,
		writeTimeout:   10 * time.Second,
		sendQueue:      1024,
	}
}

// Option configures a Handler.
type Option func(*config)

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
