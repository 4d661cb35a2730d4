package sfu

import (
	"log/slog"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/transport/v5"

	"github.com/switchboard-rtc/switchboard/internal/clock"
	"github.com/switchboard-rtc/switchboard/sfu/network"
)

type config struct {
	logger           *slog.Logger
	maxParticipants  int
	keyframeInterval time.Duration
	cacheSize        int
	cacheWindow      time.Duration // packet_cache.go; 0: every cache holds cacheSize
	net              transport.Net
	network          []network.Option // the options below that package network takes, in order
	iceDisconnected  time.Duration
	iceFailed        time.Duration
	offerTimeout     time.Duration
	estimateBW       bool
	interceptors     []interceptor.Factory
	dataLimits       DataLimits
	ingressBitrate   int
	ingressPackets   int
	directSRTP       bool // directsrtp_pc.go
	maxSSRCs         int  // ssrccap.go; 0: no cap
	bweTrace         bool // bwe_trace.go
	clock            clock.Clock
}

func defaultConfig() config {
	return config{
		logger:           slog.Default(),
		maxParticipants:  50,
		keyframeInterval: 500 * time.Millisecond,
		cacheSize:        512,
		cacheWindow:      DefaultPacketCacheWindow,
		iceDisconnected:  4 * time.Second,
		iceFailed:        8 * time.Second,
		offerTimeout:     10 * time.Second,
		estimateBW:       true,
		dataLimits:       DefaultDataLimits(),
		ingressBitrate:   DefaultIngressBitrate,
		ingressPackets:   DefaultIngressPackets,
		maxSSRCs:         SSRCsForTracks(DefaultTracksPerParticipant),
		clock:            clock.Real{},
	}
}

