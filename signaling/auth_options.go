package signaling

import (
	"maps"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// WithAPIKey turns access control on: every join must then carry a token
// (RFC 7519, HS256) issued by key and signed with secret (see NewToken).
// Several keys may be given, for example while one replaces another.
func WithAPIKey(key, secret string) Option {
	return func(c *config) {
		c.apiKeys = maps.Clone(c.apiKeys)
		if c.apiKeys == nil {
			c.apiKeys = make(map[string]string)
		}
		c.apiKeys[key] = secret
	}
}

// ICEServersFunc returns the STUN and TURN servers for one participant at
// join: host is the host name the client reached the signaling server by
// (the request's Host), identity the participant's identity from its token,
// or its participant id on an open server. It may mint credentials that
// expire, as for TURN REST.
type ICEServersFunc func(host, identity string) []protocol.ICEServer

// WithICEServersFunc hands each client the ICE servers f returns, instead
// of the fixed list of WithICEServers.
func WithICEServersFunc(f ICEServersFunc) Option { return func(c *config) { c.iceServersFunc = f } }
