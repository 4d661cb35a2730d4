// Package quality scores a participant's connection from what the SFU
// measures of it, and turns the score into a level with hysteresis.
//
// The score is a MOS (1 to 5) from the ITU-T G.107 E-model in the
// simplified form LiveKit and most VoIP monitors use: an effective latency
// of half the round trip, twice the jitter and 10 ms of codec delay costs
// R-factor linearly (steeper past 160 ms), each percent of packet loss
// costs 2.5, and R maps to MOS by G.107 Annex B. A downlink estimate
// below half of what the participant should receive costs as much as 10 %
// loss, since its video is then held on a lower layer than its tiles ask
// for. The levels are MOS thresholds: above 4.1 excellent, 3.4 and above
// good, below poor; lost when nothing was heard from the participant for
// LostAfter. A level rises only when the score passes its threshold by
// Margin, so a score hovering at a threshold does not flap.
package quality

import (
	"math"
	"time"
)

// Level is a connection's quality as clients see it.
type Level int

// The levels, worst first.
const (
	Lost Level = iota
	Poor
	Good
	Excellent
)

// String is the level's name in the signaling protocol.
func (l Level) String() string {
	switch l {
	case Excellent:
		return "excellent"
	case Good:
		return "good"
	case Poor:
		return "poor"
	default:
		return "lost"
	}
}

// Thresholds of the MOS score, and the margin a score must clear to raise
// a level.
const (
	ExcellentAbove = 4.1
	GoodFrom       = 3.4
	Margin         = 0.15
	// LostAfter is how long a connection may be silent (no media, no
	// RTCP) before it is lost: a few RTCP intervals (RFC 3550 §6.2 sends
	// a report at least every 5 s; browsers send feedback every 100 ms).
	LostAfter = 4 * time.Second
	// starvedPenalty is the loss, in percent, charged when the estimate
	// is below half of what the participant should receive.
	starvedPenalty = 10
)

// Inputs are one evaluation's measurements, each the worse of the
// participant's uplink (what it publishes) and downlink (what it is sent).
type Inputs struct {
	Loss   float64       // fraction of packets lost, 0 to 1
	Jitter time.Duration // RFC 3550 interarrival jitter
	RTT    time.Duration // round trip, 0 if unknown
	// Starved: the downlink estimate is below half of what the
	// participant's subscriptions ask for.
	Starved bool
	// Silent: nothing heard from the participant for LostAfter.
	Silent bool
}

// Score is the MOS of in, from 1 to 5 (0 when silent).
func Score(in Inputs) float64 {
	if in.Silent {
		return 0
	}
	latency := float64(in.RTT.Milliseconds())/2 + 2*float64(in.Jitter.Milliseconds()) + 10
	r := 93.2
	if latency < 160 {
		r -= latency / 40
	} else {
		r -= (latency - 120) / 10
	}
	lossPct := math.Min(math.Max(in.Loss, 0), 1) * 100
	if in.Starved {
		lossPct += starvedPenalty
	}
	r -= 2.5 * lossPct
	r = math.Min(math.Max(r, 0), 100)
	// G.107 Annex B.
	mos := 1 + 0.035*r + 7e-6*r*(r-60)*(100-r)
	return math.Min(math.Max(mos, 1), 5)
}

// levelOf is the level a score falls in, without hysteresis.
func levelOf(score float64) Level {
	switch {
	case score <= 0:
		return Lost
	case score > ExcellentAbove:
		return Excellent
	case score >= GoodFrom:
		return Good
	default:
		return Poor
	}
}

// floor is the lowest score of a level (the threshold it is entered at,
// before Margin).
func floor(l Level) float64 {
	switch l {
	case Excellent:
		return ExcellentAbove
	case Good:
		return GoodFrom
	default:
		return 0
	}
}

// Next is the level after prev given this evaluation's score: falling at
// once, rising only by Margin past the threshold (lost rises to whatever
// the score says: the connection is back).
func Next(prev Level, score float64) Level {
	l := levelOf(score)
	if l <= prev || prev == Lost {
		return l
	}
	// Rising: the highest level whose threshold the score clears by Margin.
	for l > prev && score < floor(l)+Margin {
		l--
	}
	return l
}
