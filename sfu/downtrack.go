package sfu

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/clock"
	"github.com/switchboard-rtc/switchboard/sfu/network"
	"github.com/switchboard-rtc/switchboard/sfu/resend"
	"github.com/switchboard-rtc/switchboard/sfu/rewriter"
	"github.com/switchboard-rtc/switchboard/sfu/vp8"
)

// DownTrack sends one published track to one subscriber. It is a TrackLocal
// of its own, not a shared TrackLocalStaticRTP, so that it can choose a
// simulcast layer and rewrite SSRC, sequence numbers, timestamps and
// header-extension IDs for its subscriber: one continuous stream across any
// number of layer switches.
type DownTrack struct {
	rcv         *Receiver
	sub         *Participant
	flusher     *network.Sockets       // sends batched writes (NACK answers, padding); nil: none
	clock       clock.Clock            // the SFU's (WithClock), for RTCP; forwarding takes the layer's packet time
	transceiver *webrtc.RTPTransceiver // set and read on sub's run goroutine
	sender      *webrtc.RTPSender

	// On a relay's egress end, each layer of a track is a stream of its own:
	// the layer's rid and index (relay.go).
	relayRID   string
	relayLayer int

	bound    atomic.Bool
	settings atomic.Pointer[TrackSettings]
	tileWant atomic.Int32 // the spatial layer the tile wants, -1 none
	// layerSent counts the media bytes forwarded of each spatial layer
	// (bwe_trace.go).
	layerSent [maxLayers]atomic.Uint64

	// layerPair mirrors current and target, written under mu (setLayers),
	// so that a read loop drops a packet of a layer that is neither
	// without taking mu: under simulcast most packets a DownTrack sees
	// (every layer's loop visits every DownTrack of the track). One word,
	// so the pair read is one that existed, as admit would have seen it.
	layerPair atomic.Uint32
	// fellBackTo is set by lostPacket when the track fell back from a
	// resolution it had just entered (the spatial layer and temporal step
	// it fell back to, +1; 0 none), until the allocator reads it.
	fellBackTo atomic.Uint32

	mu          sync.Mutex // guards the fields Bind sets, the layers and the rewriter
	ssrc        uint32
	pt          uint8
	clockRate   uint32
	writer      webrtc.TrackLocalWriter
	extMap      []extensionMapping // replaced, never changed in place
	rw          *rewriter.Rewriter
	current     int   // layer forwarded now, -1 none
	target      int   // layer wanted, -1 paused
	curTID      int   // highest temporal layer forwarded now
	targetTID   int   // highest temporal layer wanted
	lastFrameAt int64 // unix nanoseconds of the last frame end sent
	// leaving: the layer forwarded was left at once (leave), and the
	// track restarts at the next keyframe of its target, not from the
	// cache.
	leaving  bool
	midFrame bool // the last packet sent did not end its frame
	// The layer and temporal step the last switch up left (-1 none, or
	// the last switch was not up), and when (unix ns): where lostPacket
	// falls back to if the new layer's first frames are lost.
	upFrom, upTID int
	upAt          int64
	// keyOut is the subscriber's sequence number of the last keyframe's
	// first packet (keySent: one was sent), and keyAskedAt (unix ns) when
	// lostPacket last asked for one: a loss before a keyframe sent, or
	// while one asked for is on its way, needs no other.
	keyOut     uint16
	keySent    bool
	keyAskedAt int64
	munger     *vp8.Munger // VP8 only: PictureID/TL0PICIDX continuity
	unwrapRED  bool        // RED published, Opus negotiated: send the primary block

	// leanBuf is the audio layer's read loop's, for a RED payload cut
	// to its primary block (lean_audio.go).
	leanBuf []byte

	rtcpMu sync.Mutex // the RTCP handling's turn (handleRTCP): guards rtx
	rtx    *rtxState  // under rtcpMu; nil until the first NACK
	// rtcpInReadLoop: the handling under way is the shared socket's read
	// loop's (direct SRTCP); under rtcpMu.
	rtcpInReadLoop bool
	down           downlink // what the subscriber reports (quality_stats.go)

	ladder []layerStep  // subscriber's bwe goroutine only
	pad    *emitScratch // subscriber's bwe goroutine only; nil until it first pads
}

// rtxState is what answering NACKs takes (downtrack_rtcp.go): package
// resend's limits, and the packet read back from the cache with its
// descriptor and the header it is resent with. Made at a track's first
// NACK: most tracks on a clean link never see one. Kept in the DownTrack,
// with the bwe goroutine's padding header (pad), they made every DownTrack
// 1048 bytes instead of 384.
type rtxState struct {
	resends resend.Limiter
	buf     []byte
	pkt     rtp.Packet
	sc      emitScratch
	desc    vp8.Descriptor
}

