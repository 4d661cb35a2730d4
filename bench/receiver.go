package bench

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bench/hist"
)

// ReceiverStats counts what arrived on one remote track. Sequence numbers
// and send times are the publisher's, from the bench layout, so they survive
// the SFU's rewriting of RTP headers.
type ReceiverStats struct {
	Packets       uint64
	Bytes         uint64 // RTP payload bytes
	Distinct      uint64 // payload sequence numbers seen at least once
	Duplicates    uint64 // packets whose sequence number was already seen
	Late          uint64 // distinct packets that arrived after a later one: repaired by NACK, or reordered
	PayloadErrors uint64 // codec header or bench layout damaged
	Padding       uint64 // padding-only packets (RFC 3550 §5.1): the SFU's bandwidth probes
	MinSeq        uint64 // lowest payload sequence number seen (in the current space)
	MaxSeq        uint64 // highest payload sequence number seen (in the current space)
	Keyframes     uint64 // VP8 keyframes started
	PLIsSent      uint64 // keyframe requests this client sent for the track
	FirstPacket   time.Time
	FirstKeyframe time.Time
	LastPacket    time.Time
	LatencySum    time.Duration // send to receive, over Distinct packets
	LatencyMax    time.Duration
	Width, Height uint16 // from the last keyframe

	// Each simulcast layer numbers its packets from 0, so a switch to
	// another layer (seen as a keyframe of another size) starts a new
	// sequence space: Restarts counts them, and the Earlier fields hold the
	// spaces before the current one (Distinct counts them all).
	Restarts        uint64
	EarlierDistinct uint64
	EarlierExpected uint64 // sequence numbers between the lowest and the highest
	EarlierMissing  uint64 // of those, never received
}

// Missing is how many sequence numbers between the lowest and the highest
// seen never arrived.
func (s ReceiverStats) Missing() uint64 {
	d := s.Distinct - s.EarlierDistinct
	if d == 0 {
		return s.EarlierMissing
	}
	span := s.MaxSeq - s.MinSeq + 1
	return s.EarlierMissing + span - min(d, span)
}

// MeanLatency is the average one-way delay of the distinct packets; it
// means something only when publisher and subscriber share a clock.
func (s ReceiverStats) MeanLatency() time.Duration {
	if s.Distinct == 0 {
		return 0
	}
	return s.LatencySum / time.Duration(s.Distinct)
}

// RemoteTrack is one track the server sends this client.
type RemoteTrack struct {
	// ID is the server's track id, from the offer's trackIds ("" if the
	// server did not name it).
	ID string
	// ParticipantID is the publisher, from the track's stream id (README:
	// the participant id, or "{id}-screen" for a screen share, resolved
	// through the track's info when known).
	ParticipantID string
	Kind          webrtc.RTPCodecType
	Mid           string
	MimeType      string

	track *webrtc.TrackRemote
	done  chan struct{}

	mu      sync.Mutex
	stats   ReceiverStats
	seen    seqSet
	latency hist.Histogram // of the distinct packets
	lastErr error
}

func newRemoteTrack(t *webrtc.TrackRemote, id, participantID, mid string) *RemoteTrack {
	return &RemoteTrack{
		ID: id, ParticipantID: participantID, Kind: t.Kind(), Mid: mid,
		MimeType: t.Codec().MimeType, track: t, done: make(chan struct{}),
	}
}

// Stats returns a snapshot of the track's counters.
func (r *RemoteTrack) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// AddLatency adds the track's latency histogram (one-way delay of every
// distinct packet so far) to h.
func (r *RemoteTrack) AddLatency(h *hist.Histogram) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h.Add(&r.latency)
}

// LastPayloadError is the last damaged payload's error, nil if none.
func (r *RemoteTrack) LastPayloadError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// MissingBetween counts the payload sequence numbers in [from, to] that
// never arrived. With from and to taken from an earlier snapshot it tells
// loss that stayed lost from loss still being repaired.
func (r *RemoteTrack) MissingBetween(from, to uint64) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen.missing(from, to)
}

// Done is closed when the track ended: the server stopped sending it
// (its transceiver went inactive) or the client closed.
func (r *RemoteTrack) Done() <-chan struct{} { return r.done }

