package sfu

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/red"
	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
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

	mu          sync.Mutex // guards the fields Bind sets, the layers and the rewriter
	ssrc        uint32
	pt          uint8
	clockRate   uint32
	writer      webrtc.TrackLocalWriter
	extMap      []extensionMapping // replaced, never changed in place
	rw          *rewriter.Rewriter
	current     int         // layer forwarded now, -1 none
	target      int         // layer wanted, -1 paused
	curTID      int         // highest temporal layer forwarded now
	targetTID   int         // highest temporal layer wanted
	lastFrameAt int64       // unix nanoseconds of the last frame end sent
	midFrame    bool        // the last packet sent did not end its frame
	munger      *vp8.Munger // VP8 only: PictureID/TL0PICIDX continuity
	unwrapRED   bool        // RED published, Opus negotiated: send the primary block

	// Up to one read loop per layer calls writeRTP: each has its scratch.
	extBuf [maxLayers][4]rtp.Extension
	// leanBuf is the audio layer's read loop's, for a RED payload cut
	// to its primary block (lean_audio.go).
	leanBuf []byte

	rtxBuf  []byte           // RTCP goroutine only
	rtxPkt  rtp.Packet       // RTCP goroutine only
	resends *resend.Limiter  // RTCP goroutine only; nil until the first NACK
	rtxExt  [4]rtp.Extension // RTCP goroutine only
	rtxDesc vp8.Descriptor   // RTCP goroutine only
	down    downlink         // what the subscriber reports (quality_stats.go)

	ladder []layerStep      // subscriber's bwe goroutine only
	padHdr rtp.Header       // subscriber's bwe goroutine only
	padExt [2]rtp.Extension // subscriber's bwe goroutine only
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
		rw:        rewriter.New(),
		current:   -1,
		target:    0,
		curTID:    maxTemporal - 1,
		targetTID: maxTemporal - 1,
		rtxBuf:    make([]byte, packetcache.MaxPacketSize),
	}
	if strings.EqualFold(r.codec.MimeType, webrtc.MimeTypeVP8) {
		d.munger = vp8.NewMunger()
	}
	d.settings.Store(&TrackSettings{})
	d.tileWant.Store(-1)
	return d
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
	// The subscriber should see a picture at once, not at the next
	// periodic keyframe: from the cache if it holds one, else asked for.
	if l := d.rcv.layer(target); l != nil && !l.startsFromCache() {
		l.requestKeyframe()
	}
	return codec, nil
}

// Unbind stops forwarding.
func (d *DownTrack) Unbind(webrtc.TrackLocalContext) error {
	d.bound.Store(false)
	return nil
}

