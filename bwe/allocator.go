package bwe

import (
	"slices"
	"time"
)

// Kind is a track's media kind.
type Kind int

// Kinds of track.
const (
	Audio Kind = iota
	Video
)

// Layer is one simulcast layer of a track.
type Layer struct {
	Bitrate       int // bps measured; 0 = unknown: use the default for this layer
	Width, Height int // 0 = unknown
	// Temporal counts frame-rate steps within one resolution: 0 for the
	// base (or the only) step, 1, 2 for the ones that add frames. Listing a
	// resolution's steps lowest first, before the next resolution, makes
	// the allocator drop frame rate before resolution.
	Temporal int
	// Keyframe is the size of the resolution's last keyframe, bits; 0
	// unknown. Entering the resolution starts with one, on top of its
	// rate (upgradeNeed).
	Keyframe int
}

// Track is one of the subscriber's down tracks, as the allocator sees it.
type Track struct {
	ID     string
	Kind   Kind
	Screen bool    // a screen share: before camera video
	Layers []Layer // lowest first; len 1 when not simulcast
	// Width and Height are the size the subscriber renders the tile at,
	// in device pixels; 0, 0 = unknown (treated as large).
	Width, Height int
	Paused        bool // hidden or off-screen video tile: gets nothing
	Current       int  // layer forwarded now, -1 none
	// FellBack says the track left, on its own, a resolution it had
	// entered less than UpgradeTrial ago, because the link lost its first
	// frames (sfu: the layer it left is already arriving, and its
	// keyframe is small); Current is then the layer it fell back to. The
	// allocator counts it as a failed upgrade.
	FellBack bool
}

// Decision is an allocation.
type Decision struct {
	Layers []int // per track, in the order given; -1 = off. Audio is always 0.
	// Limited is set when some video got less than its tile wants because
	// of bandwidth (or because it went down less than the hold time ago).
	Limited bool
	// ProbeTarget is the bitrate worth probing up to, 0 if none: the cost
	// of the allocation with each limited track one layer up, × the larger
	// of 1.1 and the upgrade headroom, or plus the largest keyframe of a
	// resolution they would enter, whichever is more (a probe that cannot
	// show what an upgrade needs unlocks nothing). It is 0 when that is
	// within the estimate already (the tracks are held back by the hold,
	// not by bandwidth).
	ProbeTarget int
	// WantTarget is ProbeTarget's figure for every limited track at the
	// layer its tile wants, not one step up, 0 if within the estimate:
	// where a probe that finds the link aims once probes have been going
	// through. Unlike ProbeTarget it is set while tracks are held back
	// by the hold, since the hold ends and the link is what it is.
	WantTarget int
	Total      int // bps the allocation costs
}

// trackState is what the allocator remembers of a track between calls.
type trackState struct {
	target int // layer last decided
	// lastDown is when the track last left a resolution for lack of
	// bandwidth (a lower frame rate of the one it has is no downgrade
	// here: it brings no keyframe either way).
	lastDown time.Time
	lastUp   time.Time // when it last entered a higher resolution
	// failedUps counts resolutions entered in a row that were left again
	// within UpgradeTrial: each doubles the hold before the next upgrade
	// to failedLayer (the lowest frame-rate step of the last one). A
	// higher frame rate lowered again is no failure: it costs no keyframe
	// either way (one held 10 s for a dip let the other video climb to
	// 720p alone).
	failedUps   int
	failedLayer int
	gen         uint64 // the last call that saw the track
}

// An upgrade lowered again within UpgradeTrial failed: the link could not
// carry the layer (on a narrow link, its first keyframe alone can fill the
// queue). The hold before going back up to that layer doubles per failure
// in a row, up to 2^maxHoldBackoff times (twice: more, and a link that has
// since widened waits half a minute for it), so a subscriber at its link's edge
// is not switched up and straight back down every few seconds, each time
// risking a freeze; the steps below it (a higher frame rate of the current
// resolution) keep the plain hold.
const (
	UpgradeTrial   = 3 * time.Second
	maxHoldBackoff = 1
)