// Option configures an SFU.
type Option func(*config)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithClock makes the SFU read the time from c: the packet path (ingress
// caps, packet caches, keyframe throttles, the subscriber's timestamps and
// loss handling), the bandwidth allocation loop with its prober, dynacast
// and retransmission budget, the rooms' speaker and quality ticks, and the
// data limits. A test gives a clock.Fake and lets hold times pass at once;
// the default is the system's clock. Transport-wide CC's send and arrival
// times, the offer timeout and the sockets' batching keep the system's:
// they measure the network.
func WithClock(c clock.Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

// WithMaxIncomingSSRCs caps the distinct RTP SSRCs a participant's
// connection lets in (0: no cap); the packets of any SSRC past the first n
// are dropped before Pion sees them and counted in SSRCCapDropped
// (ssrccap.go). SSRCsForTracks derives it from a cap on tracks.
func WithMaxIncomingSSRCs(n int) Option {
	return func(c *config) { c.maxSSRCs = n }
}

// DefaultTracksPerParticipant is the cap on tracks a participant may send
// that the default of WithMaxIncomingSSRCs is derived from: the signaling's
// default (--max-tracks-per-participant).
const DefaultTracksPerParticipant = 8

// WithICEIPs restricts ICE gathering to these addresses. A loopback address in
// the list turns loopback candidates on, which is how tests keep media on
// 127.0.0.1.
func WithICEIPs(ips []string) Option {
	return withNetwork(network.WithICEIPs(ips))
}

// WithMaxParticipants caps the participants of one room.
func WithMaxParticipants(n int) Option {
	return func(c *config) { c.maxParticipants = n }
}

// WithKeyframeInterval sets the least time between two keyframe requests the
// SFU sends for one track, however many subscribers ask.
func WithKeyframeInterval(d time.Duration) Option {
	return func(c *config) { c.keyframeInterval = d }
}

// WithIngressCap caps what each published stream (a simulcast layer, or a
// track without layers) may bring in, in bits and packets a second; past
// either, the stream's packets are dropped (counted in
// Stats.IngressDropped) before they reach any subscriber, so that one
// publisher sending far more than a camera or a screen does cannot fill the
// links and the send path the room shares. 0 for both: no cap. Streams
// relayed from another node of a cluster are not capped: their publishers
// were capped where they joined.
func WithIngressCap(bitrate, packets int) Option {
	return func(c *config) { c.ingressBitrate, c.ingressPackets = bitrate, packets }
}

// WithPacketCacheSize sets the most recent packets of each published
// stream kept to answer NACKs (512): how far a stream's cache may grow to
// hold WithPacketCacheWindow of it.
func WithPacketCacheSize(n int) Option {
	return func(c *config) { c.cacheSize = n }
}

// WithPacketCacheWindow sets how much of the recent past of each published
// stream its packet cache holds, up to WithPacketCacheSize packets
// (DefaultPacketCacheWindow). 0: every cache holds WithPacketCacheSize
// packets whatever its stream's rate, as before caches were bounded by
// time.
func WithPacketCacheWindow(d time.Duration) Option {
	return func(c *config) { c.cacheWindow = max(d, 0) }
}

// WithNet makes every PeerConnection use this network, e.g. a pion/transport
// vnet in tests.
func WithNet(n transport.Net) Option {
	return func(c *config) { c.net = n }
}

// WithICETimeouts sets when a silent peer counts as disconnected and when as
// failed; a failed participant is removed from its room.
func WithICETimeouts(disconnected, failed time.Duration) Option {
	return func(c *config) { c.iceDisconnected, c.iceFailed = disconnected, failed }
}

// WithBandwidthEstimation turns the per-subscriber downlink estimate (from
// transport-wide CC feedback) on or off. Off, layers are chosen by
// tile size alone, as on a LAN where bandwidth is plentiful; on by default.
func WithBandwidthEstimation(on bool) Option {
	return func(c *config) { c.estimateBW = on }
}

// WithBWETrace keeps each subscriber's bandwidth records of the last two
// minutes for BWETraces (a debug listener's /debug/bwe). Off by default:
// a subscriber of four videos holds about 360 KB of them once full (38
// KiB more live heap per subscribed track in the standard benchmark after
// 150 s), and builds a record every 250 ms that nobody reads unless the
// debug listener is on.
func WithBWETrace(on bool) Option {
	return func(c *config) { c.bweTrace = on }
}

// WithInterceptor adds an interceptor to every PeerConnection, ahead of the
// SFU's own: it sees incoming RTP first and outgoing RTP last (for example
// a loss simulator in a test, or a capture of what goes on the wire).
func WithInterceptor(f interceptor.Factory) Option {
	return func(c *config) { c.interceptors = append(c.interceptors, f) }
}

// withNetwork passes o to package network, after the network options
// given before it: the SFU's network options are package network's, which
// says what each does.
func withNetwork(o network.Option) Option {
	return func(c *config) { c.network = append(c.network, o) }
}

// WithNATMappings announces a 1:1 NAT's public addresses in the SFU's host
// candidates (network.WithNATMappings; network.ParseNATMapping reads
// --nat-ip).
func WithNATMappings(m ...network.NATMapping) Option {
	return withNetwork(network.WithNATMappings(m...))
}

// WithUDPMux serves every PeerConnection on one UDP port, 0: one the
// system chooses (network.WithUDPMux).
func WithUDPMux(port int) Option { return withNetwork(network.WithUDPMux(port)) }

// WithSendBatching batches the writes on the shared UDP port into
// sendmmsg(2); on by default (network.WithSendBatching).
func WithSendBatching(on bool) Option { return withNetwork(network.WithSendBatching(on)) }

// WithUDPPortRange makes each PeerConnection take its own UDP port from
// [min, max] (network.WithUDPPortRange).
func WithUDPPortRange(min, max uint16) Option {
	return withNetwork(network.WithUDPPortRange(min, max))
}

// WithICETCP accepts ICE over TCP on one TCP port for every PeerConnection,
// 0: one the system chooses (network.WithICETCP).
func WithICETCP(port int) Option { return withNetwork(network.WithICETCP(port)) }

// WithICEInterfaces restricts ICE gathering to these network interfaces.
func WithICEInterfaces(names []string) Option {
	return withNetwork(network.WithICEInterfaces(names))
}
