package sfu

import (
	"time"

	"github.com/switchboard-rtc/switchboard/bwe"
)

// How the subscriber side shares its bandwidth estimate.
const (
	allocationInterval = 250 * time.Millisecond
	probeBurstInterval = 20 * time.Millisecond
	probeDuration      = 1500 * time.Millisecond
	probeCooldown      = 4 * time.Second
	probeWarmup        = 5 * time.Second
	paddingPacketBits  = (maxPadding + 12 + 8) * 8 // payload, RTP header, transport-cc extension
)

// runBWE allocates this participant's estimated downlink among the tracks
// it receives, every allocationInterval or when a tile's settings change;
// it probes with padding when bandwidth is all that keeps a track low, and
// tells the publisher which of its own layers anyone needs (dynacast).
func (p *Participant) runBWE() {
	defer p.wg.Done()
	// Until a layer has been measured (a few hundred milliseconds), the
	// allocator assumes the usual simulcast ladder.
	alloc := bwe.NewAllocator()
	tick := time.NewTicker(allocationInterval)
	defer tick.Stop()
	// No probing until the tracks' bitrates are measured and the
	// estimator has had feedback to work from.
	pr := prober{nextAllowed: time.Now().Add(probeWarmup)}
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-p.bweWake:
		case <-tick.C:
		case now := <-pr.ticks():
			pr.burst(now, p.estimate())
			continue
		}
		now := time.Now()
		p.allocate(now, alloc, &pr)
		p.updateDynacast(now)
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
	return p.estimator.GetTargetBitrate()
}

func (p *Participant) allocate(now time.Time, alloc *bwe.Allocator, pr *prober) {
	est := p.estimate()
	if last := p.lastEstimate; last == 0 || est > last*11/10 || est < last*9/10 {
		p.lastEstimate = est
		p.sfu.stats.estimateChanges.Add(1)
		p.estimateChanges.Add(1)
		p.log.Debug("estimate", "bps", est)
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
	dec := alloc.Allocate(now, est, tracks)
	for i, d := range dts {
		d.setTarget(dec.Layers[i])
	}
	if dec.ProbeTarget > est && sending > 0 && !pr.active() && now.After(pr.nextAllowed) {
		if carrier := paddingCarrier(dts); carrier != nil {
			pr.start(now, carrier, dec.ProbeTarget, sending)
			p.log.Debug("probing", "target", dec.ProbeTarget, "estimate", est, "sending", sending)
		}
	}
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
// climb above what the media alone sends (GCC learns only from what it
// sees delivered).
type prober struct {
	carrier     *DownTrack
	target      int
	paddingRate int
	until       time.Time
	nextAllowed time.Time
	ticker      *time.Ticker
}

func (pr *prober) active() bool { return pr.ticker != nil }

// ticks is nil (never ready) when not probing.
func (pr *prober) ticks() <-chan time.Time {
	if pr.ticker == nil {
		return nil
	}
	return pr.ticker.C
}

func (pr *prober) start(now time.Time, carrier *DownTrack, target, sending int) {
	pr.carrier, pr.target = carrier, target
	pr.paddingRate = max(target-sending, target/4)
	pr.until = now.Add(probeDuration)
	pr.ticker = time.NewTicker(probeBurstInterval)
}

func (pr *prober) stop(now time.Time) {
	if pr.ticker != nil {
		pr.ticker.Stop()
		pr.ticker = nil
	}
	pr.carrier = nil
	pr.nextAllowed = now.Add(probeCooldown)
}

// burst sends one interval's worth of padding, or ends the probe when it
// has reached its target or run its time.
func (pr *prober) burst(now time.Time, estimate int) {
	if estimate >= pr.target || now.After(pr.until) {
		pr.stop(now)
		return
	}
	count := pr.paddingRate * int(probeBurstInterval/time.Millisecond) / 1000 / paddingPacketBits
	if count < 1 {
		count = 1
	}
	if pr.carrier.sendPadding(count) == 0 {
		pr.stop(now)
	}
}