// fellBack records a failed upgrade the track undid on its own: it is at
// t.Current now, lowered at now, as the allocator would have lowered it.
func (st *trackState) fellBack(t *Track, now time.Time) {
	st.lastDown = now
	st.failedUps++
	st.failedLayer = resolutionBase(t, st.target)
	st.target = t.Current
}

// upTo is the highest layer the track may go up to now: none (-1) within
// the hold after it was lowered, the layers below the one that failed
// within the longer hold after failed upgrades, and any after.
func (a *Allocator) upTo(st trackState, t *Track, now time.Time) int {
	top := len(t.Layers) - 1
	if st.lastDown.IsZero() {
		return top
	}
	switch since := now.Sub(st.lastDown); {
	case since < a.hold:
		return -1
	case st.failedUps > 0 && since < a.hold<<min(st.failedUps, maxHoldBackoff):
		return st.failedLayer - 1
	}
	return top
}

// Allocator decides, for one subscriber, which layer of each track to
// forward. It is not safe for concurrent use; it is meant to run a few times
// a second, on each new estimate or change of tracks.
type Allocator struct {
	defaults []int
	audio    int
	headroom float64
	hold     time.Duration
	// pauseOnCongestion lets pass 1 leave video off when even its lowest
	// layer does not fit.
	pauseOnCongestion bool
	// upgradesFrom is when tracks may enter a higher resolution again
	// (HoldUpgrades).
	upgradesFrom time.Time

	state map[string]trackState
	gen   uint64

	// Scratch, reused between calls.
	order []int      // indices of video tracks, in priority order
	info  []trackRun // per track, indexed like the tracks
}

// trackRun is one video track's figures during one Allocate.
type trackRun struct {
	ref   int // layer to keep without headroom: last decided, else Current
	want  int // layer the tile needs
	layer int // layer allocated so far
	upTo  int // highest layer it may go up to now (Allocator.upTo)
	area  int
	// keyframe is the size of the first keyframe of the resolution this
	// allocation moves it into, 0 if it stays in the one it has.
	keyframe int
	stopped  bool // its next step did not fit: pass 2 raises it no further
}

