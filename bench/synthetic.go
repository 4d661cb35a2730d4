package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Source is media a Client publishes on one sendonly transceiver.
type Source interface {
	// Track is what the transceiver sends.
	Track() webrtc.TrackLocal
	// Source is the protocol's name for it: camera, microphone or screen.
	Source() string
	// Run sends media until ctx ends. The Client starts it once the track is
	// negotiated and the PeerConnection is connected.
	Run(ctx context.Context) error
	// HandleRTCP receives the RTCP the server sends about the track (read
	// from its RTPSender, after Pion's interceptors answered NACKs).
	HandleRTCP(pkts []rtcp.Packet)
}

// SourceStats counts what a synthetic source sent and the feedback it got.
type SourceStats struct {
	Packets   uint64
	Bytes     uint64 // RTP payload bytes
	Frames    uint64 // video frames (audio: packets)
	Keyframes uint64
	// LastKeyframe is when the last keyframe was sent, zero before one.
	LastKeyframe time.Time
	PLIs         uint64 // picture loss indications received
	FIRs         uint64 // full intra requests received
	NACKed       uint64 // sequence numbers the server asked to retransmit
	WriteErrors  uint64
}

// SyntheticOption configures a synthetic source.
type SyntheticOption func(*syntheticConfig)

type syntheticConfig struct {
	bitrate          int
	fps              int
	keyframeInterval time.Duration
	width, height    int
	source           string
	trackID          string
	streamID         string
	rid              string // simulcast layer, empty for a single stream
	audioLevel       int    // -dBov in every audio packet (RFC 6464); -1: no extension
	red              bool   // audio as RED (RFC 2198): each packet carries the previous one too
}

// WithRedundancy makes a synthetic audio source send RED (RFC 2198) as
// Chromium does: each packet the previous Opus payload as a redundant
// block, then its own as the primary. Its client needs WithRED.
func WithRedundancy() SyntheticOption { return func(c *syntheticConfig) { c.red = true } }

// WithBitrate sets the payload bitrate in bits per second.
func WithBitrate(bps int) SyntheticOption { return func(c *syntheticConfig) { c.bitrate = bps } }

// WithFrameRate sets a video source's frames per second.
func WithFrameRate(fps int) SyntheticOption { return func(c *syntheticConfig) { c.fps = fps } }

// WithKeyframeInterval sets how often a video source sends a keyframe
// unasked; 0 sends them only at the start and when the server asks.
func WithKeyframeInterval(d time.Duration) SyntheticOption {
	return func(c *syntheticConfig) { c.keyframeInterval = d }
}

// WithResolution sets the dimensions a video source writes in its keyframes.
func WithResolution(width, height int) SyntheticOption {
	return func(c *syntheticConfig) { c.width, c.height = width, height }
}

// WithSource sets the protocol source (camera, microphone, screen).
func WithSource(source string) SyntheticOption { return func(c *syntheticConfig) { c.source = source } }

// WithTrackID sets the local track and stream ids that appear in the offer's
// msid; the server names tracks itself, so they matter only for debugging.
func WithTrackID(trackID, streamID string) SyntheticOption {
	return func(c *syntheticConfig) { c.trackID, c.streamID = trackID, streamID }
}

// WithAudioLevel makes an audio source send the audio-level header
// extension (RFC 6464) with this level, in -dBov: 0 the loudest, 127
// silence. SyntheticAudio.SetLevel changes it while it runs. Without it an
// audio source sends no level.
func WithAudioLevel(dBov int) SyntheticOption {
	return func(c *syntheticConfig) { c.audioLevel = dBov }
}

func newSyntheticConfig(defaults syntheticConfig, opts []SyntheticOption) (syntheticConfig, error) {
	c := defaults
	for _, o := range opts {
		o(&c)
	}
	if c.bitrate <= 0 || c.fps <= 0 || c.keyframeInterval < 0 || c.width <= 0 || c.width > 0x3fff ||
		c.height <= 0 || c.height > 0x3fff || c.source == "" || c.trackID == "" || c.streamID == "" ||
		c.audioLevel < -1 || c.audioLevel > 127 {
		return c, fmt.Errorf("%w: synthetic source %+v", ErrBadOption, c)
	}
	return c, nil
}

