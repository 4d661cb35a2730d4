// Package hist is a fixed-size latency histogram: log-linear buckets over
// microseconds, mergeable and subtractable, so that a load generator can
// keep one per received track, add them up every second and tell the
// percentiles of the last interval from the difference of two totals.
package hist

import (
	"math/bits"
	"time"
)

// subBits sets the precision: each power of two is split into 1<<subBits
// buckets, so a value is known within 1/16 (about 6 %) of itself.
const subBits = 4

const (
	subCount = 1 << subBits
	// maxExp is the highest power of two told apart: 2^26 µs is 67 s.
	maxExp = 26
	// Buckets is the number of buckets of a Histogram.
	Buckets = (maxExp-subBits+1)*subCount + subCount
)

// Histogram counts durations at microsecond resolution. The zero value is
// empty and ready; it is a plain array, so copying it is a snapshot.
type Histogram struct {
	counts [Buckets]uint64
	total  uint64
	max    time.Duration
}

// bucket is the index of the bucket that holds v microseconds.
func bucket(v uint64) int {
	if v < subCount {
		return int(v)
	}
	exp := bits.Len64(v) - 1 // v is in [2^exp, 2^(exp+1))
	if exp > maxExp {
		return Buckets - 1
	}
	shift := exp - subBits
	return (shift+1)*subCount + int(v>>uint(shift)) - subCount
}

// upper is the largest value, in microseconds, that bucket i holds.
func upper(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	shift := i/subCount - 1
	mant := uint64(i%subCount + subCount)
	return (mant+1)<<uint(shift) - 1
}

// Record counts one duration; negative ones (clocks apart) count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := uint64(0)
	if d > 0 {
		us = uint64(d / time.Microsecond)
	}
	h.counts[bucket(us)]++
	h.total++
	h.max = max(h.max, d)
}

// Count is how many durations were recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest duration recorded (not rounded to a bucket).
func (h *Histogram) Max() time.Duration { return h.max }

// Add merges o into h.
func (h *Histogram) Add(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.max = max(h.max, o.max)
}

// Sub returns what h counted since the earlier snapshot prev of the same
// histogram. Its Max is the largest bucket's upper bound, since the exact
// maximum of an interval is not kept.
func (h *Histogram) Sub(prev *Histogram) Histogram {
	var d Histogram
	for i := range h.counts {
		c := h.counts[i] - min(prev.counts[i], h.counts[i])
		d.counts[i] = c
		d.total += c
		if c > 0 {
			d.max = time.Duration(upper(i)) * time.Microsecond
		}
	}
	return d
}

// Quantile is the duration below which a share q (0 to 1) of the recorded
// durations fall, as the upper bound of the bucket that holds it, capped by
// Max; 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(q * float64(h.total))
	if float64(rank) < q*float64(h.total) || rank == 0 {
		rank++ // the smallest rank that covers q: ceil, at least 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(upper(i))*time.Microsecond, h.max)
		}
	}
	return h.max
}
