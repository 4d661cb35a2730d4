package signaling_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// TestDirectSRTP runs a meeting with the SFU encrypting forwarded RTP
// itself (sfu.WithDirectSRTP) on the shared batched UDP port: Pion
// subscribers, whose SRTP sessions hold the keys their own DTLS handshakes
// made, decrypt and decode every track intact, and the SFU counts the
// packets it sent past Pion's path: at least those of the check's window.
// The publisher's packets are decrypted in the shared socket's read loop
// (all but the first few, which Pion reads while the layer is made), and
// the publisher gets transport-wide CC feedback reporting the packets the
// direct path received: its browser's uplink estimate depends on it.
func TestDirectSRTP(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, sfu.WithUDPMux(0), sfu.WithDirectSRTP(true))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // generous: loaded 2-core CI
	defer cancel()
	// The publisher numbers its packets (transport-wide CC), as browsers
	// do and Pion's defaults do not; link, nearest the network, counts
	// them and the feedback (integration_directrecv_test.go).
	link := &publisherLink{}
	numbering, err := twcc.NewHeaderExtensionInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	pub := srv.dial(ctx, t, "direct", "pub", bench.WithInterceptor(link), bench.WithInterceptor(numbering))
	all := []*bench.Client{pub}
	for _, name := range []string{"sub0", "sub1"} {
		all = append(all, srv.dial(ctx, t, "direct", name))
	}
	if _, err := publish(ctx, pub); err != nil {
		t.Fatal(err)
	}
	const want = 200 // packets of each kind per subscriber
	for _, sub := range all[1:] {
		if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, all[:1], want) }); err != nil {
			t.Fatalf("%v: %s", err, describe(sub, all[:1]))
		}
		checkIntact(t, sub)
	}
	st := srv.sfu.Stats()
	t.Logf("%d of %d forwarded packets sent directly", st.DirectSRTPPackets, st.PacketsOut)
	// Two subscribers, audio and video each: 4*want at least went direct;
	// the few before DTLS finished may have taken Pion's path.
	if st.DirectSRTPPackets < 4*want {
		t.Fatalf("%d packets sent directly, want at least %d (%d forwarded)", st.DirectSRTPPackets, 4*want, st.PacketsOut)
	}
	t.Logf("%d of %d packets in received directly", st.DirectSRTPReceived, st.PacketsIn)
	// Pion reads a stream until its layer is bound: a few dozen packets
	// at the start, under 20 % of these (margin: a slow CI machine).
	if st.DirectSRTPReceived < 2*want || st.DirectSRTPReceived*10 < st.PacketsIn*8 {
		t.Fatalf("%d of %d packets in received directly, want at least %d and 80 %%", st.DirectSRTPReceived, st.PacketsIn, 2*want)
	}
	// Feedback reports what arrived with a transport-wide number, direct
	// or not: 80 % of what was numbered so far must be reported (Pion
	// read no more than 20 %: without the direct packets' arrivals, the
	// feedback would fall far short).
	sent := link.twccSent.Load()
	if err := pub.WaitUntil(ctx, func() bool { return link.twccRecv.Load()*10 >= sent*8 }); err != nil {
		t.Fatalf("feedback reports %d of the %d packets numbered: %v", link.twccRecv.Load(), sent, err)
	}
	t.Logf("feedback reports %d packets received; %d had been numbered", link.twccRecv.Load(), sent)
	// The subscribers' receiver reports (and the publisher's sender
	// reports) are read in the shared socket's read loop too.
	if st := srv.sfu.Stats(); st.DirectSRTCPReceived == 0 {
		t.Fatal("no SRTCP received directly")
	}
}

