package bwe

import (
	"math"

	"github.com/switchboard-rtc/switchboard/internal/linfit"
)

// Usage is what the delay detector concludes about the path's queues.
type Usage int

// Usages (draft-ietf-rmcat-gcc-02 §5.5).
const (
	Normal   Usage = iota // queues steady
	Overuse               // queues building: sending above capacity
	Underuse              // queues draining
)

// Trendline detects queues building on the path from the one-way delay
// variation between groups of packets, as libwebrtc's trendline estimator
// does: it smooths the accumulated delay variation, fits a line to the last
// trendWindow points, and compares the slope, scaled, with a threshold that
// adapts to the path's jitter (draft-ietf-rmcat-gcc-02 §5.4), so that
// cross-traffic and jitter do not starve the stream.
type Trendline struct {
	numDeltas    int
	accumulated  float64 // ms
	smoothed     float64 // ms
	firstArrival float64
	points       [trendWindow]linfit.Point
	count, head  int

	threshold      float64 // ms
	lastThreshold  float64 // arrival time of the last threshold update, ms; <0 none
	timeOverusing  float64 // ms; <0 not overusing
	overuseCounter int
	prevTrend      float64
	usage          Usage
}

// Parameters of the trendline detector (libwebrtc's defaults, and the
// adaptive threshold of draft-ietf-rmcat-gcc-02 §5.4).
const (
	trendWindow        = 20
	trendSmoothing     = 0.9
	trendGain          = 4.0
	maxDeltasCounted   = 60
	overuseTimeMs      = 10.0
	initialThresholdMs = 12.5
	minThresholdMs     = 6.0
	maxThresholdMs     = 600.0
	thresholdUpGain    = 0.0087 // K_u
	thresholdDownGain  = 0.039  // K_d
	thresholdSkipMs    = 15.0   // a spike this far above the threshold does not move it
	maxThresholdStepMs = 100.0
)

// NewTrendline makes a detector in the Normal state.
func NewTrendline() *Trendline {
	return &Trendline{threshold: initialThresholdMs, lastThreshold: -1, timeOverusing: -1}
}

// Usage is the detector's current conclusion.
func (t *Trendline) Usage() Usage { return t.usage }

// Update folds in one pair of packet groups: how much later the second
// group arrived than the first (recvDelta), how much later it was sent
// (sendDelta), and when it arrived (arrival), all in milliseconds.
func (t *Trendline) Update(recvDelta, sendDelta, arrival float64) Usage {
	t.numDeltas = min(t.numDeltas+1, 1000)
	if t.count == 0 {
		t.firstArrival = arrival
	}
	t.accumulated += recvDelta - sendDelta
	t.smoothed = trendSmoothing*t.smoothed + (1-trendSmoothing)*t.accumulated
	t.points[t.head] = linfit.Point{X: arrival - t.firstArrival, Y: t.smoothed}
	t.head = (t.head + 1) % trendWindow
	t.count = min(t.count+1, trendWindow)
	trend := t.prevTrend
	if t.count == trendWindow {
		if s, ok := linfit.Slope(t.points[:]); ok {
			trend = s
		}
	}
	t.detect(trend, sendDelta, arrival)
	return t.usage
}

// detect is the overuse detector (draft-ietf-rmcat-gcc-02 §5.5): overuse
// is signalled only once the scaled trend has stayed above the threshold
// for overuseTimeMs and is still rising.
func (t *Trendline) detect(trend, sendDelta, arrival float64) {
	m := float64(min(t.numDeltas, maxDeltasCounted)) * trend * trendGain
	switch {
	case m > t.threshold:
		if t.timeOverusing < 0 {
			t.timeOverusing = sendDelta / 2
		} else {
			t.timeOverusing += sendDelta
		}
		t.overuseCounter++
		if t.timeOverusing > overuseTimeMs && t.overuseCounter > 1 && trend >= t.prevTrend {
			t.timeOverusing, t.overuseCounter = 0, 0
			t.usage = Overuse
		}
	case m < -t.threshold:
		t.timeOverusing, t.overuseCounter = -1, 0
		t.usage = Underuse
	default:
		t.timeOverusing, t.overuseCounter = -1, 0
		t.usage = Normal
	}
	t.prevTrend = trend
	t.adaptThreshold(m, arrival)
}

// adaptThreshold moves the threshold towards |m|: slowly up, faster down
// (draft-ietf-rmcat-gcc-02 §5.4, K_u < K_d).
func (t *Trendline) adaptThreshold(m, arrival float64) {
	if t.lastThreshold < 0 {
		t.lastThreshold = arrival
	}
	abs := math.Abs(m)
	if abs > t.threshold+thresholdSkipMs {
		t.lastThreshold = arrival
		return
	}
	k := thresholdUpGain
	if abs < t.threshold {
		k = thresholdDownGain
	}
	dt := min(arrival-t.lastThreshold, maxThresholdStepMs)
	t.threshold = min(max(t.threshold+k*(abs-t.threshold)*dt, minThresholdMs), maxThresholdMs)
	t.lastThreshold = arrival
}