// TrackSettings is how the subscriber shows a track: the tile's size in
// device pixels (0 unknown) and whether it is visible at all.
type TrackSettings struct {
	Width, Height int
	Paused        bool
}

func newDownTrack(r *Receiver, sub *Participant) *DownTrack {
	d := &DownTrack{
		rcv:       r,
		sub:       sub,
		flusher:   sub.sfu.sockets,
		clock:     sub.sfu.cfg.clock,
		rw:        rewriter.New(rewriter.WithHistory(rewriteHistory(r.kind, sub.sfu.cfg.cacheSize))),
		current:   -1,
		target:    0,
		upFrom:    -1,
		curTID:    maxTemporal - 1,
		targetTID: maxTemporal - 1,
	}
	if strings.EqualFold(r.codec.MimeType, webrtc.MimeTypeVP8) {
		d.munger = vp8.NewMunger()
	}
	d.setLayers(d.current, d.target)
	d.settings.Store(&TrackSettings{})
	d.tileWant.Store(-1)
	return d
}

// audioRewriteHistory is how many outgoing numbers an audio down track maps
// back: Opus is never NACKed (its codec has no nack feedback), so the
// history only tells a late packet from a copy of one sent, 2.5 s of 20 ms
// packets.
const audioRewriteHistory = 128

// rewriteHistory is how many outgoing numbers a down track's rewriter maps
// back to incoming ones: for video as many as its layer's packet cache can
// grow to hold (an older packet could not be resent anyway; a cache bounded
// by time holds fewer at low rates, and a packet the rewriter maps but the
// cache no longer holds is not resent: the NACK is counted as skipped and
// package resend soon calls it lost), for audio audioRewriteHistory. 4 KB
// of a video track's 8 and 7 of an audio one's fewer than the 1024 of
// before, per subscribed track.
func rewriteHistory(kind webrtc.RTPCodecType, cacheSize int) int {
	if kind == webrtc.RTPCodecTypeAudio {
		return audioRewriteHistory
	}
	return cacheSize
}

// maxPadding is the most padding one packet can carry (its count is one octet).
const maxPadding = 255

// ID is the published track's id (with a relayed layer's rid: one track's
// layers cross a relay as streams of their own).
func (d *DownTrack) ID() string {
	if d.relayRID != "" {
		return d.rcv.id + "-" + d.relayRID
	}
	return d.rcv.id
}

// StreamID is the msid stream the track belongs to.
func (d *DownTrack) StreamID() string { return d.rcv.streamID() }

// RID is empty: a subscriber receives one stream, whatever layer feeds it.
func (d *DownTrack) RID() string { return "" }

// Kind is audio or video.
func (d *DownTrack) Kind() webrtc.RTPCodecType { return d.rcv.kind }

// Bind is called by Pion when negotiation has settled the codec, SSRC and
// header extensions for this subscriber.
func (d *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codec, unwrap, ok := bindCodec(ctx.CodecParameters(), d.rcv.codec)
	if !ok {
		return webrtc.RTPCodecParameters{}, ErrUnsupportedCodec
	}
	d.mu.Lock()
	d.unwrapRED = unwrap
	d.ssrc = uint32(ctx.SSRC())
	d.pt = uint8(codec.PayloadType)
	d.clockRate = codec.ClockRate
	d.writer = ctx.WriteStream()
	d.extMap = mapExtensions(d.rcv.extIDs, ctx.HeaderExtensions())
	target := d.target
	d.mu.Unlock()
	d.sub.log.Debug("track bound", "track", d.rcv.id, "codec", codec.MimeType, "pt", codec.PayloadType, "unwrapRED", unwrap)
	d.bound.Store(true)
	// With direct SRTP, the shared socket's read loop hands this track the
	// subscriber's RTCP about its SSRC (directsrtp_rtcp.go).
	d.sub.direct.receiver().addSender(uint32(ctx.SSRC()), d)
	// The subscriber should see a picture at once, not at the next
	// periodic keyframe: from the cache if it holds one, else asked for.
	if l := d.rcv.layer(target); l != nil && !l.startsFromCache() {
		l.requestKeyframe()
	}
	return codec, nil
}

// Unbind stops forwarding.
func (d *DownTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	d.bound.Store(false)
	d.sub.direct.receiver().removeSender(uint32(ctx.SSRC()), d)
	return nil
}