// TestDirectSRTPRetransmissions: the SFU's NACK retransmissions go out on
// the direct path too (a stream never returns to Pion's once direct, so
// every repair after the start was encrypted by the SFU) and decrypt.
func TestDirectSRTPRetransmissions(t *testing.T) {
	st := nackRecoversLoss(t, sfu.WithUDPMux(0), sfu.WithDirectSRTP(true))
	if st.PacketsRetransmitted == 0 || st.DirectSRTPPackets < st.PacketsOut/2 {
		t.Fatalf("retransmitted %d, direct %d of %d forwarded: the repairs did not go direct", st.PacketsRetransmitted, st.DirectSRTPPackets, st.PacketsOut)
	}
	// The subscriber's NACKs and reports come as SRTCP on the shared
	// socket: read there, past Pion's receive goroutines.
	t.Logf("%d SRTCP packets received directly, %d NACKs", st.DirectSRTCPReceived, st.NACKsReceived)
	if st.DirectSRTCPReceived == 0 {
		t.Fatalf("no SRTCP received directly (%d NACKs received)", st.NACKsReceived)
	}
}

// TestDirectSRTPLayerSwitch: a simulcast subscriber switches from the
// lowest layer to the highest and back with direct SRTP, and each layer
// decodes (its width) and keeps playing.
func TestDirectSRTPLayerSwitch(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	// Layers by tile size alone, as TestSimulcastLayerFollowsTileSize.
	srv := newServer(t, sfu.WithUDPMux(0), sfu.WithDirectSRTP(true), sfu.WithBandwidthEstimation(false))
	pub := srv.dial(ctx, t, "direct-simulcast", "publisher")
	if _, err := publishSimulcast(ctx, pub); err != nil {
		t.Fatal(err)
	}
	sub := srv.dial(ctx, t, "direct-simulcast", "sub")
	if err := sub.WaitUntil(ctx, func() bool { return trackFrom(sub, pub.ID(), "video") != nil }); err != nil {
		t.Fatalf("no video track: %v", err)
	}
	for _, step := range []struct{ width, height, want int }{{320, 180, 320}, {1280, 720, 1280}, {320, 180, 320}} {
		if err := sub.SetTrackSettings(trackFrom(sub, pub.ID(), "video").ID, step.width, step.height, false); err != nil {
			t.Fatal(err)
		}
		if err := sub.WaitUntil(ctx, func() bool { w, _ := videoWidth(sub, pub.ID()); return w == step.want }); err != nil {
			w, _ := videoWidth(sub, pub.ID())
			t.Fatalf("tile %dx%d: width %d, want %d (server %+v)", step.width, step.height, w, step.want, srv.sfu.Stats())
		}
		_, before := videoWidth(sub, pub.ID())
		if err := sub.WaitUntil(ctx, func() bool { _, n := videoWidth(sub, pub.ID()); return n > before+20 }); err != nil {
			t.Fatalf("width %d: video stopped after the switch", step.want)
		}
	}
	checkIntact(t, sub)
	// The three layers were received directly too, once bound (Pion reads
	// each one's first packets, with its rid).
	if st := srv.sfu.Stats(); st.LayerSwitches < 2 || st.DirectSRTPPackets < st.PacketsOut/2 || st.DirectSRTPReceived < st.PacketsIn/2 {
		t.Fatalf("layer switches %d, direct %d of %d forwarded, %d of %d received", st.LayerSwitches,
			st.DirectSRTPPackets, st.PacketsOut, st.DirectSRTPReceived, st.PacketsIn)
	}
}