// NewAllocator returns an Allocator with the given options.
func NewAllocator(opts ...Option) *Allocator {
	a := &Allocator{
		defaults: []int{150_000, 500_000, 1_500_000},
		audio:    40_000,
		headroom: 1.2,
		hold:     5 * time.Second,
		state:    make(map[string]trackState),
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// HoldUpgrades keeps every track out of higher resolutions until until
// (frame-rate steps of the resolution a track has stay allowed: they
// bring no keyframe, and are undone at once). The caller holds upgrades
// for a second after a congested interval (RateController's
// DrainingUntil): the link's queue is still draining, and a new
// resolution's keyframe sent into it is lost.
func (a *Allocator) HoldUpgrades(until time.Time) { a.upgradesFrom = until }

// topHeight is the height assumed for a track's top layer when unknown.
const topHeight = 720

// cost returns the bitrate of layer i of t (-1: nothing).
func (a *Allocator) cost(t *Track, i int) int {
	if i < 0 {
		return 0
	}
	if b := t.Layers[i].Bitrate; b > 0 {
		return b
	}
	// Default bitrates are aligned at the top: a single layer is full
	// quality, not the thumbnail.
	j := len(a.defaults) - len(t.Layers) + i
	return a.defaults[max(j, 0)]
}

// wanted returns the layer t's tile needs: the smallest whose height covers
// the tile's, or the top layer if none does or the tile size is unknown.
// Unknown layer heights are taken as 720 for the top layer and half the
// layer above for each one below (the usual simulcast ladder).
// Wanted is the layer t's tile needs, bandwidth aside: the smallest whose
// height covers the tile's, at its full frame rate, or the top layer if
// none does or the size is unknown; -1 for a paused or layerless track.
func Wanted(t *Track) int {
	if t.Paused || len(t.Layers) == 0 {
		return -1
	}
	return wanted(t)
}

func wanted(t *Track) int {
	top := len(t.Layers) - 1
	if t.Height <= 0 {
		return top
	}
	want := top
	h := topHeight
	for i := top; i >= 0; i-- {
		if i < top && t.Layers[i+1].Temporal == 0 {
			h /= 2 // below the base of a spatial layer: the next resolution down
		}
		if t.Layers[i].Height > 0 {
			h = t.Layers[i].Height
		}
		if h >= t.Height {
			want = fullRate(t, i)
		}
	}
	return want
}

// fullRate is the highest frame-rate step of the resolution layer i is at:
// a tile that fits a resolution wants it at its full frame rate.
func fullRate(t *Track, i int) int {
	for i+1 < len(t.Layers) && t.Layers[i+1].Temporal > 0 {
		i++
	}
	return i
}

// Allocate shares estimate (bps) among tracks. now is the time of the call
// (for the upgrade hold).
//
// Audio always gets its bitrate first and is never dropped. Then video, in
// priority order (screen shares, then camera video by tile area, larger
// first, unknown sizes largest): pass 1 gives each video its lowest layer
// (while it fits, with WithPauseOnCongestion; always, by default), so
// everything visible shows something; pass 2 raises them toward the layer
// each tile needs, one step at a time, the lowest step across all of them
// first, while the total fits. Keeping a
// track's current layer (or returning to it) needs only the total to fit
// the estimate; going above it needs the total × headroom to fit, and no
// lowering of that track for lack of bandwidth within the hold time. Going
// down is immediate.
//
// The allocator remembers tracks by ID between calls and forgets IDs not
// passed in a call.
func (a *Allocator) Allocate(now time.Time, estimate int, tracks []Track) Decision {
	a.gen++
	dec := Decision{Layers: make([]int, len(tracks))}
	if cap(a.info) < len(tracks) {
		a.info = make([]trackRun, len(tracks))
	}
	a.info = a.info[:len(tracks)]
	a.order = a.order[:0]

	total := 0
	for i := range tracks {
		t := &tracks[i]
		dec.Layers[i] = -1
		if t.Kind == Audio {
			dec.Layers[i] = 0
			if len(t.Layers) > 0 && t.Layers[0].Bitrate > 0 {
				total += t.Layers[0].Bitrate
			} else {
				total += a.audio
			}
			continue
		}
		st, seen := a.state[t.ID]
		switch {
		case !seen:
			st.target = t.Current
		case t.FellBack && t.Current >= 0 && st.target > t.Current:
			st.fellBack(t, now)
		}
		st.gen = a.gen
		if len(t.Layers) == 0 || t.Paused {
			st.target = -1
			a.state[t.ID] = st
			continue
		}
		a.state[t.ID] = st
		r := trackRun{
			ref:   min(st.target, len(t.Layers)-1),
			want:  wanted(t),
			layer: -1,
			upTo:  a.upTo(st, t, now),
			area:  t.Width * t.Height,
		}
		if t.Width <= 0 || t.Height <= 0 {
			r.area = int(^uint(0) >> 1)
		}
		a.info[i] = r
		a.order = append(a.order, i)
	}
	slices.SortStableFunc(a.order, func(x, y int) int {
		tx, ty := &tracks[x], &tracks[y]
		if tx.Screen != ty.Screen {
			if tx.Screen {
				return -1
			}
			return 1
		}
		ax, ay := a.info[x].area, a.info[y].area
		switch {
		case ax > ay:
			return -1
		case ax < ay:
			return 1
		}
		return 0
	})

	// fits reports whether moving track i from its layer to next keeps
	// the total within the estimate, with headroom above its reference.
	// keyframes adds up the tracks' keyframe fields: every resolution
	// entered in one allocation starts with a keyframe in the same second.
	keyframes := 0
	fits := func(i, next int) (int, bool) {
		r, t := &a.info[i], &tracks[i]
		newTotal := total - a.cost(t, r.layer) + a.cost(t, next)
		if next <= r.ref {
			return newTotal, newTotal <= estimate
		}
		if r.ref >= 0 && resolutionBase(t, next) == resolutionBase(t, r.ref) {
			// A higher frame rate of the resolution it has: no keyframe
			// to wait for, and undone at once if it does not fit, so it
			// needs no headroom and no hold. Held after a dip, one video
			// sat at 180p half rate for 5 s after a link widened while
			// the other climbed to 720p.
			return newTotal, newTotal <= estimate
		}
		others := keyframes - r.keyframe
		return newTotal, next <= r.upTo && !now.Before(a.upgradesFrom) && a.upgradeNeed(t, next, newTotal+others) <= float64(estimate)
	}
	// raiseTo moves track i to layer next, which fits.
	raiseTo := func(i, next, newTotal int) {
		r, t := &a.info[i], &tracks[i]
		kf := 0
		if next > r.ref && (r.ref < 0 || resolutionBase(t, next) != resolutionBase(t, r.ref)) {
			kf = t.Layers[next].Keyframe
		}
		keyframes += kf - r.keyframe
		total, r.layer, r.keyframe = newTotal, next, kf
	}
	// Pass 1: something of everything visible; unless told to pause video
	// on congestion, the lowest layer goes even over the estimate, so a
	// noisy estimate never blacks out a camera.
	for _, i := range a.order {
		if nt, ok := fits(i, 0); ok || !a.pauseOnCongestion {
			total, a.info[i].layer = nt, 0
		}
	}
	// Pass 2: one step at a time, the lowest step first across all the
	// videos (a resolution at a frame rate: 180p at half rate before 180p
	// at full rate before 360p at half rate), each video toward the layer
	// its tile needs; at the same step, a video going back to a layer it
	// has before one going beyond, then screen shares and larger tiles
	// first. So two videos both reach 180p at full frame rate before either
	// goes to 360p, and what a video has is kept before another takes the
	// same step; but a higher frame rate of one video's resolution does not
	// keep another out of that resolution: passes that gave every video
	// back all it had first left a second video at 360p, in a run of the
	// step link, while the first kept 720p at full rate in the bandwidth
	// that carries both at 720p at half rate. A video whose next step does
	// not fit stops there: everything after only adds to the total.
	for {
		best, bestNext := -1, 0
		for _, i := range a.order {
			r, t := &a.info[i], &tracks[i]
			if r.layer < 0 || r.layer >= r.want || r.stopped {
				continue
			}
			next := min(nextStep(t, r.layer), r.want)
			if best < 0 || stepBefore(t, next, next <= r.ref, &tracks[best], bestNext, bestNext <= a.info[best].ref) {
				best, bestNext = i, next
			}
		}
		if best < 0 {
			break
		}
		if nt, ok := fits(best, bestNext); ok {
			raiseTo(best, bestNext, nt)
		} else {
			a.info[best].stopped = true
		}
	}

	// Record the decision; find what is limited and what probing is worth.
	probe, probeKeyframe := total, 0
	want, wantKeyframes := total, 0
	for _, i := range a.order {
		r, t := &a.info[i], &tracks[i]
		dec.Layers[i] = r.layer
		st := a.state[t.ID]
		switch {
		case r.layer < min(r.ref, r.want):
			switch left := resolutionBase(t, r.ref); {
			case r.layer >= 0 && left == resolutionBase(t, r.layer):
				// A lower frame rate of the same resolution: no
				// keyframe either way, so nothing to hold.
			case !st.lastUp.IsZero() && now.Sub(st.lastUp) < UpgradeTrial:
				st.lastDown = now
				st.failedUps++
				st.failedLayer = left
			default:
				st.lastDown = now
				st.failedUps = 0
			}
		case r.layer > r.ref && r.ref >= 0 && resolutionBase(t, r.layer) != resolutionBase(t, r.ref):
			st.lastUp = now
		}
		st.target = r.layer
		a.state[t.ID] = st
		if r.layer < r.want {
			dec.Limited = true
			next := nextStep(t, r.layer)
			probe += a.cost(t, next) - a.cost(t, r.layer)
			if r.layer < 0 || resolutionBase(t, next) != resolutionBase(t, r.layer) {
				probeKeyframe = max(probeKeyframe, t.Layers[next].Keyframe)
			}
			want += a.cost(t, r.want) - a.cost(t, r.layer)
			if r.layer < 0 || resolutionBase(t, r.want) != resolutionBase(t, r.layer) {
				wantKeyframes = max(wantKeyframes, t.Layers[r.want].Keyframe)
			}
		}
	}
	dec.Total = total
	if dec.Limited {
		p := a.probeTarget(probe, probeKeyframe)
		if p > estimate {
			dec.ProbeTarget = p
		}
		if w := max(p, a.probeTarget(want, wantKeyframes)); w > estimate {
			dec.WantTarget = w
		}
	}
	for id, st := range a.state {
		if st.gen != a.gen {
			delete(a.state, id)
		}
	}
	return dec
}

// probeTarget is what a probe must show for an allocation costing total,
// entering resolutions whose largest keyframe is keyframe bits: the
// larger of 1.1 and the headroom over it, or room for the keyframe.
func (a *Allocator) probeTarget(total, keyframe int) int {
	return max(int(float64(total)*max(1.1, a.headroom)), total+keyframe)
}

// upgradeNeed is the estimate a track needs to go up to a new resolution,
// at layer next, when the allocation then costs total: total, and on top
// of it the headroom over the layer entered or room for the resolution's
// first keyframe, whichever is more. The headroom is over the layer
// entered alone: the rest of the allocation is being sent already, and
// the estimate is what the link was seen to carry with it. Over the whole
// allocation, two 720p videos at half rate on a 2 Mbit/s link needed an
// estimate of 1.70 Mbit/s for 1.42 sent, which the estimate there (about
// 1.65) seldom reached. The keyframe is carried in the switch's first
// second besides everything else; on a narrow link it is the larger:
// 640x360's, about 200 kbit, is a third of 600 kbit/s, and an upgrade
// without room for it fills the queue, reads as congestion and is undone
// (two keyframes, a freeze).
func (a *Allocator) upgradeNeed(t *Track, next, total int) float64 {
	return float64(total) + max(float64(a.cost(t, next))*(a.headroom-1), float64(t.Layers[next].Keyframe))
}

// stepBefore reports whether step i of track t (back, if it is a step the
// track has) comes before step j of track u in pass 2: a lower resolution,
// or a lower frame rate of the same height, first; at the same step, a
// track going back to what it has first. Otherwise neither does (the caller
// keeps the priority order).
func stepBefore(t *Track, i int, back bool, u *Track, j int, uBack bool) bool {
	if ht, hu := stepHeight(t, i), stepHeight(u, j); ht != hu {
		return ht < hu
	}
	if tt, tu := t.Layers[i].Temporal, u.Layers[j].Temporal; tt != tu {
		return tt < tu
	}
	return back && !uBack
}

// stepHeight is the height of layer i's resolution: measured, or as wanted
// assumes it (720 for the top resolution, half the one above for each
// below).
func stepHeight(t *Track, i int) int {
	if h := t.Layers[i].Height; h > 0 {
		return h
	}
	h := topHeight
	for j := len(t.Layers) - 1; j > i; j-- {
		if t.Layers[j].Temporal == 0 {
			h /= 2
		}
	}
	return h
}

// resolutionBase is the lowest frame-rate step of layer i's resolution.
func resolutionBase(t *Track, i int) int {
	for i > 0 && t.Layers[i].Temporal > 0 {
		i--
	}
	return i
}

// nextStep is the layer above i that the allocator may go to: the next one,
// except the lowest frame-rate step of a resolution above the lowest, which
// is passed over for the step above it. Frame rate comes before
// resolution: a video at a quarter of its frame rate looks broken however
// sharp, so a resolution is entered at half its frame rate or more, and
// the quarter rate is only ever the lowest resolution's.
func nextStep(t *Track, i int) int {
	next := i + 1
	if next > 0 && next+1 < len(t.Layers) && t.Layers[next].Temporal == 0 && t.Layers[next+1].Temporal > 0 {
		return next + 1
	}
	return next
}
