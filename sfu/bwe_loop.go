package sfu

import (
	"errors"
	"time"

	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/internal/clock"
)

// How the subscriber side shares its bandwidth estimate.
const (
	allocationInterval = 250 * time.Millisecond
	probeBurstInterval = 20 * time.Millisecond
	probeDuration      = 1500 * time.Millisecond
	probeCooldown      = time.Second
	probeWarmup        = 5 * time.Second
	maxProbeBackoff    = 2                         // cooldown doubles per failed probe, up to 4x
	paddingPacketBits  = (maxPadding + 12 + 8) * 8 // payload, RTP header, transport-cc extension
	// keyframeDrain is how long after a video enters a higher resolution
	// a queue counts as its first keyframe's (bwe.Signals.Keyframe): the
	// keyframe asked for arrives within a few hundred milliseconds, its
	// feedback in the interval after, and the delay trend takes a few
	// groups more to settle.
	keyframeDrain = 4 * allocationInterval
)

// runBWE allocates this participant's estimated downlink among the tracks
// it receives, every allocationInterval or when a tile's settings change;
// it probes with padding when bandwidth is all that keeps a track low, and
// tells the publisher which of its own layers anyone needs (dynacast).
func (p *Participant) runBWE() {
	defer p.wg.Done()
	defer p.recoverPanic("bandwidth allocation")
	// Until a layer has been measured (a few hundred milliseconds), the
	// allocator assumes the usual simulcast ladder.
	alloc := bwe.NewAllocator()
	clk := p.sfu.cfg.clock
	tick := clk.NewTicker(allocationInterval)
	defer tick.Stop()
	// No probing until the tracks' bitrates are measured and the
	// estimator has had feedback to work from.
	pr := prober{clock: clk, nextAllowed: clk.Now().Add(probeWarmup)}
	defer func() {
		if pr.active() {
			pr.ticker.Stop()
		}
	}()
	rate := bwe.NewRateController(initialEstimate, minEstimate, maxEstimate)
	var meter sendMeter
	var trace traceMeter
	for {
		update := false
		select {
		case <-p.ctx.Done():
			return
		case <-p.bweWake:
		case <-tick.C():
			update = true
		case now := <-pr.ticks():
			pr.burst(now, p.estimate())
			continue
		}
		now := clk.Now()
		// The estimate learns from whole intervals only: a wake between
		// ticks (a new track, a tile resized) allocates with it as it is.
		// Cut short, an interval's send and acknowledged rates are noise:
		// a 20 ms one with a keyframe in it read as 1 Mbit/s sent.
		if p.estimator != nil && update {
			p.updateEstimate(now, rate, meter.rate(now, p.sent.Load()), &pr)
			// While the queue of the last congested interval drains,
			// no new resolution and no probe: either would be sent into it.
			alloc.HoldUpgrades(upgradesFrom(rate.DrainingUntil(), &pr))
			pr.nextAllowed = later(pr.nextAllowed, rate.DrainingUntil())
		}
		if p.relay != RelayEgress {
			// A relay's streams are each pinned to their layer; the
			// far node chooses per subscriber (relay.go).
			p.allocate(now, alloc, &pr, rate.Capacity())
		}
		p.updateDynacast(now)
		if update && p.keepTrace {
			p.record(now, &trace, pr.active())
		}
	}
}

// wakeBWE asks for an allocation now (new track, new tile size).
func (p *Participant) wakeBWE() {
	select {
	case p.bweWake <- struct{}{}:
	default:
	}
}

// estimate is the subscriber's current downlink estimate, bits per second;
// without estimation, as much as any layer needs.
func (p *Participant) estimate() int {
	if p.estimator == nil {
		return maxEstimate
	}
	return int(p.rateEstimate.Load())
}

// updateEstimate feeds the rate controller this interval's signals: the
// delay and loss detectors' and what was sent. A probe that meets
// congestion stops at once.
func (p *Participant) updateEstimate(now time.Time, rate *bwe.RateController, sending int, pr *prober) {
	sig := p.estimator.Signals(now)
	sig.Sending = sending
	sig.Probing = pr.paddedSince(now.Add(-2 * allocationInterval))
	sig.Keyframe = !p.resolutionUp.IsZero() && now.Sub(p.resolutionUp) <= keyframeDrain
	est := rate.Update(now, sig)
	p.rateEstimate.Store(int64(est))
	p.lastSignals = sig
	p.downLoss.Store(uint32(min(max(sig.Loss, 0), 1) * 1000))
	p.leanAudio.Store(wantLeanAudio(est))
	p.rtxBudget.refill(est, allocationInterval)
	// The loss figure is over the last 100 packets: only heavy loss, or queues building,
	// mean this probe is what hurts.
	if pr.active() && (sig.Overuse || sig.Loss > 0.10) {
		pr.fail(now)
		p.log.Debug("probe met congestion", "sending", sending, "loss", sig.Loss, "overuse", sig.Overuse)
	}
}

