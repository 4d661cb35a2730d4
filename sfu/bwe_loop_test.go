package sfu

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/internal/clock"
)

// bweRig runs a subscriber's allocation loop (runBWE) on a fake clock: one
// simulcast video of two layers, the low one forwarded, the high one
// measured at more than the estimate, so that only a probe could raise
// it. Each allocation interval appends a record to the subscriber's trace
// (WithBWETrace): the test waits for it, and reads the loop's decisions
// there, without sleeping.
type bweRig struct {
	clk   *clock.Fake
	r     *Receiver
	d     *DownTrack
	p     *Participant
	seq   uint16
	ts    uint32
	sent  int64 // ns: the send time of the estimator's last packet (only its differences matter)
	start time.Time
	high  int // bps the high layer's meter reads (highRate unless a test lowers it)
}

// highRate is what the high layer's meter reads: above twice the initial
// estimate, so a probe aims at twice the estimate and no probe reaches it
// in this rig (its padding is a few packets per interval).
const highRate = 8_000_000

func newBWERig(t *testing.T) *bweRig {
	clk := clock.NewFake(time.Now())
	r := newTestReceiverOn(clk, webrtc.RTPCodecTypeVideo, 2)
	d := bindTestDownTrack(r, 0x5151, &recordingWriter{})
	p := r.owner // the subscriber: the rig's one participant
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.bweWake = make(chan struct{}, 1)
	p.estimator = bwe.NewSendSide()
	p.keepTrace = true
	p.dtList.Store(&[]*DownTrack{d})
	g := &bweRig{clk: clk, r: r, d: d, p: p, start: clk.Now(), high: highRate}
	g.media() // layer 0's keyframe: the track forwards it from the start
	p.wg.Add(1)
	go p.runBWE()
	t.Cleanup(func() {
		p.cancel()
		p.wg.Wait()
	})
	// runBWE has reached its loop once its allocation ticker exists:
	// the clock may move.
	waitFor(t, "runBWE's ticker", func() bool { _, made := clk.Tickers(); return made == 1 })
	return g
}

// media sends an interval's worth of the publisher's video: a few
// one-packet frames of layer 0 (forwarded; a frame's end, so padding may
// follow), and the high layer's bytes on its meter (what the allocator
// reads of it; none of its packets is forwarded).
func (g *bweRig) media() {
	for range 4 {
		feed(g.r, []inPacket{{layer: 0, seq: g.seq, ts: g.ts, key: g.seq == 0, marker: true}})
		g.seq++
		g.ts += 3000
	}
	g.r.layer(1).meter.add(g.high/8*int(allocationInterval)/int(time.Second), false)
}

// feedback tells the estimator that n packets were sent and whether they
// arrived, evenly spaced: no queue building, only loss or none.
func (g *bweRig) feedback(n int, received bool) {
	results := make([]bwe.PacketResult, 0, n)
	for range n {
		g.sent += int64(time.Millisecond)
		seq := g.p.estimator.OnSent(g.sent, 1200)
		results = append(results, bwe.PacketResult{Seq: seq, Received: received, Arrival: time.Duration(g.sent)})
	}
	g.p.estimator.OnFeedback(slices.Values(results))
}

// interval lets one allocation interval pass, and returns its record.
func (g *bweRig) interval(t *testing.T) BWERecord {
	t.Helper()
	g.media()
	return g.await(t, func() { g.clk.Advance(allocationInterval) })
}

// await runs advance, which brings an allocation interval to its end, and
// returns that interval's record.
func (g *bweRig) await(t *testing.T, advance func()) BWERecord {
	t.Helper()
	n := len(g.p.trace.snapshot())
	advance()
	var rec BWERecord
	waitFor(t, "the allocation interval's record", func() bool {
		recs := g.p.trace.snapshot()
		if len(recs) > n {
			rec = recs[len(recs)-1]
		}
		return len(recs) > n
	})
	return rec
}

// probeBurst lets one probe burst interval pass while a probe runs, and
// waits for its padding.
func (g *bweRig) probeBurst(t *testing.T) {
	t.Helper()
	before := g.r.stats.PaddingPackets.Load()
	g.clk.Advance(probeBurstInterval)
	waitFor(t, "a probe burst's padding", func() bool { return g.r.stats.PaddingPackets.Load() > before })
}

// probes is how many probes the loop has started: each makes a ticker.
func (g *bweRig) probes() int {
	_, made := g.clk.Tickers()
	return made - 1 // the allocation ticker
}

