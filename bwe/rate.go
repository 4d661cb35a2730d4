package bwe

import (
	"math"
	"time"
)

// Signals is what the send side learned about one subscriber's downlink
// over the last interval: from its congestion controller's delay and loss
// detectors (SendSide, fed by transport-wide CC feedback) and from what the
// SFU itself sent.
type Signals struct {
	Overuse bool    // the delay detector saw queues building
	Loss    float64 // fraction lost of the last 100 packets fed back
	// Target is what the congestion controller allows once queues build
	// or loss is heavy: a share of the rate the receiver acknowledged,
	// bps; 0 if it has not measured one.
	Target int
	// Acked is the highest rate the receiver acknowledged over the last
	// half second, bps (Target's base); 0 if none.
	Acked   int
	Sending int // what the SFU sent over the interval, padding included, bps
	// Probing says probe padding went out in this interval or the one
	// before (whose feedback came in during this one).
	Probing bool
	// Keyframe says a video entered a new resolution within the last
	// second: its first keyframe went out at once on top of the
	// allocation (the SFU forwards as it receives, with no pacer), and a
	// queue it built drains by itself.
	Keyframe bool
}

// RateController turns Signals into the estimate the allocator shares out.
// Decreases follow the congestion controller (SendSide), which knows the
// acknowledged receive rate: when queues build, or when more than a tenth
// of the packets are lost. Loss below that, with no queue building, is
// random loss that NACK repairs (Wi-Fi, a mobile link), not congestion: a
// link too narrow for what is sent builds a queue first, and the delay
// detector sees it. Increases are its own: a rate that was delivered
// without queueing is one the link carries, so a probe that went through
// lifts the estimate at once, as libwebrtc's probe estimator does;
// otherwise it grows by 8% a second. (GCC's own increase is capped at 1.5
// times the received rate, so it cannot climb back once a subscriber is on
// a low layer.)
//
// Two rules keep it near a link it has found. The rate acknowledged when
// queues last built is the link's capacity, and growth without a probe
// stops at it: past it the estimate is a guess the last queue refuted,
// and an upgrade made on it fills the same queue again. A queue built by
// a burst the SFU sent on purpose, which ends by itself, lowers the
// estimate no further than what the link was shown to deliver meanwhile,
// not to GCC's share of it: a probe's padding, which stops at once, and
// a new resolution's first keyframe, sent in one rush (the allocator
// left room for it over the second, not over the few milliseconds it
// takes). A rate delivered cleanly above the capacity shows the link
// widened, and the capacity is forgotten.
type RateController struct {
	estimate  int
	min, max  int
	holdUntil time.Time // DrainingUntil
	last      time.Time
	// prevSending is what was sent in the interval before, if it was clean:
	// feedback about an interval's packets arrives during the next one, so
	// only a rate sent through two clean intervals in a row is proven.
	prevSending int
	// capacity is the rate acknowledged when queues last built, bps; 0
	// unknown, or since exceeded by a rate delivered cleanly.
	capacity int
}

// Thresholds and rates (after GCC, draft-ietf-rmcat-gcc-02 §5, §6).
const (
	lossHigh        = 0.10 // above: decrease
	growthPerSecond = 1.08
	// maxGrowthOverSent caps growth without a probe.
	maxGrowthOverSent = 1.5
	holdAfterDown     = time.Second
	// deliveredShare is how much of what was sent counts as proven when
	// delivered cleanly: a little margin below the rate itself.
	deliveredShare = 0.95
)

// NewRateController starts at initial bps, within [min, max].
func NewRateController(initial, min, max int) *RateController {
	return &RateController{estimate: initial, min: min, max: max}
}

// DrainingUntil is when the queue of the last congested interval has
// drained: a holdAfterDown after it (zero before any). Also after one that
// raised the estimate (a probe that overshot: what it got through was
// delivered): the queue it met is as full, and a new resolution's
// keyframe sent into it is lost (an upgrade decided on such a raise failed
// in a run, and its failure held the track back 10 s).
func (c *RateController) DrainingUntil() time.Time { return c.holdUntil }

// Capacity is the rate acknowledged when queues last built, bps: what the
// link was seen to carry at its limit; 0 unknown, or since exceeded by a
// rate delivered cleanly (the link widened).
func (c *RateController) Capacity() int { return c.capacity }

// Estimate is the current estimate, bps.
func (c *RateController) Estimate() int { return c.estimate }

// Update folds in one interval's signals and returns the new estimate.
func (c *RateController) Update(now time.Time, s Signals) int {
	elapsed := time.Second / 4
	if !c.last.IsZero() {
		elapsed = now.Sub(c.last)
	}
	c.last = now
	proven := int(float64(min(s.Sending, c.prevSending)) * (1 - s.Loss)) // what arrived of it
	c.prevSending = 0
	switch {
	case s.Overuse || s.Loss > lossHigh:
		if s.Target > 0 {
			// The share of what the link delivered, even above the
			// estimate: a probe that met a queue still showed the link
			// carries what was acknowledged (GCC, §5.5: A = β·R).
			next := s.Target
			if s.Probing || s.Keyframe {
				// The probe's padding or the keyframe built the
				// queue, and it is over: the estimate stands, up
				// to what the link delivered meanwhile. At 2
				// Mbit/s, a second 720p video's first keyframe
				// (with the larger frames its encoder sends after
				// one) built a queue, GCC's share of 1.9 Mbit/s
				// no longer carried both, and the video went back
				// to 360p for the 10 s of a failed upgrade.
				next = max(next, min(c.estimate, int(deliveredShare*float64(s.Acked))))
			}
			c.estimate = next
			c.capacity = s.Acked
		}
		c.holdUntil = now.Add(holdAfterDown)
	case now.Before(c.holdUntil):
		// Just lowered: let the queue drain before trusting a rate.
	default:
		c.prevSending = s.Sending
		// Clean delivery: a rate sent through this interval and the one
		// before (whose feedback has now arrived) is proven; grow beyond
		// it slowly, up to maxGrowthOverSent times what is being sent
		// (GCC's cap, draft-ietf-rmcat-gcc-02 §5.5): further than that
		// is untested, and an upgrade made on it alone sends two
		// keyframes into a link that may not carry them. A probe tests
		// it first.
		c.estimate = max(c.estimate, int(float64(proven)*deliveredShare))
		if proven > c.capacity {
			c.capacity = 0 // the link widened
		}
		limit := int(maxGrowthOverSent * float64(s.Sending))
		if c.capacity > 0 {
			limit = min(limit, c.capacity)
		}
		if c.estimate < limit {
			grown := int(float64(c.estimate) * math.Pow(growthPerSecond, elapsed.Seconds()))
			c.estimate = min(grown, limit)
		}
	}
	c.estimate = min(max(c.estimate, c.min), c.max)
	return c.estimate
}