// writeRTP forwards one packet of layer l. It runs on l's read loop, which
// owns p: the header is rewritten in place for this subscriber and restored
// afterwards, so fan-out copies nothing and allocates nothing. desc is p's
// VP8 payload descriptor (nil if not VP8, or not one we understand). It
// returns the bytes written, 0 if the packet was not sent.
func (d *DownTrack) writeRTP(l *Layer, p *rtp.Packet, desc *vp8.Descriptor) int {
	if !d.bound.Load() {
		return 0
	}
	d.mu.Lock()
	prev := d.current
	switching := l.index != prev
	if switching {
		if l.index != d.target {
			d.mu.Unlock()
			return 0
		}
		// A video stream can only start, or change layer, at a keyframe of
		// the layer it goes to. A start may use the last one, from the
		// cache, when it holds everything since (instant.go); a switch
		// waits for the next, since going back in time would show the
		// subscriber frames it has seen the like of already.
		if d.rcv.kind == webrtc.RTPCodecTypeVideo && !isKeyframe(d.rcv.codec.MimeType, p.Payload, desc) {
			d.mu.Unlock()
			if prev < 0 {
				if sent := d.catchUp(l, p.SequenceNumber); sent > 0 {
					return sent + d.writeRTP(l, p, desc)
				}
			}
			l.requestKeyframe()
			return 0
		}
		if d.rw.Started() {
			d.rw.Switch(d.timestampGap())
			if d.munger != nil {
				d.munger.Switch()
			}
		}
		d.current = l.index
	}
	if desc != nil && desc.HasTID && d.dropTemporal(desc) {
		// A frame above the temporal layer chosen: nothing at or below it
		// refers to it, so it goes, and the numbers close over it.
		d.rw.Skip(p.SequenceNumber)
		d.munger.Skip(desc)
		d.mu.Unlock()
		return 0
	}
	if len(p.Payload) == 0 || d.munger != nil && desc == nil {
		// Padding only, or a payload we cannot munge: nothing the decoder
		// can use, so close the gap instead.
		d.rw.Skip(p.SequenceNumber)
		d.mu.Unlock()
		return 0
	}
	payload := p.Payload
	if l.red && !d.unwrapRED && d.sub.leanAudio.Load() {
		payload = d.leanPayload(payload)
	}
	if d.unwrapRED {
		// The subscriber negotiated Opus alone: RFC 2198's primary block
		// is the Opus packet, the redundant ones of no use to it. A
		// payload that is not RED is nothing it can decode.
		primary, _, err := red.Primary(p.Payload)
		if err != nil {
			d.rw.Skip(p.SequenceNumber)
			d.mu.Unlock()
			return 0
		}
		payload = primary
	}
	var orig vp8.Original
	if desc != nil {
		var placed bool
		if orig, placed = d.munger.Munge(p.Payload, desc); !placed {
			d.rw.Skip(p.SequenceNumber)
			d.mu.Unlock()
			return 0
		}
	}
	seq, ts, ok := d.rw.Rewrite(p.SequenceNumber, p.Timestamp)
	if ok && p.Marker && d.rcv.kind == webrtc.RTPCodecTypeVideo {
		d.lastFrameAt = time.Now().UnixNano()
	}
	if ok {
		d.midFrame = !p.Marker
	}
	ssrc, pt, w, extMap := d.ssrc, d.pt, d.writer, d.extMap
	d.mu.Unlock()
	if desc != nil {
		// The payload is shared with the other subscribers of this layer:
		// put its picture numbers back once written.
		defer vp8.Restore(p.Payload, desc, orig)
	}
	if !ok {
		return 0
	}
	hdr := p.Header
	p.SSRC, p.PayloadType, p.SequenceNumber, p.Timestamp = ssrc, pt, seq, ts
	p.Header.Padding, p.Header.PaddingSize = false, 0
	rewriteExtensions(&p.Header, &hdr, extMap, d.extBuf[l.index][:0])
	n, err := w.WriteRTP(&p.Header, payload)
	p.Header = hdr
	if n == 0 || err != nil {
		if switching {
			// Pion drops writes silently (0, nil) until SRTP is up: a
			// keyframe lost there must not count as the start.
			d.mu.Lock()
			if d.current == l.index {
				d.current = prev
			}
			d.mu.Unlock()
		}
		return 0
	}
	d.sub.sent.Add(uint64(n))
	d.layerSent[l.index].Add(uint64(n))
	if d.sub.relay == RelayEgress {
		d.rcv.stats.RelayPacketsOut.Add(1)
		d.rcv.stats.RelayBytesOut.Add(uint64(n))
	}
	if switching && prev >= 0 {
		d.rcv.stats.LayerSwitches.Add(1)
		d.sub.layerSwitches.Add(1)
		d.sub.log.Debug("layer switch", "track", d.rcv.id, "from", prev, "to", l.index)
	}
	return n
}

// timestampGap is how far the next source's first timestamp should be from
// the last one sent: the wall-clock time since the last frame, in the
// stream's clock (RFC 3550 §5.1), at least one tick.
func (d *DownTrack) timestampGap() uint32 {
	if d.lastFrameAt == 0 || d.clockRate == 0 {
		return 1
	}
	elapsed := time.Now().UnixNano() - d.lastFrameAt
	gap := uint64(elapsed) * uint64(d.clockRate) / uint64(time.Second)
	if gap < 1 {
		return 1
	}
	return uint32(gap)
}

// rewriteExtensions gives h the extensions of orig that the subscriber
// negotiated, under the subscriber's IDs, in buf.
func rewriteExtensions(h, orig *rtp.Header, extMap []extensionMapping, buf []rtp.Extension) {
	h.Extension, h.ExtensionProfile, h.Extensions = false, 0, buf
	for _, m := range extMap {
		if payload := orig.GetExtension(m.from); payload != nil {
			_ = h.SetExtension(m.to, payload)
		}
	}
}

// dropTemporal reports whether a packet of temporal layer desc.TID is above
// what this subscriber gets. Going down takes effect at once; going up at
// the start of a TL0 frame, which refers only to TL0 frames, so every frame
// from there on can be decoded. Called with d.mu held.
func (d *DownTrack) dropTemporal(desc *vp8.Descriptor) bool {
	switch {
	case d.targetTID < d.curTID:
		d.curTID = d.targetTID
	case d.targetTID > d.curTID && desc.TID == 0 && desc.Start:
		d.curTID = d.targetTID
	}
	return int(desc.TID) > d.curTID
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
	d.target = layer
	if layer < 0 {
		d.current = -1
	}
	current := d.current
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

// requestKeyframe asks for a keyframe of the layer the subscriber gets, or
// is about to get (the layer throttles what reaches the publisher).
func (d *DownTrack) requestKeyframe() {
	d.sub.keyframeRequests.Add(1)
	current, target := d.layers()
	if current < 0 {
		current = target
	}
	if l := d.rcv.layer(current); l != nil {
		l.requestKeyframe()
	}
}

// isKeyframe uses the VP8 descriptor the layer loop already parsed, and
// parses other codecs' payloads itself.
func isKeyframe(mime string, payload []byte, desc *vp8.Descriptor) bool {
	if desc != nil {
		return desc.Keyframe
	}
	return keyframe.IsKeyframe(mime, payload)
}
