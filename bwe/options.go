package bwe

import "time"

// Option configures an Allocator.
type Option func(*Allocator)

// WithDefaultBitrates sets the bitrates, in bits per second, assumed for
// video layers whose bitrate has not been measured yet, lowest layer first.
// A track with fewer layers uses the top ones (its single layer, if not
// simulcast, is full quality). Default 150 kbps, 500 kbps, 1.5 Mbps: what
// browsers send for 180p, 360p and 720p simulcast.
func WithDefaultBitrates(bps []int) Option {
	return func(a *Allocator) {
		if len(bps) > 0 {
			a.defaults = append([]int(nil), bps...)
		}
	}
}

// WithAudioBitrate sets the bitrate assumed for an audio track whose bitrate
// has not been measured. Default 40 kbps (Opus voice with FEC and headers).
func WithAudioBitrate(bps int) Option {
	return func(a *Allocator) { a.audio = bps }
}

// WithUpgradeHeadroom sets the factor by which the estimate must exceed the
// total cost before any layer goes up. Default 1.2.
func WithUpgradeHeadroom(f float64) Option {
	return func(a *Allocator) {
		if f >= 1 {
			a.headroom = f
		}
	}
}

// WithUpgradeHold sets how long after a track was lowered for lack of
// bandwidth it may not go up again. Default 5 s.
func WithUpgradeHold(d time.Duration) Option {
	return func(a *Allocator) { a.hold = d }
}

// WithPauseOnCongestion starts the allocator pausing video on congestion:
// see SetPauseOnCongestion.
func WithPauseOnCongestion(pause bool) Option {
	return func(a *Allocator) { a.pauseOnCongestion = pause }
}

// SetPauseOnCongestion lets the allocator turn video off when the estimate
// cannot carry even its lowest layer, all but the most important video,
// which always keeps its lowest layer. Off (the default), every visible
// video keeps its lowest layer: estimates are noisy, and a frozen camera is
// worse than a briefly congested link. A caller turns it on when the link
// is proven narrow (it loses packets).
func (a *Allocator) SetPauseOnCongestion(pause bool) { a.pauseOnCongestion = pause }

// SetUpgradeHold changes how long a track lowered for lack of bandwidth
// waits before it may go up again (WithUpgradeHold's value, at run time):
// a caller lengthens it on a link proven narrow, where every upgrade that
// fails costs a keyframe and a stall.
func (a *Allocator) SetUpgradeHold(d time.Duration) { a.hold = d }
