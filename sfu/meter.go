package sfu

import (
	"sync/atomic"
	"time"
)

// keyframeWindow is how long a keyframe's bytes count in a stream's rate,
// spread evenly. Entering a layer pays for its keyframe apart (the
// allocator's Keyframe); its steady cost is its delta frames plus its
// keyframes as often as they come. Smoothed over a second like the rest,
// one 360p keyframe after a PLI read as 200 kbit/s more for that second,
// and upgrades decided on it failed (session 10's traces of the 2 Mbit/s
// link): every PLI makes a keyframe of every layer at once.
const keyframeWindow = 10 * time.Second

// bitrateMeter measures a stream's bitrate: the packet path only adds bytes
// (one atomic add); the allocator samples now and then.
type bitrateMeter struct {
	bytes    atomic.Uint64
	kfBytes  atomic.Uint64 // of them, in keyframes
	lastAt   atomic.Int64  // unix nanoseconds of the last sample
	lastSeen atomic.Uint64
	lastKf   atomic.Uint64
	rate     atomic.Int64 // bits per second of the delta frames, smoothed
	kfRate   atomic.Int64 // bits per second of keyframes, over keyframeWindow
	active   atomic.Int64 // the last delta rate seen while the stream flowed
	idleAt   atomic.Int64 // unix nanoseconds since when no byte came, 0 while flowing
}

// idleFor is how long the stream has carried nothing, as of the last sample.
func (m *bitrateMeter) idleFor(now time.Time) time.Duration {
	at := m.idleAt.Load()
	if at == 0 {
		return 0
	}
	return now.Sub(time.Unix(0, at))
}

// add counts n bytes of the stream, part of a keyframe or not.
func (m *bitrateMeter) add(n int, keyframe bool) {
	if keyframe {
		m.kfBytes.Add(uint64(n))
	}
	m.bytes.Add(uint64(n))
}

// sample updates the smoothed bitrate and returns what the stream costs
// when it flows: while it is paused (a publisher told to stop the layer)
// the last active rate, so a paused layer does not look free. Calls closer
// together than 200 ms return the previous figure.
func (m *bitrateMeter) sample(now time.Time) int {
	last := m.lastAt.Load()
	elapsed := now.UnixNano() - last
	if last != 0 && elapsed < int64(200*time.Millisecond) {
		return m.cost()
	}
	if !m.lastAt.CompareAndSwap(last, now.UnixNano()) {
		return m.cost()
	}
	total, kf := m.bytes.Load(), m.kfBytes.Load()
	seen, seenKf := m.lastSeen.Swap(total), m.lastKf.Swap(kf)
	if total == seen {
		m.idleAt.CompareAndSwap(0, now.UnixNano())
	} else {
		m.idleAt.Store(0)
	}
	if last == 0 {
		return 0
	}
	secs := float64(elapsed) / float64(time.Second)
	inst := int64(float64((total-seen)-(kf-seenKf)) * 8 / secs)
	old := m.rate.Load()
	next := inst
	if old != 0 {
		next = (old*3 + inst) / 4 // exponential smoothing over ~1 s
	}
	m.rate.Store(next)
	if inst > 0 {
		m.active.Store(next)
	}
	// The keyframes' bits spread over keyframeWindow: an exponential
	// average whose weight is the share of the window this sample spans.
	kfInst := float64(kf-seenKf) * 8 / secs
	oldKf := float64(m.kfRate.Load())
	m.kfRate.Store(int64(oldKf + (kfInst-oldKf)*min(1, float64(elapsed)/float64(keyframeWindow))))
	return m.cost()
}

func (m *bitrateMeter) cost() int {
	delta := m.rate.Load()
	if active := m.active.Load(); delta <= active/4 {
		delta = active
	}
	return int(delta + m.kfRate.Load())
}