// sendMeter turns the bytes sent to a subscriber into a rate per interval.
type sendMeter struct {
	at    time.Time
	bytes uint64
}

func (m *sendMeter) rate(now time.Time, total uint64) int {
	defer func() { m.at, m.bytes = now, total }()
	if m.at.IsZero() || !now.After(m.at) {
		return 0
	}
	return int(float64(total-m.bytes) * 8 / now.Sub(m.at).Seconds())
}

func (p *Participant) allocate(now time.Time, alloc *bwe.Allocator, pr *prober, capacity int) {
	est := p.estimate()
	if last := p.lastEstimate; last == 0 || est > last*11/10 || est < last*9/10 {
		p.lastEstimate = est
		p.sfu.stats.EstimateChanges.Add(1)
		p.estimateChanges.Add(1)
		p.log.Debug("estimate", "bps", est, "loss", p.lastSignals.Loss, "overuse", p.lastSignals.Overuse,
			"target", p.lastSignals.Target, "sending", p.lastSignals.Sending)
	}
	dts := *p.dtList.Load()
	tracks := p.bweTracks[:0]
	sending := 0
	for _, d := range dts {
		t := d.bweTrack(now)
		if t.Current >= 0 && t.Current < len(t.Layers) {
			sending += t.Layers[t.Current].Bitrate
		}
		tracks = append(tracks, t)
	}
	p.bweTracks = tracks
	p.wantBps.Store(int64(wantedRate(tracks)))
	dec := alloc.Allocate(now, est, tracks)
	upgraded := false
	for i, d := range dts {
		cur, next := tracks[i].Current, dec.Layers[i]
		if cur >= 0 && next > cur && d.ladder[next].spatial != d.ladder[cur].spatial {
			// A new resolution: its keyframe is on its way.
			upgraded = true
		}
		if mustLeave(&tracks[i], d.ladder, cur, next, dec.Total, est) {
			st := d.ladder[next]
			d.leave(st.spatial, st.tid)
			continue
		}
		d.applyStep(next)
	}
	if upgraded {
		pr.layerUp(now)
		p.resolutionUp = now
	}
	if dec.WantTarget > est && sending > 0 && !pr.active() && now.After(pr.nextAllowed) {
		if carrier := paddingCarrier(dts); carrier != nil {
			target := min(pr.aim(dec, est, capacity), 2*est)
			pr.start(now, carrier, target, est, sending)
			p.log.Debug("probing", "target", target, "estimate", est, "sending", sending)
		}
	}
}

// wantedRate is what the tiles ask for, bps: the layer each track's tile
// needs, bandwidth aside, at its measured rate.
func wantedRate(tracks []bwe.Track) int {
	sum := 0
	for i := range tracks {
		if w := bwe.Wanted(&tracks[i]); w >= 0 {
			sum += tracks[i].Layers[w].Bitrate
		}
	}
	return sum
}

// paddingCarrier picks the video down track that carries probe padding: one
// that is forwarding, so its sequence numbers are live.
func paddingCarrier(dts []*DownTrack) *DownTrack {
	for _, d := range dts {
		if d.Kind().String() == "video" {
			if cur, _ := d.layers(); cur >= 0 {
				return d
			}
		}
	}
	return nil
}

// prober sends padding in bursts for a while so that the estimate can
// climb above what the media alone sends (the estimate learns only from
// what it sees delivered).
type prober struct {
	clock       clock.Clock // makes the bursts' ticker
	carrier     *DownTrack
	target      int
	paddingRate int
	until       time.Time
	nextAllowed time.Time
	ticker      clock.Ticker
	failures    int // probes in a row that met congestion
	from        int // the estimate when the probe started
	lastPadding time.Time
	// credit is the padding owed, bits: each burst adds its share of
	// paddingRate and sends the whole packets of it. Counted per burst
	// and rounded down, every probe was a multiple of one packet per
	// burst (110 kbit/s): one meant to send 177 kbit/s over a 217
	// kbit/s video sent 110, its clean delivery raised a 315 kbit/s
	// estimate to 95 % of 328, no rise, and a subscriber stayed at 180p
	// for 90 s after its link widened (TestSimulcastNarrowLink, twice).
	credit int
}

// owed adds one burst's share of the padding rate to the credit and
// returns how many whole padding packets it holds. Credit a burst could
// not spend (padding waits for the end of a frame) is kept, up to two
// bursts' worth: the next burst makes up for it, without a flood.
func (pr *prober) owed() int {
	share := pr.paddingRate * int(probeBurstInterval/time.Millisecond) / 1000
	pr.credit = min(pr.credit+share, 2*share+paddingPacketBits)
	return pr.credit / paddingPacketBits
}

// paid takes n padding packets sent off the credit.
func (pr *prober) paid(n int) { pr.credit = max(pr.credit-n*paddingPacketBits, 0) }

