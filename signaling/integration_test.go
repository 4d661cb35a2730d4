package signaling_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// testTimeout bounds every integration test.
const testTimeout = 25 * time.Second

func TestThreeParticipantsExchangeMedia(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t)

	clients := srv.meeting(ctx, t, "three", 50, "alice", "bob", "carol")
	for _, c := range clients {
		checkIntact(t, c)
		if n := len(c.RemoteTracks()); n != 4 {
			t.Errorf("%s has %d remote tracks, want 4 (audio and video of two others)", c.ID(), n)
		}
		for _, r := range c.RemoteTracks() {
			if r.ID == "" {
				t.Errorf("%s: remote track on mid %s not named by trackIds", c.ID(), r.Mid)
			}
		}
		t.Log(describe(c, clients))
	}
	st := srv.sfu.Stats()
	t.Logf("server: %+v", st)
	if st.Rooms != 1 || st.Participants != 3 || st.Tracks != 6 {
		t.Errorf("server stats %+v, want 1 room, 3 participants, 6 tracks", st)
	}
}

func TestLeaveEndsRemoteTracks(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t)

	clients := srv.meeting(ctx, t, "leave", 20, "alice", "bob", "carol")

	leaver := clients[2]
	gone := leaver.ID()
	if err := leaver.Close(); err != nil {
		t.Errorf("closing the leaver: %v", err)
	}
	for _, c := range clients[:2] {
		err := c.WaitUntil(ctx, func() bool {
			if c.Received(protocol.TypeParticipantLeft) == 0 {
				return false
			}
			for _, p := range c.Participants() {
				if p.ID == gone {
					return false
				}
			}
			for _, tr := range c.Tracks() {
				if tr.ParticipantID == gone {
					return false
				}
			}
			for _, r := range c.RemoteTracksFrom(gone) {
				if !r.Ended() {
					return false
				}
			}
			return true
		})
		if err != nil {
			t.Fatalf("%s after %s left: %v; participant-left %d, track-unpublished %d, tracks %+v, %s",
				c.ID(), gone, err, c.Received(protocol.TypeParticipantLeft),
				c.Received(protocol.TypeTrackUnpublished), c.Tracks(), describe(c, clients))
		}
		if n := len(c.RemoteTracksFrom(gone)); n != 2 {
			t.Errorf("%s had %d tracks from %s, want 2", c.ID(), n, gone)
		}
	}
	// The two who stay still hear each other.
	for _, c := range clients[:2] {
		from := trackFrom(c, clients[0].ID(), "audio")
		if c == clients[0] {
			from = trackFrom(c, clients[1].ID(), "audio")
		}
		before := from.Stats().Distinct
		if err := c.WaitUntil(ctx, func() bool { return from.Stats().Distinct >= before+25 }); err != nil {
			t.Errorf("%s: media between those who stayed stopped: %v", c.ID(), err)
		}
		checkIntact(t, c)
	}
	if err := clients[0].WaitUntil(ctx, func() bool { return srv.sfu.Stats().Participants == 2 }); err != nil {
		t.Errorf("server still counts %d participants: %v", srv.sfu.Stats().Participants, err)
	}
}

func TestSimultaneousJoins(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t)

	const n = 5
	clients := make([]*bench.Client, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			c, err := srv.tryDial(ctx, t, "rush", "p"+string(rune('0'+i)))
			if err == nil {
				// A lighter stream: five publishers and twenty subscriptions
				// share two cores with the race detector.
				_, err = publish(ctx, c, bench.WithBitrate(150_000), bench.WithFrameRate(15))
			}
			clients[i], errs[i] = c, err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	for _, c := range clients {
		if err := c.WaitUntil(ctx, func() bool { return receivedFromAll(c, clients, 25) }); err != nil {
			t.Fatalf("waiting for media: %v; %s", err, describe(c, clients))
		}
	}
	collisions := 0
	for _, c := range clients {
		checkIntact(t, c)
		if got := len(c.Participants()); got != n-1 {
			t.Errorf("%s sees %d others, want %d", c.ID(), got, n-1)
		}
		collisions += c.Collisions()
		t.Log(describe(c, clients))
	}
	t.Logf("offer collisions resolved by the clients: %d; server: %+v", collisions, srv.sfu.Stats())
}

func TestNACKRecoversLoss(t *testing.T) { nackRecoversLoss(t) }