// TestDirectSRTPICERestart: with the SFU encrypting forwarded RTP itself, a
// subscriber restarts ICE (RFC 8445 §9: a new ufrag and password, and
// candidates gathered anew on new ports); the server's writes follow the
// new selected pair, so media keeps arriving, sent directly and intact, at
// the subscriber's new address.
func TestDirectSRTPICERestart(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, sfu.WithUDPMux(0), sfu.WithDirectSRTP(true))
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second) // generous: loaded 2-core CI
	defer cancel()
	pub := srv.dial(ctx, t, "direct-restart", "pub")
	sub := srv.dial(ctx, t, "direct-restart", "sub")
	if _, err := publish(ctx, pub); err != nil {
		t.Fatal(err)
	}
	const want = 100 // packets of each kind
	if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, []*bench.Client{pub}, want) }); err != nil {
		t.Fatalf("%v: %s", err, describe(sub, []*bench.Client{pub}))
	}
	before := nominatedPair(ctx, t, sub)
	directBefore := srv.sfu.Stats().DirectSRTPPackets
	if directBefore == 0 {
		t.Fatal("nothing sent directly before the restart: the test would not test what it says")
	}
	if err := sub.RestartICE(ctx); err != nil {
		t.Fatalf("ICE restart: %v", err)
	}
	// The restart is done when the subscriber's pair is a new one: its
	// gathering opened new sockets.
	var after *webrtc.ICECandidatePair
	err := sub.WaitUntil(ctx, func() bool {
		p, err := selectedPair(sub)
		if err == nil && p != nil && p.Local.Port != before.Local.Port {
			after = p
		}
		return after != nil
	})
	if err != nil {
		t.Fatalf("no new pair after the ICE restart (still %s): %v", before, err)
	}
	audio, video := distinct(sub, pub, "audio"), distinct(sub, pub, "video")
	if err := sub.WaitUntil(ctx, func() bool {
		return distinct(sub, pub, "audio") >= audio+want && distinct(sub, pub, "video") >= video+want
	}); err != nil {
		t.Fatalf("no media on the new pair %s: %v; %s", after, err, describe(sub, []*bench.Client{pub}))
	}
	directAfter := srv.sfu.Stats().DirectSRTPPackets
	t.Logf("pair %s became %s; %d packets sent directly before, %d after", before, after, directBefore, directAfter-directBefore)
	// Every packet of the new pair's window went direct: a stream never
	// goes back to Pion's path once direct.
	if directAfter-directBefore < 2*want {
		t.Errorf("%d packets sent directly after the restart, want at least %d", directAfter-directBefore, 2*want)
	}
	checkIntact(t, sub)
}

// errUDPCut is what the cut network answers a UDP socket's opening with.
var errUDPCut = errors.New("test: UDP cut")

// cuttableUDPNet is a client's network whose UDP can be cut, as on a
// network that blocks it: while cut, no UDP socket opens, so an ICE restart
// gathers no UDP candidate (and closes the ones of before). TCP is the
// system's throughout: Pion's active ICE-TCP candidates dial with a
// net.Dialer of their own.
type cuttableUDPNet struct {
	transport.Net
	cut atomic.Bool
}

func (n *cuttableUDPNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	if n.cut.Load() {
		return nil, errUDPCut
	}
	return n.Net.ListenUDP(network, laddr)
}

