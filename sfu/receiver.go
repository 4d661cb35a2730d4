package sfu

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
	"github.com/switchboard-rtc/switchboard/sfu/speakers"
)

// maxReadErrors ends a read loop that keeps failing, rather than spin.
const maxReadErrors = 100

// Receiver is one published track: one Layer, or one per simulcast layer.
// Each layer's read loop stores every packet once in a PacketCache shared by
// all subscribers and hands it to their DownTracks.
type Receiver struct {
	id    string
	owner *Participant
	room  *Room // where it is published: its owner's, or the one a relayed track names
	// publisher is who published the track: the owner, or for a track
	// relayed from another node the participant there (relay.go).
	publisher ParticipantInfo
	mid       string   // the publisher's mid; a relayed track's id
	rids      []string // a relayed track's layers; nil: the publisher's SDP says
	source    string
	kind      webrtc.RTPCodecType
	codec     webrtc.RTPCodecParameters
	rtp       *webrtc.RTPReceiver
	extIDs    []webrtc.RTPHeaderExtensionParameter
	stats     *counters
	muted     atomic.Bool
	closed    atomic.Bool

	// levelExt is the id of the audio-level header extension (RFC 6464) on
	// an audio track, 0 without; level gathers it for the room's speakers.
	levelExt uint8
	level    speakers.Meter

	layers   [maxLayers]atomic.Pointer[Layer]
	running  atomic.Int32 // layers whose read loop runs
	dynacast dynacast     // owner's bwe loop only

	dtMu       sync.Mutex                   // serializes changes to downTracks
	downTracks atomic.Pointer[[]*DownTrack] // copy on write: read loops never lock
}

func newReceiver(p *Participant, track *webrtc.TrackRemote, recv *webrtc.RTPReceiver, meta PublishedTrack) *Receiver {
	r := &Receiver{
		id:        newID("TR"),
		owner:     p,
		room:      p.room,
		publisher: ParticipantInfo{ID: p.id, Name: p.name},
		mid:       meta.Mid,
		source:    meta.Source,
		kind:      track.Kind(),
		codec:     track.Codec(),
		rtp:       recv,
		extIDs:    recv.GetParameters().HeaderExtensions,
		stats:     &p.sfu.stats,
	}
	r.muted.Store(meta.Muted)
	r.downTracks.Store(&[]*DownTrack{})
	if r.kind == webrtc.RTPCodecTypeAudio {
		for _, e := range r.extIDs {
			if e.URI == uriAudioLevel && e.ID > 0 && e.ID < 256 {
				r.levelExt = uint8(e.ID)
			}
		}
	}
	return r
}

// addLayer attaches a remote track as the layer named rid (its own rid, or
// for a relayed track the one the far node named); nil when every layer is
// taken. recv is the RTPReceiver the track arrived on.
func (r *Receiver) addLayer(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver, rid string) *Layer {
	i := layerIndex(rid, func(i int) bool { return r.layers[i].Load() != nil })
	if i < 0 {
		return nil
	}
	l := newLayer(r, i, rid, track, recv)
	if !r.layers[i].CompareAndSwap(nil, l) {
		return nil
	}
	return l
}

// layer returns layer i, or nil.
func (r *Receiver) layer(i int) *Layer {
	if i < 0 || i >= maxLayers {
		return nil
	}
	return r.layers[i].Load()
}

func (r *Receiver) info() TrackInfo {
	return TrackInfo{
		ID:            r.id,
		ParticipantID: r.publisher.ID,
		Kind:          r.kind.String(),
		Source:        r.source,
		Muted:         r.muted.Load(),
	}
}

// streamID groups a participant's camera and microphone in one stream, so
// that browsers keep them in sync, and puts a screen share in its own.
func (r *Receiver) streamID() string {
	if r.source == SourceScreen {
		return r.publisher.ID + "-screen"
	}
	return r.publisher.ID
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

// drainRTCP reads the publisher's RTCP about layer l (its sender reports)
// so that the interceptors see it: receiver reports need the last SR's
// time. Pion reads a simulcast layer's RTCP only by its rid.
func (r *Receiver) drainRTCP(l *Layer) {
	buf := make([]byte, packetcache.MaxPacketSize)
	rid := l.track.RID()
	for {
		var err error
		if rid == "" {
			_, _, err = l.rtp.Read(buf)
		} else {
			_, _, err = l.rtp.ReadSimulcast(buf, rid)
		}
		if err != nil && !errors.Is(err, io.ErrShortBuffer) {
			return
		}
		// A muted publisher still sends sender reports: it is there.
		l.up.lastAt.Store(l.clock.Now().UnixNano())
	}
}
