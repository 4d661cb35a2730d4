package sfu

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bwe"
)

// bweTrack describes this down track to the allocator: the layers its
// publisher sends, with their measured bitrates and sizes, and how the
// subscriber shows it.
func (d *DownTrack) bweTrack(now time.Time) bwe.Track {
	t := bwe.Track{ID: d.rcv.id, Kind: bwe.Video, Screen: d.rcv.source == SourceScreen}
	if d.rcv.kind == webrtc.RTPCodecTypeAudio {
		t.Kind = bwe.Audio
	}
	for i := range maxLayers {
		l := d.rcv.layer(i)
		if l == nil {
			break
		}
		t.Layers = append(t.Layers, bwe.Layer{
			Bitrate: l.meter.sample(now),
			Width:   int(l.width.Load()),
			Height:  int(l.height.Load()),
		})
	}
	s := d.settings.Load()
	t.Width, t.Height, t.Paused = s.Width, s.Height, s.Paused
	t.Current, _ = d.layers()
	return t
}
