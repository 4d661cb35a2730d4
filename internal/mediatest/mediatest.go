// Package mediatest holds what the integration tests of several packages
// ask of the bench clients they run: which remote track is whose, and
// whether media from everyone arrived.
package mediatest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
)

// PublishAudioVideo makes c publish synthetic Opus and VP8, as a camera
// and microphone would.
func PublishAudioVideo(ctx context.Context, c *bench.Client) error {
	a, err := bench.NewSyntheticAudio()
	if err != nil {
		return err
	}
	v, err := bench.NewSyntheticVideo()
	if err != nil {
		return err
	}
	return c.Publish(ctx, a, v)
}

// TrackFrom returns c's remote track of kind ("audio", "video") published
// by participant, the latest one if several; nil if none.
func TrackFrom(c *bench.Client, participant, kind string) *bench.RemoteTrack {
	var found *bench.RemoteTrack
	for _, r := range c.RemoteTracksFrom(participant) {
		if r.Kind.String() == kind {
			found = r
		}
	}
	return found
}

// ReceivedFromAll reports whether c got at least n distinct audio and video
// packets from every publisher in from other than itself.
func ReceivedFromAll(c *bench.Client, from []*bench.Client, n uint64) bool {
	for _, p := range from {
		if p == c {
			continue
		}
		for _, kind := range []string{"audio", "video"} {
			r := TrackFrom(c, p.ID(), kind)
			if r == nil || r.Stats().Distinct < n {
				return false
			}
		}
	}
	return true
}

// Describe summarises what c received from each publisher in from, for
// failures and logs.
func Describe(c *bench.Client, from []*bench.Client) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s):", c.ID(), c.ConnectionState())
	for _, p := range from {
		if p == c {
			continue
		}
		for _, kind := range []string{"audio", "video"} {
			r := TrackFrom(c, p.ID(), kind)
			if r == nil {
				fmt.Fprintf(&b, " [%s/%s: none]", p.ID(), kind)
				continue
			}
			s := r.Stats()
			fmt.Fprintf(&b, " [%s/%s: %d pkts, %d distinct, %d dup, %d missing, %d errors, %d keyframes, latency %v]",
				p.ID(), kind, s.Packets, s.Distinct, s.Duplicates, s.Missing(), s.PayloadErrors, s.Keyframes,
				s.MeanLatency().Round(time.Microsecond))
		}
	}
	return b.String()
}

// LayerSending reports whether the publisher's simulcast layer i sent a
// packet in the next 300 ms (it waits that long).
func LayerSending(src *bench.SyntheticSimulcast, i int) bool {
	before := src.LayerStats()[i].Packets
	time.Sleep(300 * time.Millisecond)
	return src.LayerStats()[i].Packets > before
}
