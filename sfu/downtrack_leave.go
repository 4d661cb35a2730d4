package sfu

import "github.com/switchboard-rtc/switchboard/bwe"

// A switch of layer happens at the next keyframe of the layer the track
// goes to, and until then the layer it leaves is still forwarded: the
// subscriber keeps a moving picture. But when a link narrows at once, the
// layer it leaves is what overflows it. On the step from 2 Mbit/s to
// 300 kbit/s, two videos went on sending 720p, then 360p and its keyframes,
// 1.5-1.8 Mbit/s in all, for the half second each switch down waited, and
// the link lost most of it, the keyframes of the layers they went to among
// it: the subscriber saw no frame for 0.9-1.1 s. A layer the estimate
// cannot carry even at its lowest frame rate is left at once instead: the
// subscriber sees nothing new of it until the keyframe of the layer it
// goes to, which is what the link lets through anyway, and that keyframe
// meets a link no longer full.
//
// That keyframe is often already there: each keyframe request makes one of
// every simulcast layer, and the publisher's encoder refuses another for
// 300 ms (keyframeRefusal). On the same step the allocator went 720p ->
// 360p -> 180p within half a second: the 180p keyframe that came with the
// 360p one arrived just before the track went for 180p, the request for a
// new one was refused, the next was let through 500 ms later (the layer's
// throttle), and the subscriber saw no frame for 1.1-1.5 s. So a track
// that left its layer starts the next from that layer's keyframe in the
// cache, and the frames since, when it is that fresh; older, it waits for
// a new one, asked for now.

// mustLeave reports whether a track going down from ladder step cur to
// step next, of a lower resolution, leaves its layer at once: when the
// allocation, with the track at the lowest frame rate of the resolution it
// leaves instead of at next, costs more than the estimate. total is the
// allocation's cost with the track at next.
func mustLeave(t *bwe.Track, ladder []layerStep, cur, next, total, estimate int) bool {
	if cur < 0 || next < 0 || next >= cur || cur >= len(ladder) || ladder[next].spatial == ladder[cur].spatial {
		return false
	}
	base := cur
	for base > 0 && ladder[base-1].spatial == ladder[cur].spatial {
		base--
	}
	return total-t.Layers[next].Bitrate+t.Layers[base].Bitrate > estimate
}

// leave sets the target to spatial layer layer at temporal step tid and
// stops the layer forwarded at once (mustLeave): the track restarts on
// layer from its fresh keyframe in the cache (freshKeyframe), or else at
// its next keyframe, asked for now. Not from an older one, as a new
// subscriber's start is (instant.go): the keyframe and the frames after it
// would go into the link in one burst, where one keyframe alone fills a
// 300 kbit/s link's 100 ms queue, and show frames older than the last
// the subscriber was sent.
func (d *DownTrack) leave(layer, tid int) {
	d.mu.Lock()
	d.targetTID = tid
	d.setLayers(-1, layer)
	d.leaving = true
	d.mu.Unlock()
	d.rcv.stats.LayersLeftAtOnce.Add(1)
	if l := d.rcv.layer(layer); l != nil && !l.freshKeyframe(l.clock.Now().UnixNano()) {
		l.requestKeyframe()
	}
}
