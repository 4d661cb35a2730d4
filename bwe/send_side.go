package bwe

import (
	"iter"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// PacketResult is what the receiver's transport-wide CC feedback says of
// one packet.
type PacketResult struct {
	Seq      uint16
	Received bool
	// Arrival is on the receiver's clock: only differences mean anything.
	Arrival time.Duration
}

// SendSide is the send side of one subscriber's congestion control: it
// numbers the packets sent to it, remembers when each left, and turns the
// receiver's transport-wide CC feedback into the Signals a RateController
// uses: whether queues are building (Trendline), the share of packets lost,
// and the rate the receiver acknowledged. It is safe for concurrent use: the
// forwarding goroutines record packets, the RTCP reader feeds back, the
// allocation loop reads Signals.
type SendSide struct {
	mu      sync.Mutex
	history *SendHistory
	trend   *Trendline
	// The packet group being filled and the last complete one
	// (draft-ietf-rmcat-gcc-02 §5.2: packets sent within a burst time of
	// the group's first count as one).
	group, prev packetGroup
	highest     int64 // highest sequence number fed back so far; -1 none

	// Since the last Signals.
	overuse       bool
	ackedBytes    int
	intervalStart time.Time
	// The last ackedIntervals intervals' acknowledged bytes and lengths:
	// the target is taken from the highest rate among them, not from the
	// last quarter second alone, which at a few frames a second holds one
	// frame or two and reads low.
	ackedRing [ackedIntervals]ackedInterval
	ackedNext int

	// The last lossWindow packets fed back: whether each was lost.
	lossRing   [lossWindow]bool
	lossNext   int
	lossCount  int // packets in the ring, up to lossWindow
	lossInRing int // of which lost

	heard atomic.Int64 // when feedback last arrived (Heard), unix ns; 0 never
}

// Heard notes that feedback arrived at now (unix ns): the receiver is
// there, whatever the feedback said.
func (s *SendSide) Heard(now int64) { s.heard.Store(now) }

// LastHeard is when feedback last arrived (unix ns), 0 if it never did.
func (s *SendSide) LastHeard() int64 { return s.heard.Load() }

type ackedInterval struct {
	bytes int
	dur   time.Duration
}

type packetGroup struct {
	firstSent, lastSent, firstArrival, lastArrival int64 // ns; firstSent 0 = empty
}

// Tuning (draft-ietf-rmcat-gcc-02 §5.2, §6).
const (
	burstTime = int64(5 * time.Millisecond)
	// maxBurstTime bounds a group grown by arrivals in a burst
	// (libwebrtc's kMaxBurstDuration): a rush longer than this is a
	// queue, not a late read.
	maxBurstTime = int64(100 * time.Millisecond)
	// overuseShare of the acknowledged rate is the target once queues
	// build or loss is heavy (β = 0.85, draft-ietf-rmcat-gcc-02 §5.6).
	overuseShare = 0.85
	// ackedIntervals is how many calls of Signals the acknowledged rate
	// is taken over: half a second at the allocation's 250 ms. Each
	// interval's rate is a rate the link delivered, so the highest is the
	// best lower bound of its capacity; a link that narrowed leaves the
	// window within half a second.
	ackedIntervals = 2
	// lossWindow is how many of the last packets the loss is measured
	// over. Not an interval: a quarter second at 180p holds about ten
	// packets, where one random loss reads as 10% (the decrease
	// threshold); over a hundred, 5% random loss reads over 10% about one
	// time in a hundred.
	lossWindow = 100
	// A jump in arrival times beyond this is the feedback's 24-bit
	// reference time wrapping, or a receiver that restarted its clock.
	maxArrivalJump = int64(10 * time.Second)
)

// NewSendSide makes a SendSide with an empty history.
func NewSendSide() *SendSide {
	return &SendSide{history: NewSendHistory(), trend: NewTrendline(), highest: -1}
}

// OnSent records a packet of size bytes sent at (ns) and returns the
// transport-wide sequence number it carries.
func (s *SendSide) OnSent(at int64, size int) uint16 {
	s.mu.Lock()
	seq := s.history.Add(at, size)
	s.mu.Unlock()
	return seq
}

// OnFeedback folds in one feedback message's packet results, in sequence
// order.
func (s *SendSide) OnFeedback(results iter.Seq[PacketResult]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r := range results {
		n, sent, size, ok := s.history.Lookup(r.Seq)
		if !ok || n <= s.highest {
			// Unknown, too old, or already reported.
			continue
		}
		s.highest = n
		s.history.Acked(n)
		s.countLoss(!r.Received)
		if !r.Received {
			continue
		}
		s.ackedBytes += size
		s.addToGroup(sent, int64(r.Arrival))
	}
}

// countLoss puts one packet's fate in the loss window.
func (s *SendSide) countLoss(lost bool) {
	if s.lossCount == lossWindow {
		if s.lossRing[s.lossNext] {
			s.lossInRing--
		}
	} else {
		s.lossCount++
	}
	s.lossRing[s.lossNext] = lost
	if lost {
		s.lossInRing++
	}
	s.lossNext = (s.lossNext + 1) % lossWindow
}

// addToGroup adds an acknowledged packet to the current group; a packet
// sent after the burst time closes it, and the delay variation between it
// and the group before goes to the trendline.
func (s *SendSide) addToGroup(sent, arrival int64) {
	g := &s.group
	if g.firstSent == 0 {
		*g = packetGroup{firstSent: sent, lastSent: sent, firstArrival: arrival, lastArrival: arrival}
		return
	}
	if sent-g.firstSent <= burstTime || arrivedInBurst(g, sent, arrival) {
		g.lastSent = max(g.lastSent, sent)
		g.lastArrival = max(g.lastArrival, arrival)
		return
	}
	if p := s.prev; p.firstSent != 0 {
		sendDelta, recvDelta := g.lastSent-p.lastSent, g.lastArrival-p.lastArrival
		switch {
		case recvDelta > maxArrivalJump || recvDelta < -maxArrivalJump:
			s.trend = NewTrendline()
		case sendDelta > 0:
			if s.trend.Update(ms(recvDelta), ms(sendDelta), ms(g.lastArrival)) == Overuse {
				s.overuse = true
			}
		}
	}
	s.prev = *g
	*g = packetGroup{firstSent: sent, lastSent: sent, firstArrival: arrival, lastArrival: arrival}
}

// arrivedInBurst reports whether a packet sent after the group's burst time
// still belongs to it because it arrived in a burst with it: within
// burstTime of the group's last packet and sooner after it than it was
// sent (draft-ietf-rmcat-gcc-02 §5.2: an inter-arrival time under
// burst_time and a negative inter-group delay variation), as long as the
// group spans less than maxBurstTime. A receiver that reads late, as a
// browser on a starved core does, hands packets sent over tens of
// milliseconds the same arrival time; taken one by one their delay jumps
// up at the stall and falls back through the rush, and the trend read
// that as queues building (71 of 239 quarter seconds with 180 ms stalls
// in TestLateReader, none with the rule). Grouped, the burst's last packet
// carries its delay, which is the path's.
func arrivedInBurst(g *packetGroup, sent, arrival int64) bool {
	arrivalDelta := arrival - g.lastArrival
	return arrivalDelta <= burstTime && arrivalDelta-(sent-g.lastSent) < 0 && arrival-g.firstArrival < maxBurstTime
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// Signals sums up the feedback since the last call: Overuse if queues were
// building at any point, the loss (over the last lossWindow packets), and as Target
// overuseShare of the highest rate the receiver acknowledged in one of the
// last ackedIntervals calls, when there was
// feedback. Sending is left to the caller, which knows what it sent.
func (s *SendSide) Signals(now time.Time) Signals {
	s.mu.Lock()
	defer s.mu.Unlock()
	sig := Signals{Overuse: s.overuse || s.trend.Usage() == Overuse}
	if s.lossCount > 0 {
		sig.Loss = float64(s.lossInRing) / float64(s.lossCount)
	}
	if elapsed := now.Sub(s.intervalStart); !s.intervalStart.IsZero() && elapsed > 0 {
		s.ackedRing[s.ackedNext] = ackedInterval{bytes: s.ackedBytes, dur: elapsed}
		s.ackedNext = (s.ackedNext + 1) % ackedIntervals
	}
	acked := 0.0
	for _, a := range s.ackedRing {
		if a.dur > 0 {
			acked = max(acked, float64(a.bytes)*8/a.dur.Seconds())
		}
	}
	if acked > 0 {
		sig.Acked = int(math.Round(acked))
		sig.Target = int(math.Round(overuseShare * acked))
	}
	s.overuse, s.ackedBytes = false, 0
	s.intervalStart = now
	return sig
}
