package sfu

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/clock"
	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
	"github.com/switchboard-rtc/switchboard/sfu/network"
	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
	"github.com/switchboard-rtc/switchboard/sfu/vp8"
)

// maxLayers is how many simulcast layers a track may have: q, h, f.
const maxLayers = 3

// Layer is one encoding of a published track: the only one, or one
// simulcast layer (one rid, RFC 8853). It has its own SSRC, read loop and
// PacketCache, shared by every subscriber forwarded this layer.
type Layer struct {
	r        *Receiver
	index    int    // 0 lowest
	rid      string // as the publisher named it (relay.go: as the far node did)
	track    *webrtc.TrackRemote
	rtp      *webrtc.RTPReceiver
	ssrc     uint32
	cache    *packetcache.PacketCache
	throttle *keyframe.Throttle
	ingress  *ingressLimit // nil: not capped (ingress.go)
	meter    bitrateMeter
	width    atomic.Int32 // from the last keyframe, where the codec says
	height   atomic.Int32
	vp8      bool
	// red: the stream is RED (RFC 2198); primaryMeter counts what it
	// would cost with its primary blocks alone (lean_audio.go).
	red          bool
	primaryMeter bitrateMeter
	desc         vp8.Descriptor // the read loop's scratch
	parsed       parsed         // the read loop's: its packet's payload, parsed once
	// arrived is the read loop's: when the packet in hand arrived (unix
	// ns, the SFU's clock), read once for the layer and every subscriber
	// it goes to.
	arrived int64
	// Temporal layers (RFC 7741 §4.2 TID): bytes per TID and the highest
	// TID seen, -1 while the stream carries none.
	tidMeters [maxTemporal]bitrateMeter
	maxTID    atomic.Int32
	// keyframeSeq is the sequence number of the first packet of the
	// newest keyframe stored, -1 before any (VP8): a subscriber that starts
	// on this layer is sent the cache from there (instant.go).
	keyframeSeq atomic.Int32
	// keyframeAt is when that keyframe's first packet arrived (unix ns,
	// as arrived): a track that left a layer starts the next from it only
	// while it is fresh (freshKeyframe).
	keyframeAt atomic.Int64
	// keyframeBits is the size of the newest complete keyframe (the
	// allocator leaves room for one when a subscriber enters the layer);
	// kf is the read loop's count of the one arriving.
	keyframeBits atomic.Int64
	kf           keyframeSize
	replay       *replayScratch // the read loop's, made at the first catch-up
	// emit is the read loop's room to build each subscriber's header in,
	// one after the other (downtrack_emit.go): one per layer, not per
	// subscriber, so the fan-out writes the same few cache lines.
	emit emitScratch
	up   uplink // loss and jitter for connection quality (quality_stats.go)
	// in is the direct receive path's way in, and says which goroutine
	// owns handlePacket (layer_in.go).
	in layerIn

	// What the layer uses of its publisher and the SFU, given when it is
	// built (newLayer), not looked up through the owner per packet.
	flusher      *network.Sockets // sends the fan-out's batched writes; nil: none
	publisher    rtcpWriter       // where keyframe requests (PLI) go
	clock        clock.Clock      // the SFU's (WithClock)
	log          *slog.Logger
	ctx          context.Context // the publisher's: done, the read loop ends
	relayIngress bool            // the layer arrives from another node (relay.go)
}

// rtcpWriter sends RTCP to a publisher: its PeerConnection.
type rtcpWriter interface {
	WriteRTCP(pkts []rtcp.Packet) error
}

// maxTemporal is how many temporal layers a stream may have (VP8 allows
// four; browsers send up to three).
const maxTemporal = 4

func newLayer(r *Receiver, index int, rid string, track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) *Layer {
	owner := r.owner
	cfg := &owner.sfu.cfg
	l := &Layer{
		r:            r,
		index:        index,
		rid:          rid,
		track:        track,
		rtp:          recv,
		ssrc:         uint32(track.SSRC()),
		cache:        newLayerCache(r.kind, cfg),
		throttle:     keyframe.NewThrottle(cfg.keyframeInterval),
		vp8:          strings.EqualFold(r.codec.MimeType, webrtc.MimeTypeVP8),
		red:          strings.EqualFold(r.codec.MimeType, MimeTypeRED),
		flusher:      owner.sfu.sockets,
		publisher:    owner.pc,
		clock:        cfg.clock,
		log:          owner.log,
		ctx:          owner.ctx,
		relayIngress: owner.relay == RelayIngress,
	}
	if !l.relayIngress {
		l.ingress = newIngressLimit(cfg.ingressBitrate, cfg.ingressPackets)
	}
	l.maxTID.Store(-1)
	l.keyframeSeq.Store(-1)
	return l
}

// layerIndex maps a rid to a layer, lowest first. Browsers and apps name
// simulcast rids in several ways; unknown names take the first free index.
func layerIndex(rid string, taken func(int) bool) int {
	switch rid {
	case "", "q", "l", "low", "0":
		return 0
	case "h", "m", "mid", "medium", "1":
		return 1
	case "f", "high", "full", "2":
		return 2
	}
	for i := range maxLayers {
		if !taken(i) {
			return i
		}
	}
	return -1
}

// forward is the layer's read loop: it runs until the track ends.
func (l *Layer) forward() {
	buf := make([]byte, packetcache.MaxPacketSize)
	var pkt rtp.Packet
	failures := 0
	for {
		n, _, err := l.track.Read(buf)
		if err != nil {
			if errors.Is(err, io.EOF) || l.ctx.Err() != nil {
				return
			}
			if failures++; failures > maxReadErrors {
				l.log.Warn("giving up on track", "track", l.r.id, "rid", l.rid, "err", err)
				return
			}
			continue
		}
		failures = 0
		l.receive(&pkt, buf[:n])
	}
}

