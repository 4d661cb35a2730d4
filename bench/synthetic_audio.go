package bench

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/internal/red"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// opusTOC is an Opus table-of-contents byte: configuration 31 (CELT
// fullband, 20 ms), mono, one frame; what a browser's Opus encoder sends.
const opusTOC = 31 << 3

// Opus's payload type in Pion's default codecs, the server's and Chromium's,
// which RED's block headers name (RFC 2198 §3).
const opusPayloadType = 111

// redCodec is RED over Opus as Chromium offers it.
var redCodec = webrtc.RTPCodecParameters{
	RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: "audio/red", ClockRate: audioClockRate, Channels: 2, SDPFmtpLine: "111/111",
	},
	PayloadType: 63,
}

// SyntheticAudio sends Opus-shaped packets: 50 per second of the size the
// bitrate gives, each a TOC byte followed by the bench layout.
type SyntheticAudio struct{ *synthetic }

// NewSyntheticAudio returns a microphone source at 32 kbit/s unless options
// say otherwise.
func NewSyntheticAudio(opts ...SyntheticOption) (*SyntheticAudio, error) {
	cfg, err := newSyntheticConfig(syntheticConfig{
		bitrate: 32_000, fps: 1, width: 1, height: 1,
		source: protocol.SourceMicrophone, trackID: "audio", streamID: "switchboard-bench",
		audioLevel: -1,
	}, opts)
	if err != nil {
		return nil, err
	}
	codec := webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: audioClockRate, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1",
	}
	if cfg.red {
		codec = redCodec.RTPCodecCapability
	}
	s, err := newSynthetic(cfg, codec, false)
	if err != nil {
		return nil, err
	}
	return &SyntheticAudio{s}, nil
}

// SetLevel sets the audio level (-dBov, 0 to 127) the source writes in its
// packets from the next one on (where the server negotiated the extension).
func (a *SyntheticAudio) SetLevel(dBov int) {
	a.level.Store(int32(min(max(dBov, 0), 127)))
}

// Run sends a packet every 20 ms until ctx ends.
func (a *SyntheticAudio) Run(ctx context.Context) error {
	ticker := time.NewTicker(audioPacketDuration)
	defer ticker.Stop()
	start, base := time.Now(), rand.Uint32()
	size := audioPacketSize(a.cfg.bitrate)
	now := start
	var opus, prev []byte
	for {
		opus = append(opus[:0], opusTOC)
		opus = AppendPayload(opus, Payload{Seq: a.next, SentUnix: now.UnixNano()}, size-1)
		a.buf = append(a.buf[:0], opus...)
		if a.cfg.red {
			var redundant []red.Block
			if prev != nil {
				redundant = []red.Block{{Data: prev, TimestampOffset: uint16(audioClockRate * audioPacketDuration / time.Second)}}
			}
			var err error
			if a.buf, err = red.Append(a.buf[:0], opusPayloadType, redundant, opus); err != nil {
				return err
			}
			prev = append(prev[:0], opus...)
		}
		a.next++
		// The marker starts a talkspurt (RFC 7587 §4.2): only the first.
		a.write(ctx, rtpTimestamp(base, now.Sub(start), audioClockRate), a.next == 1)
		a.frames.Add(1)
		select {
		case <-ctx.Done():
			return nil
		case now = <-ticker.C:
		}
	}
}