// synthetic is what the audio and video sources share: their track, the RTP
// packet they reuse, counters, and keyframe requests.
type synthetic struct {
	cfg      syntheticConfig
	track    *webrtc.TrackLocalStaticRTP
	keyframe chan struct{} // nil for audio
	pkt      rtp.Packet    // owned by Run
	buf      []byte        // owned by Run
	rtpSeq   uint16        // owned by Run
	next     uint64        // payload sequence number, owned by Run

	// Simulcast layers tag every packet with mid and rid (RFC 8852); the
	// ids are set once negotiation has settled them, before Run.
	midID, ridID uint8
	mid          string
	exts         [2]rtp.Extension // owned by Run

	// An audio source's level extension: its negotiated id (set before
	// Run; 0: not sent) and the level, -dBov, or -1 for none.
	levelID  uint8
	level    atomic.Int32
	levelBuf [1]byte // owned by Run

	packets, bytes, frames, keyframes atomic.Uint64
	plis, firs, nacked, writeErrors   atomic.Uint64
	lastKeyframe                      atomic.Int64 // Unix nanoseconds
}

func newSynthetic(cfg syntheticConfig, codec webrtc.RTPCodecCapability, video bool) (*synthetic, error) {
	var trackOpts []func(*webrtc.TrackLocalStaticRTP)
	if cfg.rid != "" {
		trackOpts = append(trackOpts, webrtc.WithRTPStreamID(cfg.rid))
	}
	track, err := webrtc.NewTrackLocalStaticRTP(codec, cfg.trackID, cfg.streamID, trackOpts...)
	if err != nil {
		return nil, err
	}
	s := &synthetic{cfg: cfg, track: track, rtpSeq: uint16(rand.Uint32())}
	s.level.Store(int32(cfg.audioLevel))
	if video {
		s.keyframe = make(chan struct{}, 1)
	}
	return s, nil
}

// Track is the Pion track the source writes to.
func (s *synthetic) Track() webrtc.TrackLocal { return s.track }

// Source is the protocol source name.
func (s *synthetic) Source() string { return s.cfg.source }

// Stats returns the source's counters.
func (s *synthetic) Stats() SourceStats {
	var lastKey time.Time
	if ns := s.lastKeyframe.Load(); ns != 0 {
		lastKey = time.Unix(0, ns)
	}
	return SourceStats{
		LastKeyframe: lastKey,
		Packets:      s.packets.Load(), Bytes: s.bytes.Load(), Frames: s.frames.Load(),
		Keyframes: s.keyframes.Load(), PLIs: s.plis.Load(), FIRs: s.firs.Load(),
		NACKed: s.nacked.Load(), WriteErrors: s.writeErrors.Load(),
	}
}

// HandleRTCP counts feedback and turns PLI and FIR into a keyframe on the
// next frame.
func (s *synthetic) HandleRTCP(pkts []rtcp.Packet) {
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.PictureLossIndication:
			s.plis.Add(1)
			s.requestKeyframe()
		case *rtcp.FullIntraRequest:
			s.firs.Add(1)
			s.requestKeyframe()
		case *rtcp.TransportLayerNack:
			for _, pair := range p.Nacks {
				s.nacked.Add(uint64(len(pair.PacketList())))
			}
		}
	}
}

func (s *synthetic) requestKeyframe() {
	if s.keyframe == nil {
		return
	}
	select {
	case s.keyframe <- struct{}{}:
	default: // one is already pending
	}
}

// write sends one packet whose payload is in s.buf.
func (s *synthetic) write(ctx context.Context, ts uint32, marker bool) {
	s.pkt.Header = rtp.Header{Version: 2, Marker: marker, SequenceNumber: s.rtpSeq, Timestamp: ts}
	if s.ridID != 0 {
		s.pkt.Header.Extensions = s.exts[:0]
		_ = s.pkt.Header.SetExtension(s.midID, []byte(s.mid))
		_ = s.pkt.Header.SetExtension(s.ridID, []byte(s.cfg.rid))
	}
	if level := s.level.Load(); s.levelID != 0 && level >= 0 {
		s.pkt.Header.Extensions = s.exts[:0]
		s.levelBuf[0] = byte(level)
		_ = s.pkt.Header.SetExtension(s.levelID, s.levelBuf[:])
	}
	s.pkt.Payload = s.buf
	s.rtpSeq++
	if err := s.track.WriteRTP(&s.pkt); err != nil {
		// A write fails for good only once the PeerConnection is closing,
		// and Run's context ends first; anything else is counted, not fatal.
		if ctx.Err() == nil {
			s.writeErrors.Add(1)
		}
		return
	}
	s.packets.Add(1)
	s.bytes.Add(uint64(len(s.buf)))
}
