package bench

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// SyntheticVideo sends VP8-shaped frames: valid payload descriptors and frame
// headers around the bench layout, a keyframe at the start, on every PLI or
// FIR and at the keyframe interval, frame sizes from the bitrate.
type SyntheticVideo struct {
	*synthetic
	sizes     []int // owned by Run
	pictureID uint16
	tl0PicIdx uint8
	paused    atomic.Bool
}

// SetPaused stops or resumes sending (resuming with a keyframe).
func (v *SyntheticVideo) SetPaused(p bool) { v.paused.Store(p) }

// NewSyntheticVideo returns a camera source at 500 kbit/s, 30 fps, 640x360,
// a keyframe every 3 s, unless options say otherwise.
func NewSyntheticVideo(opts ...SyntheticOption) (*SyntheticVideo, error) {
	cfg, err := newSyntheticConfig(syntheticConfig{
		bitrate: 500_000, fps: 30, keyframeInterval: 3 * time.Second, width: 640, height: 360,
		source: protocol.SourceCamera, trackID: "video", streamID: "switchboard-bench",
	}, opts)
	if err != nil {
		return nil, err
	}
	return newSyntheticVideo(cfg)
}

func newSyntheticVideo(cfg syntheticConfig) (*SyntheticVideo, error) {
	s, err := newSynthetic(cfg, webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: videoClockRate,
	}, true)
	if err != nil {
		return nil, err
	}
	return &SyntheticVideo{synthetic: s, pictureID: uint16(rand.Uint32())}, nil
}

// Run sends frames at the frame rate until ctx ends.
func (v *SyntheticVideo) Run(ctx context.Context) error {
	interval := time.Second / time.Duration(v.cfg.fps)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	keySize, deltaSize := frameSizes(v.cfg.bitrate, v.cfg.fps, v.cfg.keyframeInterval)
	start, base := time.Now(), rand.Uint32()
	now, lastKey, forceKey := start, start, true
	for {
		key := forceKey || (v.cfg.keyframeInterval > 0 && now.Sub(lastKey) >= v.cfg.keyframeInterval)
		size := deltaSize
		if key {
			size, lastKey, forceKey = keySize, now, false
		}
		if v.paused.Load() {
			// A paused encoder sends nothing and starts again on a keyframe,
			// as a browser does for an encoding set active: false.
			forceKey = true
		} else {
			v.sendFrame(ctx, key, size, rtpTimestamp(base, now.Sub(start), videoClockRate), now)
		}
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return nil
			case <-v.keyframe:
				forceKey = true // on the next frame, keeping the frame rate
			case now = <-ticker.C:
				waiting = false
			}
		}
	}
}

// sendFrame packetizes one frame of size bytes: the S bit on its first
// packet, the marker on its last, one bench layout in each.
func (v *SyntheticVideo) sendFrame(ctx context.Context, key bool, size int, ts uint32, now time.Time) {
	v.sizes = packetSizes(v.sizes[:0], size, maxVideoPayload)
	for i, sz := range v.sizes {
		first := i == 0
		v.buf = appendVP8Descriptor(v.buf[:0], first, v.pictureID, v.tl0PicIdx)
		if first {
			v.buf = appendVP8FrameHeader(v.buf, key, uint16(v.cfg.width), uint16(v.cfg.height), size)
		}
		v.buf = AppendPayload(v.buf, Payload{Seq: v.next, SentUnix: now.UnixNano()}, sz-len(v.buf))
		v.next++
		v.write(ctx, ts, i == len(v.sizes)-1)
	}
	v.pictureID = (v.pictureID + 1) & 0x7fff
	// Every frame is on temporal layer 0, so TL0PICIDX counts frames.
	v.tl0PicIdx++
	v.frames.Add(1)
	if key {
		v.keyframes.Add(1)
		v.lastKeyframe.Store(now.UnixNano())
	}
}