// TestDirectSRTPFollowsPairToTCP: with direct SRTP, one end of a meeting
// has its UDP cut mid-meeting and restarts ICE, as the client library does
// when its network changes; its only way back to the server is then ICE-TCP
// (RFC 6544) on the shared TCP port. UDP then comes back and a second
// restart selects a UDP pair again. Its streams had gone direct on UDP,
// and the direct path follows each move:
//   - a subscriber: the server's writes go to the new selected pair, framed
//     by RFC 4571 on the connection Pion's ICE uses, then back onto the
//     batched socket (the streams cannot go back to Pion's SRTP path);
//   - a publisher: the direct receive path takes its SRTP on the ICE-TCP
//     connection too (directsrtp_tcp.go), then on UDP again, so one SRTP
//     context with its rollover counter (RFC 3711 §3.3.1) decrypts every
//     packet: Pion's, which saw only each stream's first packets, would
//     guess the counter wrong after 32 768 packets.
//
// Media keeps arriving intact, counted by the direct path on each pair,
// and no packet of a direct stream is paused.
func TestDirectSRTPFollowsPairToTCP(t *testing.T) {
	tests := []struct {
		name      string
		publisher bool // the publisher moves; else the subscriber
		direct    func(sfu.Stats) uint64
	}{
		{"subscriber", false, func(st sfu.Stats) uint64 { return st.DirectSRTPPackets }},
		{"publisher", true, func(st sfu.Stats) uint64 { return st.DirectSRTPReceived }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			srv := newServer(t, sfu.WithUDPMux(0), sfu.WithICETCP(0), sfu.WithDirectSRTP(true))
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second) // generous: loaded 2-core CI
			defer cancel()
			std, err := stdnet.NewNet()
			if err != nil {
				t.Fatal(err)
			}
			cut := &cuttableUDPNet{Net: std}
			moving := []bench.Option{bench.WithICETCP(), bench.WithNet(cut)}
			var pubOpts, subOpts []bench.Option
			if tt.publisher {
				pubOpts = moving
			} else {
				subOpts = moving
			}
			pub := srv.dial(ctx, t, "direct-tcp", "pub", pubOpts...)
			sub := srv.dial(ctx, t, "direct-tcp", "sub", subOpts...)
			mover := sub
			if tt.publisher {
				mover = pub
			}
			if _, err := publish(ctx, pub); err != nil {
				t.Fatal(err)
			}
			if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, []*bench.Client{pub}, 100) }); err != nil {
				t.Fatalf("%v: %s", err, describe(sub, []*bench.Client{pub}))
			}
			if p := nominatedPair(ctx, t, mover); p.Local.Protocol != webrtc.ICEProtocolUDP {
				t.Fatalf("first pair %s: want UDP (its priority is above ICE-TCP's), or the test tests no move", p)
			}
			direct := func() uint64 { return tt.direct(srv.sfu.Stats()) }
			if direct() == 0 {
				t.Fatal("nothing direct on UDP: the test would not test what it says")
			}
			cut.cut.Store(true)
			followPair(ctx, t, srv, mover, sub, pub, "UDP cut", webrtc.ICEProtocolTCP, direct)
			cut.cut.Store(false)
			followPair(ctx, t, srv, mover, sub, pub, "UDP back", webrtc.ICEProtocolUDP, direct)
			checkIntact(t, sub)
			// Every pair selected was on a shared socket: no direct stream paused.
			if st := srv.sfu.Stats(); st.DirectSRTPPaused != 0 || st.DirectSRTPDropped != 0 {
				t.Errorf("%d packets of direct streams paused, %d dropped", st.DirectSRTPPaused, st.DirectSRTPDropped)
			}
		})
	}
}

// followPair restarts mover's ICE, waits for its selected pair to be on
// proto, then for sub to receive want more packets of each of pub's
// tracks, and checks that direct (a counter of the server's direct path)
// counted at least as many packets meanwhile: the direct path followed
// the pair.
func followPair(ctx context.Context, t *testing.T, srv *testServer, mover, sub, pub *bench.Client, step string, proto webrtc.ICEProtocol, direct func() uint64) {
	t.Helper()
	const want = 100 // packets of each kind
	before := direct()
	if err := mover.RestartICE(ctx); err != nil {
		t.Fatalf("%s: ICE restart: %v", step, err)
	}
	var pair *webrtc.ICECandidatePair
	if err := mover.WaitUntil(ctx, func() bool {
		p, err := selectedPair(mover)
		if err == nil && p != nil && p.Local.Protocol == proto {
			pair = p
		}
		return pair != nil
	}); err != nil {
		p, _ := selectedPair(mover)
		t.Fatalf("%s: no %s pair after the ICE restart (%v): %v", step, proto, p, err)
	}
	audio, video := distinct(sub, pub, "audio"), distinct(sub, pub, "video")
	if err := sub.WaitUntil(ctx, func() bool {
		return distinct(sub, pub, "audio") >= audio+want && distinct(sub, pub, "video") >= video+want
	}); err != nil {
		t.Fatalf("%s: no media on the pair %s: %v; %s (server %+v)", step, pair, err, describe(sub, []*bench.Client{pub}), srv.sfu.Stats())
	}
	n := direct() - before
	t.Logf("%s: %s's pair %s; %d packets direct since the restart", step, mover.ID(), pair, n)
	if n < 2*want {
		t.Fatalf("%s: %d packets direct since the restart, want at least %d", step, n, 2*want)
	}
}
