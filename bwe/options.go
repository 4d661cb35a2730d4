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

// WithUpgradeHeadroom sets the factor over a layer's cost that entering
// it needs in the estimate beyond what the allocation costs without it
// (and the factor over the whole allocation that a probe aims at).
// Default 1.2.
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

// WithPauseOnCongestion makes the allocator turn video off entirely when the
// estimate cannot carry even its lowest layer. By default every visible
// video keeps at least its lowest layer: estimates are noisy, and a frozen
// camera is worse than a briefly congested link.
func WithPauseOnCongestion(pause bool) Option {
	return func(a *Allocator) { a.pauseOnCongestion = pause }
}
