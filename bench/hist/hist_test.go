package hist

import (
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	// Every value lands in a bucket whose upper bound holds it, within the
	// promised precision, and buckets never go backwards.
	prev := 0
	for v := uint64(0); v < 1<<20; v += 1 + v/64 {
		i := bucket(v)
		if i < prev {
			t.Fatalf("bucket(%d) = %d, below bucket of a smaller value %d", v, i, prev)
		}
		prev = i
		up := upper(i)
		if up < v || float64(up-v) > float64(v)/subCount+1 {
			t.Fatalf("value %d: bucket %d upper bound %d", v, i, up)
		}
		if i > 0 && upper(i-1) >= v {
			t.Fatalf("value %d: the previous bucket %d already holds up to %d", v, i-1, upper(i-1))
		}
	}
	if got := bucket(1 << 40); got != Buckets-1 {
		t.Fatalf("huge value in bucket %d, want the last, %d", got, Buckets-1)
	}
}

func TestQuantile(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
		slack  time.Duration
	}{
		{"empty", nil, 0.5, 0, 0},
		{"one value", []time.Duration{3 * ms}, 0.99, 3 * ms, 0},
		{"median of 1..100 ms", series(100, ms), 0.5, 50 * ms, 50 * ms / subCount},
		{"p99 of 1..100 ms", series(100, ms), 0.99, 99 * ms, 99 * ms / subCount},
		{"p100 is the max", series(100, ms), 1, 100 * ms, 0},
		{"p0 is the smallest bucket", series(100, ms), 0, ms, ms / subCount},
		{"negative counts as zero", []time.Duration{-time.Second}, 0.5, 0, 0},
		{"microseconds are exact", []time.Duration{5 * time.Microsecond, 7 * time.Microsecond}, 0.5, 5 * time.Microsecond, 0},
		{"tail of one slow packet", append(series(99, time.Microsecond), 40*ms), 0.99, 99 * time.Microsecond, 7 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, v := range tt.values {
				h.Record(v)
			}
			got := h.Quantile(tt.q)
			if got < tt.want-tt.slack || got > tt.want+tt.slack {
				t.Fatalf("Quantile(%v) = %v, want %v ± %v", tt.q, got, tt.want, tt.slack)
			}
			if got > h.Max() {
				t.Fatalf("Quantile(%v) = %v above Max %v", tt.q, got, h.Max())
			}
		})
	}
}

// series is step, 2·step, … n·step.
func series(n int, step time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * step
	}
	return out
}

func TestAddAndSub(t *testing.T) {
	var a, b Histogram
	for _, v := range series(10, time.Millisecond) {
		a.Record(v)
	}
	before := a
	for _, v := range series(5, time.Second) {
		a.Record(v)
		b.Record(v)
	}
	d := a.Sub(&before)
	if d.Count() != 5 || d.Quantile(0.5) != b.Quantile(0.5) {
		t.Fatalf("difference: %d values, median %v; want 5, %v", d.Count(), d.Quantile(0.5), b.Quantile(0.5))
	}
	if d.Max() < 5*time.Second || d.Max() > 5*time.Second+5*time.Second/subCount {
		t.Fatalf("difference max %v, want about 5s", d.Max())
	}
	var sum Histogram
	sum.Add(&before)
	sum.Add(&b)
	if sum != a {
		t.Fatal("before + b differs from a")
	}
}