// nackRecoversLoss drops 7 % of a subscriber's video before its NACK
// generator and checks the SFU's retransmissions repair it (opts: the
// server's, integration_directsrtp_test.go runs it with direct SRTP). It
// returns the server's stats at the end.
func nackRecoversLoss(t *testing.T, opts ...sfu.Option) sfu.Stats {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t, opts...)

	pub := srv.dial(ctx, t, "lossy", "publisher")
	if _, err := publish(ctx, pub); err != nil {
		t.Fatalf("publish: %v", err)
	}
	loss := bench.NewLoss(0.07, 1)
	sub := srv.dial(ctx, t, "lossy", "subscriber", bench.WithLoss(loss))

	var video *bench.RemoteTrack
	err := sub.WaitUntil(ctx, func() bool {
		video = trackFrom(sub, pub.ID(), "video")
		return video != nil && video.Stats().Distinct >= 300 && loss.Dropped() >= 20
	})
	if err != nil {
		t.Fatalf("waiting for lossy video: %v; dropped %d; %s", err, loss.Dropped(), describe(sub, []*bench.Client{pub}))
	}
	// The loss up to now is repaired by NACK rounds (every 100 ms, a few
	// resends a packet): wait for no more than 0.5 % of it to stay lost,
	// with room for a loaded machine; what the resends did not repair by
	// then stays lost, and fails below.
	snap := video.Stats()
	span := snap.MaxSeq - snap.MinSeq + 1
	repairCtx, cancelRepair := context.WithTimeout(ctx, 10*time.Second)
	defer cancelRepair()
	_ = sub.WaitUntil(repairCtx, func() bool { return video.MissingBetween(snap.MinSeq, snap.MaxSeq)*200 <= span })
	missing := video.MissingBetween(snap.MinSeq, snap.MaxSeq)
	st := srv.sfu.Stats()
	t.Logf("dropped %d of %d video packets before the NACK generator; payloads %d..%d: %d missing; "+
		"duplicates %d; server NACKs received %d, packets retransmitted %d",
		loss.Dropped(), loss.Dropped()+loss.Passed(), snap.MinSeq, snap.MaxSeq, missing,
		video.Stats().Duplicates, st.NACKsReceived, st.PacketsRetransmitted)
	if st.NACKsReceived == 0 || st.PacketsRetransmitted == 0 {
		t.Errorf("server stats %+v: want NACKs received and packets retransmitted", st)
	}
	if missing*200 > span { // more than 0.5% stayed lost
		t.Errorf("%d of %d payloads never recovered (%d dropped)", missing, span, loss.Dropped())
	}
	checkIntact(t, sub)
	return srv.sfu.Stats()
}

func TestLateJoinerGetsVideoAtOnce(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	srv := newServer(t)

	pub := srv.dial(ctx, t, "late", "publisher")
	// No periodic keyframes: the late joiner's can only come from a
	// keyframe request, or from what the server kept.
	m, err := publish(ctx, pub, bench.WithKeyframeInterval(0))
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	early := srv.dial(ctx, t, "late", "early")
	err = early.WaitUntil(ctx, func() bool {
		r := trackFrom(early, pub.ID(), "video")
		return r != nil && r.Stats().Keyframes > 0
	})
	if err != nil {
		t.Fatalf("early subscriber: %v; %s; publisher video %+v; server %+v",
			err, describe(early, []*bench.Client{pub}), m.video.Stats(), srv.sfu.Stats())
	}
	// The late joiner must come mid-stream, where the SFU cannot start it
	// from its cache and asks for a keyframe: more packets since the
	// publisher's last keyframe than it starts a subscriber with (its
	// maxCatchUp, 64: 80 leaves a few frames' margin), and past the
	// keyframe request throttle (sfu.WithKeyframeInterval, 500 ms), which
	// let the early subscriber's request through before that keyframe
	// was sent.
	const pastCatchUp, throttle = 80, 500 * time.Millisecond
	atKey := m.video.Stats()
	err = pub.WaitUntil(ctx, func() bool {
		st := m.video.Stats()
		if st.Keyframes != atKey.Keyframes {
			atKey = st // another keyframe: count from it
		}
		return st.Packets-atKey.Packets > pastCatchUp && time.Since(st.LastKeyframe) > throttle
	})
	if err != nil {
		t.Fatalf("the publisher's stream did not run on: %v; %+v", err, m.video.Stats())
	}
	before := m.video.Stats()

	joinedAt := time.Now()
	late := srv.dial(ctx, t, "late", "late", bench.WithoutKeyframeRequests())
	var video *bench.RemoteTrack
	// Twice the 2 s goal, to tell a slow keyframe from none.
	lateCtx, lateCancel := context.WithTimeout(ctx, 4*time.Second)
	defer lateCancel()
	err = late.WaitUntil(lateCtx, func() bool {
		video = trackFrom(late, pub.ID(), "video")
		return video != nil && video.Stats().Keyframes > 0
	})
	if err != nil {
		var first time.Duration
		if video != nil {
			first = video.Stats().FirstPacket.Sub(joinedAt)
		}
		after := m.video.Stats()
		t.Fatalf("late joiner got no keyframe: %v; publisher sent a keyframe %v after the dial, "+
			"the late joiner's first video packet %v after the dial; %s; publisher video %+v (before the join %+v); server %+v",
			err, after.LastKeyframe.Sub(joinedAt), first, describe(late, []*bench.Client{pub}), after, before, srv.sfu.Stats())
	}
	s := video.Stats()
	after := m.video.Stats()
	t.Logf("late joiner: first video packet %v after dial, first keyframe %v; publisher PLIs %d→%d, FIRs %d→%d, keyframes %d→%d; server %+v",
		s.FirstPacket.Sub(joinedAt), s.FirstKeyframe.Sub(joinedAt), before.PLIs, after.PLIs,
		before.FIRs, after.FIRs, before.Keyframes, after.Keyframes, srv.sfu.Stats())
	if d := s.FirstKeyframe.Sub(joinedAt); d > 2*time.Second {
		t.Errorf("first keyframe %v after the late join, want within 2 s", d)
	}
	if after.PLIs+after.FIRs <= before.PLIs+before.FIRs {
		t.Errorf("no keyframe request reached the publisher for the late joiner")
	}
	if s.Width != 640 || s.Height != 360 {
		t.Errorf("keyframe says %dx%d, want 640x360", s.Width, s.Height)
	}
	checkIntact(t, late)
}
