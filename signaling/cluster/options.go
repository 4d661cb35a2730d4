package cluster

import (
	"log/slog"
	"time"
)

type config struct {
	nodeID          string
	advertiseURL    string
	maxParticipants int
	secret          []byte
	prefix          string
	logger          *slog.Logger
	heartbeat       time.Duration // registration refresh and liveness checks
	ttl             time.Duration // a registration's life without a refresh
	deadAfter       time.Duration // a peer's registration missing this long: dead
	redisTimeout    time.Duration // one Redis call on a client's path
}

func defaultConfig() config {
	return config{
		prefix:       "switchboard:",
		logger:       slog.Default(),
		heartbeat:    time.Second,
		ttl:          4 * time.Second,
		deadAfter:    2 * time.Second,
		redisTimeout: time.Second,
	}
}

// Option configures a Node.
type Option func(*config)

// WithNodeID names the node in logs, metrics and Redis; without it, a
// random id is made for the process.
func WithNodeID(id string) Option { return func(c *config) { c.nodeID = id } }

// WithAdvertiseURL is the base URL clients reach this node at.
func WithAdvertiseURL(u string) Option { return func(c *config) { c.advertiseURL = u } }

// WithSecret is the secret every node of the cluster shares: it signs the
// messages between them.
func WithSecret(s string) Option { return func(c *config) { c.secret = []byte(s) } }

// WithKeyPrefix puts every key and channel under prefix, so that several
// clusters can share one Redis.
func WithKeyPrefix(p string) Option { return func(c *config) { c.prefix = p } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithHeartbeat sets how often the node refreshes its registration and
// checks its peers', and how long a registration lives without a refresh:
// a node that dies is gone from everyone's view within about
// ttl + 3 heartbeats.
func WithHeartbeat(every, ttl time.Duration) Option {
	return func(c *config) { c.heartbeat, c.ttl, c.deadAfter = every, ttl, 2*every }
}

// WithMaxParticipants is this node's limit (signaling's
// WithMaxNodeParticipants), told to the others: a full node sends clients
// to one with room.
func WithMaxParticipants(n int) Option { return func(c *config) { c.maxParticipants = n } }