// TestBWELoopProbeHolds drives runBWE through the holds on probing on a
// fake clock: no probe in the warm-up (probeWarmup), though the tile wants
// more than the estimate; one at the first interval after it, sending
// padding every burst interval; ended by the loss it meets, after which
// the next waits the cooldown doubled for the failure, and comes at the
// first interval after it. Ten seconds of the loop, in no time.
func TestBWELoopProbeHolds(t *testing.T) {
	g := newBWERig(t)
	warmup := int(probeWarmup / allocationInterval) // intervals: a probe may start at the next
	for i := 1; i <= warmup; i++ {
		rec := g.interval(t)
		if rec.Probing || g.probes() != 0 || g.r.stats.PaddingPackets.Load() != 0 {
			t.Fatalf("interval %d (%v): probing %v, %d probes, %d padding packets during the warm-up",
				i, rec.At.Sub(g.start), rec.Probing, g.probes(), g.r.stats.PaddingPackets.Load())
		}
		if i > 2 && (len(rec.Tracks) != 1 || rec.Tracks[0].Current != 0 || rec.Tracks[0].Target != 0) {
			t.Fatalf("interval %d: tracks %+v, want layer 0 forwarded and kept (layer 1 costs more than the estimate)", i, rec.Tracks)
		}
	}
	rec := g.interval(t)
	if !rec.Probing || g.probes() != 1 {
		t.Fatalf("at %v, after the warm-up: probing %v, %d probes; want a probe (the tile wants %d bit/s, the estimate is %d)",
			rec.At.Sub(g.start), rec.Probing, g.probes(), highRate, rec.Estimate)
	}
	started := rec.At
	// Padding goes out each burst interval, up to the next allocation.
	bursts := int(allocationInterval/probeBurstInterval) - 1
	for range bursts {
		g.probeBurst(t)
	}
	// The probe meets loss: the next interval ends it.
	g.feedback(20, false)
	rec = g.await(t, func() { g.clk.Advance(allocationInterval - time.Duration(bursts)*probeBurstInterval) })
	if rec.Probing || rec.Loss <= 0.10 || rec.At.Sub(started) != allocationInterval {
		t.Fatalf("at %v: probing %v with loss %.2f; want the probe ended", rec.At.Sub(started), rec.Probing, rec.Loss)
	}
	if running, _ := g.clk.Tickers(); running != 1 {
		t.Fatalf("%d tickers running after the probe ended, want the allocation's alone", running)
	}
	failed := rec.At
	padding := g.r.stats.PaddingPackets.Load()
	if padding < uint64(bursts) {
		t.Fatalf("%d padding packets in %d bursts", padding, bursts)
	}
	// The loss is over (the estimator's window of 100 packets all
	// arrived); the cooldown, doubled for one failure, holds the next.
	g.feedback(100, true)
	cooldown := probeCooldown << 1
	for rec.At.Sub(failed) < cooldown {
		rec = g.interval(t)
		if rec.Probing || g.probes() != 1 || g.r.stats.PaddingPackets.Load() != padding {
			t.Fatalf("%v after the failed probe: probing %v, %d probes, %d padding packets (%d before); want none within the %v cooldown",
				rec.At.Sub(failed), rec.Probing, g.probes(), g.r.stats.PaddingPackets.Load(), padding, cooldown)
		}
	}
	rec = g.interval(t)
	if !rec.Probing || g.probes() != 2 || rec.At.Sub(failed) != cooldown+allocationInterval {
		t.Fatalf("%v after the failed probe: probing %v, %d probes; want the second probe at %v",
			rec.At.Sub(failed), rec.Probing, g.probes(), cooldown+allocationInterval)
	}
	g.probeBurst(t)
}

// TestBWELoopKeyframeSignal: a video that enters a higher resolution marks
// the keyframeDrain after the decision as its first keyframe's
// (bwe.Signals.Keyframe: a queue then is that keyframe's, and lowers the
// estimate only to what the link delivered), and no interval after it.
func TestBWELoopKeyframeSignal(t *testing.T) {
	g := newBWERig(t)
	g.high = 1_000_000 // within the initial estimate, with room for its keyframe
	if rec := g.interval(t); rec.Keyframe || rec.Tracks[0].Target != 1 {
		t.Fatalf("first interval: keyframe %v, target layer %d; want no keyframe yet and layer 1 chosen", rec.Keyframe, rec.Tracks[0].Target)
	}
	decided := g.clk.Now()
	// Layer 1's keyframe: the track switches, and no later allocation
	// goes up again.
	feed(g.r, []inPacket{{layer: 1, seq: 0, ts: 0, key: true, marker: true}})
	for i := 2; i <= 8; i++ {
		rec := g.interval(t)
		want := g.clk.Now().Sub(decided) <= keyframeDrain
		if rec.Keyframe != want || rec.Tracks[0].Current != 1 {
			t.Fatalf("interval %d, %v after the upgrade: keyframe %v, want %v; forwarding layer %d, want 1",
				i, g.clk.Now().Sub(decided), rec.Keyframe, want, rec.Tracks[0].Current)
		}
	}
}
