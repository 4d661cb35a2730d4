package sfu

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
)

// maxReadErrors ends a read loop that keeps failing, rather than spin.
const maxReadErrors = 100

// Receiver is one published track. Its read loop stores each packet once in
// a PacketCache shared by every subscriber and hands it to their DownTracks.
type Receiver struct {
	id       string
	owner    *Participant
	mid      string
	source   string
	kind     webrtc.RTPCodecType
	codec    webrtc.RTPCodecParameters
	track    *webrtc.TrackRemote
	rtp      *webrtc.RTPReceiver
	extIDs   []webrtc.RTPHeaderExtensionParameter
	cache    *packetcache.PacketCache
	throttle *keyframe.Throttle
	stats    *counters
	muted    atomic.Bool
	closed   atomic.Bool

	dtMu       sync.Mutex                   // serializes changes to downTracks
	downTracks atomic.Pointer[[]*DownTrack] // copy on write: the read loop never locks
}

func newReceiver(p *Participant, track *webrtc.TrackRemote, recv *webrtc.RTPReceiver, meta PublishedTrack) *Receiver {
	cfg := &p.sfu.cfg
	r := &Receiver{
		id:       newID("TR"),
		owner:    p,
		mid:      meta.Mid,
		source:   meta.Source,
		kind:     track.Kind(),
		codec:    track.Codec(),
		track:    track,
		rtp:      recv,
		extIDs:   recv.GetParameters().HeaderExtensions,
		cache:    packetcache.New(cfg.cacheSize),
		throttle: keyframe.NewThrottle(cfg.keyframeInterval),
		stats:    &p.sfu.stats,
	}
	r.muted.Store(meta.Muted)
	r.downTracks.Store(&[]*DownTrack{})
	return r
}

func (r *Receiver) info() TrackInfo {
	return TrackInfo{
		ID:            r.id,
		ParticipantID: r.owner.id,
		Kind:          r.kind.String(),
		Source:        r.source,
		Muted:         r.muted.Load(),
	}
}

// streamID groups a participant's camera and microphone in one stream, so
// that browsers keep them in sync, and puts a screen share in its own.
func (r *Receiver) streamID() string {
	if r.source == SourceScreen {
		return r.owner.id + "-screen"
	}
	return r.owner.id
}

func (r *Receiver) isClosed() bool { return r.closed.Load() }

func (r *Receiver) addDownTrack(d *DownTrack) {
	r.dtMu.Lock()
	defer r.dtMu.Unlock()
	old := *r.downTracks.Load()
	next := make([]*DownTrack, len(old), len(old)+1)
	copy(next, old)
	next = append(next, d)
	r.downTracks.Store(&next)
}

func (r *Receiver) removeDownTrack(d *DownTrack) {
	r.dtMu.Lock()
	defer r.dtMu.Unlock()
	old := *r.downTracks.Load()
	next := make([]*DownTrack, 0, len(old))
	for _, x := range old {
		if x != d {
			next = append(next, x)
		}
	}
	r.downTracks.Store(&next)
}

// forward is the read loop: it runs until the track ends.
func (r *Receiver) forward() {
	buf := make([]byte, packetcache.MaxPacketSize)
	var pkt rtp.Packet
	failures := 0
	for {
		n, _, err := r.track.Read(buf)
		if err != nil {
			if errors.Is(err, io.EOF) || r.owner.ctx.Err() != nil {
				return
			}
			if failures++; failures > maxReadErrors {
				r.owner.log.Warn("giving up on track", "track", r.id, "err", err)
				return
			}
			continue
		}
		failures = 0
		if pkt.Unmarshal(buf[:n]) == nil {
			r.handlePacket(&pkt, buf[:n])
		}
	}
}

// handlePacket stores one packet, once, in the shared cache and hands it to
// every DownTrack. raw is pkt as received; both are reused for the next one.
func (r *Receiver) handlePacket(pkt *rtp.Packet, raw []byte) {
	r.stats.packetsIn.Add(1)
	r.stats.bytesIn.Add(uint64(len(raw)))
	switch r.cache.Store(pkt.SequenceNumber, raw) {
	case packetcache.Stored:
	case packetcache.Duplicate:
		// Chromium's bandwidth probes re-send packets we already have.
		r.stats.duplicatesDropped.Add(1)
		return
	default:
		return
	}
	for _, d := range *r.downTracks.Load() {
		d.writeRTP(pkt)
	}
}

// drainRTCP reads the publisher's RTCP (sender reports) so that the
// interceptors see it: receiver reports need the last SR's time.
func (r *Receiver) drainRTCP() {
	buf := make([]byte, packetcache.MaxPacketSize)
	for {
		if _, _, err := r.rtp.Read(buf); err != nil && !errors.Is(err, io.ErrShortBuffer) {
			return
		}
	}
}

// requestKeyframe asks the publisher for a keyframe (RFC 4585 §6.3.1 PLI),
// at most once per keyframe interval however many subscribers ask.
func (r *Receiver) requestKeyframe() {
	if r.kind != webrtc.RTPCodecTypeVideo || !r.throttle.Allow(time.Now()) {
		return
	}
	pli := &rtcp.PictureLossIndication{MediaSSRC: uint32(r.track.SSRC())}
	if err := r.owner.pc.WriteRTCP([]rtcp.Packet{pli}); err != nil {
		r.owner.log.Debug("sending PLI", "track", r.id, "err", err)
		return
	}
	r.stats.keyframeRequestsSent.Add(1)
}