// Ended reports whether Done is closed.
func (r *RemoteTrack) Ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// pliInterval is how often a video track without a keyframe yet asks for
// one, like a browser's decoder that cannot start.
const pliInterval = 500 * time.Millisecond

// read consumes the track until it ends. requestPLI, when not nil, is how
// the track asks for a keyframe while it has none.
func (r *RemoteTrack) read(ctx context.Context, requestPLI func(rtcp.Packet) error) {
	defer close(r.done)
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	var lastPLI time.Time
	for ctx.Err() == nil {
		n, _, err := r.track.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.setErr(err)
			}
			return
		}
		now := time.Now()
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			r.handleError(err)
			continue
		}
		if len(pkt.Payload) == 0 && pkt.Padding {
			// Padding only: a sender probing bandwidth; a decoder skips it.
			r.mu.Lock()
			r.stats.Padding++
			r.mu.Unlock()
			continue
		}
		r.handle(pkt.Payload, now)
		if requestPLI != nil && r.Kind == webrtc.RTPCodecTypeVideo && now.Sub(lastPLI) >= pliInterval &&
			r.needsKeyframe() {
			lastPLI = now
			if requestPLI(&rtcp.PictureLossIndication{MediaSSRC: uint32(r.track.SSRC())}) == nil {
				r.mu.Lock()
				r.stats.PLIsSent++
				r.mu.Unlock()
			}
		}
	}
}

// restart folds the current sequence space into the Earlier counts and
// starts another; r.mu held.
func (r *RemoteTrack) restart() {
	s := &r.stats
	if s.Distinct > s.EarlierDistinct {
		s.EarlierExpected += s.MaxSeq - s.MinSeq + 1
		s.EarlierMissing += r.seen.missing(s.MinSeq, s.MaxSeq)
	}
	s.EarlierDistinct = s.Distinct
	s.MinSeq, s.MaxSeq = 0, 0
	s.Restarts++
	r.seen = seqSet{}
}

func (r *RemoteTrack) needsKeyframe() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats.Keyframes == 0
}

func (r *RemoteTrack) setErr(err error) {
	r.mu.Lock()
	r.lastErr = err
	r.mu.Unlock()
}

func (r *RemoteTrack) handleError(err error) {
	r.mu.Lock()
	r.stats.PayloadErrors++
	r.lastErr = err
	r.mu.Unlock()
}

// handle accounts one RTP payload received at now.
func (r *RemoteTrack) handle(payload []byte, now time.Time) {
	layout, hdr, err := splitCodecHeader(r.MimeType, payload)
	var p Payload
	if err == nil {
		p, err = ParsePayload(layout)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &r.stats
	s.Packets++
	s.Bytes += uint64(len(payload))
	if s.FirstPacket.IsZero() {
		s.FirstPacket = now
	}
	s.LastPacket = now
	if err != nil {
		s.PayloadErrors++
		r.lastErr = err
		return
	}
	if hdr.keyframe && s.Keyframes > 0 && (hdr.width != s.Width || hdr.height != s.Height) {
		r.restart()
	}
	if !r.seen.add(p.Seq) {
		s.Duplicates++
		return
	}
	empty := s.Distinct == s.EarlierDistinct // the current space
	if !empty && p.Seq < s.MaxSeq {
		s.Late++
	}
	if empty || p.Seq < s.MinSeq {
		s.MinSeq = p.Seq
	}
	if empty || p.Seq > s.MaxSeq {
		s.MaxSeq = p.Seq
	}
	s.Distinct++
	lat := now.Sub(time.Unix(0, p.SentUnix))
	s.LatencySum += lat
	s.LatencyMax = max(s.LatencyMax, lat)
	r.latency.Record(lat)
	if hdr.keyframe {
		s.Keyframes++
		s.Width, s.Height = hdr.width, hdr.height
		if s.FirstKeyframe.IsZero() {
			s.FirstKeyframe = now
		}
	}
}

// MissingList lists the payload sequence numbers from..to not received
// (at most max of them), for a test's failure message.
func (r *RemoteTrack) MissingList(from, to uint64, max int) []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []uint64
	for seq := from; seq <= to && len(out) < max; seq++ {
		if r.seen.missing(seq, seq) == 1 {
			out = append(out, seq)
		}
	}
	return out
}
