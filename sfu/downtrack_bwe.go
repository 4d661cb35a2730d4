package sfu

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bwe"
)

// layerStep is one rung of a track's ladder: a spatial layer, and the
// highest temporal layer of it that is forwarded.
type layerStep struct{ spatial, tid int }

// bweTrack describes this down track to the allocator: the ladder of what
// its publisher sends (each spatial layer's temporal steps, lowest first,
// when the stream has temporal layers), with measured bitrates and sizes,
// and how the subscriber shows it. It keeps the ladder in d.ladder for
// applyStep. Called only by the subscriber's bwe goroutine.
func (d *DownTrack) bweTrack(now time.Time) bwe.Track {
	t := bwe.Track{ID: d.rcv.id, Kind: bwe.Video, Screen: d.rcv.source == SourceScreen, Current: -1}
	if d.rcv.kind == webrtc.RTPCodecTypeAudio {
		t.Kind = bwe.Audio
	}
	d.ladder = d.ladder[:0]
	d.mu.Lock()
	current, curTID, unwrapRED := d.current, d.curTID, d.unwrapRED
	d.mu.Unlock()
	for i := range maxLayers {
		l := d.rcv.layer(i)
		if l == nil {
			break
		}
		total := l.meter.sample(now)
		if l.red {
			// Sampled always, so it is current when lean audio begins.
			if lean := l.primaryMeter.sample(now); d.sub.leanAudio.Load() && !unwrapRED {
				total = lean
			}
		}
		w, h := int(l.width.Load()), int(l.height.Load())
		keyframe := int(l.keyframeBits.Load())
		steps := int(l.maxTID.Load()) + 1
		if steps <= 1 {
			if i == current {
				t.Current = len(t.Layers)
			}
			d.ladder = append(d.ladder, layerStep{i, maxTemporal - 1})
			t.Layers = append(t.Layers, bwe.Layer{Bitrate: total, Width: w, Height: h, Keyframe: keyframe})
			continue
		}
		cumulative := 0
		for tid := range steps {
			cumulative += l.tidMeters[tid].sample(now)
			if i == current && (tid <= curTID) {
				t.Current = len(t.Layers)
			}
			d.ladder = append(d.ladder, layerStep{i, tid})
			t.Layers = append(t.Layers, bwe.Layer{Bitrate: cumulative, Width: w, Height: h, Temporal: tid, Keyframe: keyframe})
		}
	}
	s := d.settings.Load()
	t.Width, t.Height, t.Paused = s.Width, s.Height, s.Paused
	// Dynacast keeps on what the tile wants, whatever the bandwidth: a
	// layer the publisher stops on its own comes back when it can.
	want := -1
	if i := bwe.Wanted(&t); i >= 0 {
		want = d.ladder[i].spatial
	}
	d.tileWant.Store(int32(want))
	if step := d.takeFallBack(); step >= 0 {
		t.Current, t.FellBack = step, true
	}
	d.dropStale(&t, now)
	return t
}

// staleAfter is how long a layer may carry nothing before the allocator
// stops offering it: a publisher whose uplink narrows stops its top layer
// on its own, and a subscriber waiting for it would freeze.
const staleAfter = 1500 * time.Millisecond

// dropStale cuts the ladder above the highest layer still flowing (all of
// it stays when none flows: nothing better to offer).
func (d *DownTrack) dropStale(t *bwe.Track, now time.Time) {
	top := -1
	for i, st := range d.ladder {
		if l := d.rcv.layer(st.spatial); l != nil && l.meter.idleFor(now) < staleAfter {
			top = i
		}
	}
	if top < 0 || top == len(d.ladder)-1 {
		return
	}
	// Keep the rest of a resolution's frame-rate steps with it.
	for top+1 < len(d.ladder) && d.ladder[top+1].spatial == d.ladder[top].spatial {
		top++
	}
	d.ladder = d.ladder[:top+1]
	t.Layers = t.Layers[:top+1]
	if t.Current > top {
		t.Current = top
	}
}

// applyStep sets the target to rung i of the ladder bweTrack made (-1:
// pause).
func (d *DownTrack) applyStep(i int) {
	if i < 0 || i >= len(d.ladder) {
		d.setTarget(-1, maxTemporal-1)
		return
	}
	st := d.ladder[i]
	d.setTarget(st.spatial, st.tid)
}