// writeRTP forwards one packet of layer l. It runs on l's read loop, which
// owns p and shares it with the layer's other subscribers: admit decides,
// emit writes under the subscriber's header, built apart from p's, so
// fan-out copies no packet and allocates nothing. pp is p's payload as the
// layer's read loop parsed it, once for every subscriber (payload_parse.go).
// A packet that starts the layer is followed by the newer ones the cache
// holds (sendNewer). It returns the bytes written, 0 if the packet was not
// sent.
func (d *DownTrack) writeRTP(l *Layer, p *rtp.Packet, pp *parsed) int {
	if !d.bound.Load() {
		return 0
	}
	if !d.mayTake(l.index) {
		return 0
	}
	var a admission
	switch d.admit(l, p, pp, &a) {
	case verdictDrop:
		return 0
	case verdictNeedKeyframe:
		// A start comes from the cache when it holds the layer's last
		// keyframe and all since (instant.go); a track that left its
		// layer (downtrack_leave.go) only from a fresh one.
		if a.prev < 0 && (!a.leaving || l.freshKeyframe(l.arrived)) {
			if sent := d.catchUp(l, p.SequenceNumber); sent > 0 {
				return sent // p among the packets after the keyframe
			}
		}
		l.requestKeyframe()
		return 0
	}
	n, err := a.out.emit(&l.emit, &p.Header, a.payload)
	if a.munged {
		// The payload is shared with the layer's other subscribers: its
		// picture numbers go back once written.
		vp8.Restore(p.Payload, pp.vp8, a.orig)
	}
	if n == 0 || err != nil {
		if a.switched {
			d.unswitch(l.index, a.prev)
		}
		return 0
	}
	d.sub.sent.Add(uint64(n))
	d.layerSent[l.index].Add(uint64(n))
	if d.sub.relay == RelayEgress {
		d.rcv.stats.RelayPacketsOut.Add(1)
		d.rcv.stats.RelayBytesOut.Add(uint64(n))
	}
	if a.switched && a.prev >= 0 {
		d.rcv.stats.LayerSwitches.Add(1)
		d.sub.layerSwitches.Add(1)
		d.sub.log.Debug("layer switch", "track", d.rcv.id, "from", a.prev, "to", l.index)
	}
	if a.switched {
		// Last: it may reuse the memory p is in (catchUp's).
		n += d.sendNewer(l, p.SequenceNumber)
	}
	return n
}

// setTarget chooses the layer to forward (-1 pauses) and the highest
// temporal layer of it. A pause takes effect at once; a change of spatial
// layer at the next keyframe of the new layer.
func (d *DownTrack) setTarget(layer, tid int) {
	d.mu.Lock()
	d.targetTID = tid
	if layer == d.target {
		d.mu.Unlock()
		return
	}
	d.leaving = false
	current := d.current
	if layer < 0 {
		current = -1
	}
	d.setLayers(current, layer)
	d.mu.Unlock()
	if layer != current {
		if l := d.rcv.layer(layer); l != nil && (current >= 0 || !l.startsFromCache()) {
			l.requestKeyframe()
		}
	}
}

// layers returns the layer forwarded now and the one wanted.
func (d *DownTrack) layers() (current, target int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.current, d.target
}

// requestKeyframe asks for a keyframe of the layer the subscriber is about
// to get, or else of the one it gets (the layer throttles what reaches the
// publisher): during a switch, the new layer's keyframe is the one that
// ends a freeze.
func (d *DownTrack) requestKeyframe() {
	if l := d.keyframeLayer(); l != nil {
		l.requestKeyframe()
	}
}

// askKeyframe is requestKeyframe from the RTCP handling (under rtcpMu):
// in the shared socket's read loop the request leaves on a goroutine of
// its own (Layer.requestKeyframeAsync).
func (d *DownTrack) askKeyframe() {
	if !d.rtcpInReadLoop {
		d.requestKeyframe()
	} else if l := d.keyframeLayer(); l != nil {
		l.requestKeyframeAsync()
	}
}

// keyframeLayer counts a keyframe request and returns the layer it is for.
func (d *DownTrack) keyframeLayer() *Layer {
	d.sub.keyframeRequests.Add(1)
	current, target := d.layers()
	if target < 0 {
		target = current
	}
	return d.rcv.layer(target)
}

// setLayers sets the layer forwarded and the one wanted (-1 none), and
// their mirror for mayTake. Called with d.mu held, or before d is shared.
func (d *DownTrack) setLayers(current, target int) {
	d.current, d.target = current, target
	d.layerPair.Store(uint32(uint8(current+1)) | uint32(uint8(target+1))<<8)
}

// mayTake tells, without the lock, whether a packet of layer index could
// be admitted: it is the layer forwarded or the one wanted. admit checks
// again under d.mu.
func (d *DownTrack) mayTake(index int) bool {
	v, i := d.layerPair.Load(), uint32(uint8(index+1))
	return v&0xff == i || v>>8 == i
}