// probeSettle is how long after probe padding no video enters a new
// resolution. The padding's feedback comes in the next interval, and a
// queue it built shows only then: a 720p upgrade decided on a probe's
// raise while its padding was still queued overflowed the 2 Mbit/s link,
// failed, and held its video 10 s (twice in four runs of the step shape).
const probeSettle = 2 * allocationInterval

// upgradesFrom is when videos may enter a higher resolution again: once
// the queue of the last congested interval has drained (draining), and
// probeSettle after the last probe padding.
func upgradesFrom(draining time.Time, pr *prober) time.Time {
	if pr.lastPadding.IsZero() {
		return draining
	}
	return later(draining, pr.lastPadding.Add(probeSettle))
}

// paddedSince reports whether the prober sent padding after t.
func (pr *prober) paddedSince(t time.Time) bool { return pr.lastPadding.After(t) }

func (pr *prober) active() bool { return pr.ticker != nil }

// aim is what a probe is for: what the tiles want, while probes go through
// (a widened link is found in a few doublings, not a step of the ladder
// at a time); after one met congestion, only the next step up (a quarter
// above the estimate while the steps are held back), until one goes
// through again: at its edge a link is tested gently. The caller caps it
// at twice the estimate. Where queues last built at capacity (the rate
// controller's, 0 unknown), no higher than a tenth over it, or a quarter
// over the estimate: twice a 2 Mbit/s link's estimate overflowed its
// 100 ms queue before the probe could be stopped, and media was lost
// with the padding; a link that widened lets this one through, and the
// next, at once and unbounded (the capacity is forgotten), doubles.
func (pr *prober) aim(dec bwe.Decision, estimate, capacity int) int {
	aim := estimate * 5 / 4
	switch {
	case pr.failures == 0:
		aim = dec.WantTarget
	case dec.ProbeTarget > estimate:
		aim = dec.ProbeTarget
	}
	if capacity > 0 {
		aim = min(aim, max(capacity*11/10, estimate*5/4))
	}
	return aim
}

// ticks is nil (never ready) when not probing.
func (pr *prober) ticks() <-chan time.Time {
	if pr.ticker == nil {
		return nil
	}
	return pr.ticker.C()
}

func (pr *prober) start(now time.Time, carrier *DownTrack, target, estimate, sending int) {
	pr.carrier, pr.target, pr.from = carrier, target, estimate
	pr.paddingRate = max(target-sending, target/4)
	pr.credit = 0
	pr.until = now.Add(probeDuration)
	pr.ticker = pr.clock.NewTicker(probeBurstInterval)
}

func (pr *prober) stop(now time.Time) {
	if pr.ticker != nil {
		pr.ticker.Stop()
		pr.ticker = nil
	}
	pr.carrier = nil
	pr.nextAllowed = now.Add(probeCooldown << min(pr.failures, maxProbeBackoff))
}

// fail ends a probe that met congestion; the next waits longer, so a link
// at its limit is not pushed over it every few seconds.
func (pr *prober) fail(now time.Time) {
	pr.failures++
	pr.stop(now)
}

// burst sends one interval's worth of padding, or ends the probe when it
// has reached its target or run its time.
func (pr *prober) burst(now time.Time, estimate int) {
	if estimate >= pr.target {
		// Through: the next may follow at once, toward what the tiles
		// want (aim), so a widened link is found in a few doublings.
		pr.failures = 0
		pr.stop(now)
		pr.nextAllowed = now
		return
	}
	if now.After(pr.until) {
		// The estimate rises only to a share of the rate a probe delivered
		// cleanly, so it seldom reaches the target itself: one that rose
		// meanwhile went through, and ends the row of failures. Kept, the
		// failures of a link that has since widened would space every
		// probe of its climb back by up to eight cooldowns.
		if estimate > pr.from {
			pr.failures = 0
		}
		pr.stop(now)
		return
	}
	count := pr.owed()
	if count == 0 {
		return
	}
	sent, err := pr.carrier.sendPadding(count)
	pr.paid(sent)
	if sent > 0 {
		pr.lastPadding = now
	}
	if sent == 0 && !errors.Is(err, errPaddingLater) {
		pr.stop(now)
	}
}

// layerUp ends a probe when a video enters a new resolution: it has shown
// what it was for, and its padding on top of the new layer's first
// keyframe would fill a narrow link's queue and read as the upgrade
// failing. The next probe waits a cooldown too, for the new layer to
// settle. A higher frame rate brings no keyframe and holds nothing back:
// during a climb one came every 2 s and kept probes off for 10 s.
func (pr *prober) layerUp(now time.Time) {
	if pr.active() {
		pr.failures = 0
		pr.stop(now)
	}
	pr.nextAllowed = later(pr.nextAllowed, now.Add(probeCooldown))
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
