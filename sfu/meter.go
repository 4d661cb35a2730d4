package sfu

import (
	"sync/atomic"
	"time"
)

// bitrateMeter measures a stream's bitrate: the packet path only adds bytes
// (one atomic add); the allocator samples now and then.
type bitrateMeter struct {
	bytes    atomic.Uint64
	lastAt   atomic.Int64 // unix nanoseconds of the last sample
	lastSeen atomic.Uint64
	rate     atomic.Int64 // bits per second, smoothed
	active   atomic.Int64 // the last rate seen while the stream flowed
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

func (m *bitrateMeter) add(n int) { m.bytes.Add(uint64(n)) }

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
	total := m.bytes.Load()
	seen := m.lastSeen.Swap(total)
	if total == seen {
		m.idleAt.CompareAndSwap(0, now.UnixNano())
	} else {
		m.idleAt.Store(0)
	}
	if last == 0 {
		return 0
	}
	inst := int64(float64(total-seen) * 8 / (float64(elapsed) / float64(time.Second)))
	old := m.rate.Load()
	next := inst
	if old != 0 {
		next = (old*3 + inst) / 4 // exponential smoothing over ~1 s
	}
	m.rate.Store(next)
	if inst > 0 {
		m.active.Store(next)
	}
	return m.cost()
}

func (m *bitrateMeter) cost() int {
	if r := m.rate.Load(); r > m.active.Load()/4 {
		return int(r)
	}
	return int(m.active.Load())
}