// handlePacket stores one packet, once, in the layer's shared cache and
// hands it to every DownTrack. raw is pkt as received; both are reused for
// the next packet.
func (l *Layer) handlePacket(pkt *rtp.Packet, raw []byte) {
	st := l.r.stats
	st.PacketsIn.Add(1)
	st.BytesIn.Add(uint64(len(raw)))
	if l.relayIngress {
		st.RelayPacketsIn.Add(1)
		st.RelayBytesIn.Add(uint64(len(raw)))
	}
	now := l.clock.Now()
	l.arrived = now.UnixNano()
	if !l.ingress.allow(now, len(raw)) {
		st.IngressDropped.Add(1)
		return
	}
	switch l.cache.StoreAt(pkt.SequenceNumber, raw, cacheClock(now)) {
	case packetcache.Stored:
	case packetcache.Duplicate:
		// Chromium's bandwidth probes re-send packets we already have.
		st.DuplicatesDropped.Add(1)
		return
	default:
		return
	}
	pp := &l.parsed
	l.parse(pkt.Payload, &l.desc, pp)
	keyframe := false
	if pp.vp8 != nil {
		keyframe = l.observeVP8(pkt, pp.vp8, len(raw))
	}
	l.meter.add(len(raw), keyframe)
	if l.red {
		l.primaryMeter.add(leanSize(pkt.Payload, pp, len(raw)), false)
	}
	l.up.observe(pkt.SequenceNumber, pkt.Timestamp, now.UnixNano(), l.r.codec.ClockRate)
	if id := l.r.levelExt; id != 0 {
		// Who is speaking (room.go): one atomic add, no lock.
		l.r.level.Observe(pkt.Header.GetExtension(id))
	}
	// Counted here once, not per subscriber: the SFU-wide counters are
	// shared by every read loop.
	sent, bytes := 0, 0
	for _, d := range *l.r.downTracks.Load() {
		if n := d.writeRTP(l, pkt, pp); n > 0 {
			sent++
			bytes += n
		}
	}
	if sent > 0 {
		st.PacketsOut.Add(uint64(sent))
		st.BytesOut.Add(uint64(bytes))
		// With batched sends, the fan-out leaves now, in one system call.
		l.flusher.Flush()
	}
}

// observeVP8 keeps what the allocator reads of the layer from each VP8
// packet: the bitrate of each temporal layer, the last keyframe, its size
// in bits, and the picture size a keyframe states. It reports whether the
// packet is part of a keyframe.
func (l *Layer) observeVP8(pkt *rtp.Packet, desc *vp8.Descriptor, size int) bool {
	kf := l.kf.add(pkt, desc.Keyframe, size)
	if kf.done {
		l.keyframeBits.Store(int64(kf.bits))
	}
	if desc.HasTID {
		tid := min(int(desc.TID), maxTemporal-1)
		l.tidMeters[tid].add(size, kf.part)
		if int32(tid) > l.maxTID.Load() {
			l.maxTID.Store(int32(tid))
		}
	}
	if desc.Keyframe {
		l.keyframeAt.Store(l.arrived)
		l.keyframeSeq.Store(int32(pkt.SequenceNumber))
	}
	if desc.Keyframe && desc.Width > 0 {
		// Keyframes say the layer's size: the allocator matches it to
		// tiles.
		l.width.Store(int32(desc.Width))
		l.height.Store(int32(desc.Height))
	}
	return kf.part
}

// requestKeyframe asks the publisher for a keyframe of this layer (RFC 4585
// §6.3.1 PLI names the layer's SSRC), at most once per keyframe interval
// however many subscribers ask.
func (l *Layer) requestKeyframe() {
	if l.mayRequestKeyframe() {
		l.sendPLI()
	}
}

// requestKeyframeAsync is requestKeyframe with the write on a goroutine of
// its own, for a caller that must not wait on the publisher's connection:
// the shared socket's read loop (directsrtp_rtcp.go), which every
// participant on the port depends on, while a write to a publisher on
// ICE-TCP blocks as long as its send buffer is full. The throttle is
// passed first, so it is at most one goroutine per keyframe interval.
func (l *Layer) requestKeyframeAsync() {
	if l.mayRequestKeyframe() {
		go l.sendPLI()
	}
}

// keyframeRefusal is how long after taking a keyframe request the
// publisher's encoder refuses the next (libwebrtc's EncoderRtcpFeedback,
// its minimum keyframe send interval; for VP8 simulcast one for all the
// layers, each request making a keyframe of every layer).
const keyframeRefusal = 300 * time.Millisecond

// freshKeyframe reports whether the layer's last keyframe arrived within
// keyframeRefusal before now (unix ns): a request now would likely be
// refused, and that keyframe is the one it would have brought.
func (l *Layer) freshKeyframe(now int64) bool {
	return l.keyframeSeq.Load() >= 0 && now-l.keyframeAt.Load() <= int64(keyframeRefusal)
}

// mayRequestKeyframe passes the layer's throttle: a video layer not asked
// within the keyframe interval.
func (l *Layer) mayRequestKeyframe() bool {
	return l.r.kind == webrtc.RTPCodecTypeVideo && l.throttle.Allow(l.clock.Now())
}

// sendPLI writes the keyframe request to the publisher.
func (l *Layer) sendPLI() {
	pli := &rtcp.PictureLossIndication{MediaSSRC: l.ssrc}
	if err := l.publisher.WriteRTCP([]rtcp.Packet{pli}); err != nil {
		l.log.Debug("sending PLI", "track", l.r.id, "rid", l.rid, "err", err)
		return
	}
	l.r.stats.KeyframeRequestsSent.Add(1)
}
