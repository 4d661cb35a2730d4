package bench

import (
	"log/slog"

	"github.com/gorilla/websocket"
	"github.com/pion/interceptor"
	"github.com/pion/transport/v5"
)

// Option configures a Client.
type Option func(*options)

type options struct {
	name          string
	token         string
	iceIPs        []string
	logger        *slog.Logger
	interceptors  []interceptor.Factory
	noReplayCheck bool
	onMessage     func(msg any)
	net           transport.Net
	dialer        *websocket.Dialer
	keyframeAsker bool
	red           bool
	dataChannels  bool
	iceTCP        bool
	relayOnly     bool
}

func defaultOptions() options {
	return options{
		name:          "bench",
		logger:        slog.New(slog.DiscardHandler),
		dialer:        websocket.DefaultDialer,
		keyframeAsker: true,
	}
}

// WithRED makes the client accept redundant audio (RFC 2198, audio/red)
// besides Opus, as Chromium does: needed to publish a source made with
// WithRedundancy, and to receive RED rather than the plain Opus the server
// unwraps it to.
func WithRED() Option { return func(o *options) { o.red = true } }

// WithName sets the participant's display name.
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithToken sets the join message's token.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithICEIPs restricts the addresses the client gathers ICE candidates on.
// A loopback address in the list turns loopback candidates on, which Pion
// leaves out otherwise: WithICEIPs([]string{"127.0.0.1"}) keeps every packet
// of a test on loopback.
func WithICEIPs(ips []string) Option {
	return func(o *options) { o.iceIPs = append([]string(nil), ips...) }
}

// WithICETCP lets the client reach the server over ICE-TCP too (RFC 6544),
// as browsers do: it dials the server's passive TCP candidates from active
// ones of its own (Pion's default is UDP only). UDP pairs still win while
// UDP works: their priority is higher.
func WithICETCP() Option { return func(o *options) { o.iceTCP = true } }

// WithRelayOnly has the client use its TURN relay candidates only
// (iceTransportPolicy "relay", as the meeting page's ?relay=1), from the
// ICE servers the server hands out at join.
func WithRelayOnly() Option { return func(o *options) { o.relayOnly = true } }

// WithLogger sets where the client logs; nothing is logged by default.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithInterceptor adds an interceptor factory to the client's
// PeerConnection ahead of Pion's defaults. Pion chains interceptors in
// registration order with the first one wrapping the network, so what is
// added here sees incoming RTP before the NACK generator and outgoing RTP
// after every other interceptor: the place for simulated loss (see Loss).
func WithInterceptor(f interceptor.Factory) Option {
	return func(o *options) { o.interceptors = append(o.interceptors, f) }
}

// WithLoss simulates loss on the way in: l drops a share of the RTP of
// every NACK-capable stream before Pion's NACK generator sees it (see Loss).
// It also turns SRTP replay protection off, because l drops packets after
// decryption: the SRTP layer has seen the original, and would reject the
// server's retransmission on the same SSRC and sequence number as a replay,
// which a packet really lost on the network never is.
func WithLoss(l *Loss) Option {
	return func(o *options) {
		o.interceptors = append(o.interceptors, l)
		o.noReplayCheck = true
	}
}

// WithMessageHandler calls f with every message the server sends (a pointer
// to a protocol type), after the client handled it. f runs on the client's
// signaling goroutine: it must return quickly and must not call the Client
// methods that wait for signaling (Publish).
func WithMessageHandler(f func(msg any)) Option { return func(o *options) { o.onMessage = f } }

// WithNet replaces the network Pion uses, for example with a
// github.com/pion/transport/v5/vnet router.
func WithNet(n transport.Net) Option { return func(o *options) { o.net = n } }

// WithDialer sets the WebSocket dialer.
func WithDialer(d *websocket.Dialer) Option {
	return func(o *options) {
		if d != nil {
			o.dialer = d
		}
	}
}

// WithoutKeyframeRequests stops the client from sending a PLI for a remote
// video track that starts without a keyframe. A browser's decoder asks,
// so the default does; tests of the server's own keyframe requests turn it
// off.
func WithoutKeyframeRequests() Option { return func(o *options) { o.keyframeAsker = false } }
