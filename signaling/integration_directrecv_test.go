package signaling_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

	"github.com/switchboard-rtc/switchboard/bench"
	"github.com/switchboard-rtc/switchboard/sfu"
)

// publisherLink is a publisher's side of its link to the server, as an
// interceptor nearest the network: it drops the first sending of every
// dropEvery-th packet of each video stream (0: none; a retransmission of
// it passes, as on a lossy link that loses each packet once), counts the
// packets sent with a transport-wide sequence number, and the RTCP the
// server sends the publisher: NACKs, and transport-wide CC feedback with
// the packets it reports received.
type publisherLink struct {
	dropEvery uint16
	dropped   atomic.Uint64
	twccSent  atomic.Uint64 // packets sent with a transport-wide number
	nacks     atomic.Uint64 // sequence numbers asked for
	twccRecv  atomic.Uint64 // packets reported received by feedback
}

func (l *publisherLink) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &publisherLinkInterceptor{link: l}, nil
}

type publisherLinkInterceptor struct {
	interceptor.NoOp
	link *publisherLink
}

func (i *publisherLinkInterceptor) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var twccID uint8
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI {
			twccID = uint8(e.ID)
		}
	}
	lossy := i.link.dropEvery > 0 && strings.HasPrefix(info.MimeType, "video/") && !strings.HasSuffix(info.MimeType, "/rtx")
	var mu sync.Mutex
	sent := map[uint16]bool{} // dropped once already
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if twccID != 0 && h.GetExtension(twccID) != nil {
			i.link.twccSent.Add(1)
		}
		mu.Lock()
		drop := lossy && h.SequenceNumber%i.link.dropEvery == 0 && !sent[h.SequenceNumber]
		if drop {
			sent[h.SequenceNumber] = true
		}
		mu.Unlock()
		if drop {
			i.link.dropped.Add(1)
			return h.MarshalSize() + len(payload), nil
		}
		return w.Write(h, payload, a)
	})
}

func (i *publisherLinkInterceptor) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attrs, err := r.Read(b, a)
		if err != nil {
			return n, attrs, err
		}
		pkts, perr := rtcp.Unmarshal(b[:n])
		if perr != nil {
			return n, attrs, err
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.TransportLayerNack:
				for _, pair := range p.Nacks {
					i.link.nacks.Add(uint64(len(pair.PacketList())))
				}
			case *rtcp.TransportLayerCC:
				i.link.twccRecv.Add(uint64(len(p.RecvDeltas)))
			}
		}
		return n, attrs, err
	})
}

// TestDirectSRTPReceiveNACK: a publisher whose link loses one video packet
// in 15 (each once): the SFU's NACK generator, driven by the direct path,
// asks the publisher for them and its retransmissions fill the gaps, so
// the subscriber misses no payload of the window it had seen.
func TestDirectSRTPReceiveNACK(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, sfu.WithUDPMux(0), sfu.WithDirectSRTP(true))
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	link := &publisherLink{dropEvery: 15}
	pub := srv.dial(ctx, t, "direct-recv-nack", "pub", bench.WithInterceptor(link))
	sub := srv.dial(ctx, t, "direct-recv-nack", "sub")
	if _, err := publish(ctx, pub); err != nil {
		t.Fatal(err)
	}
	var video *bench.RemoteTrack
	if err := sub.WaitUntil(ctx, func() bool {
		video = trackFrom(sub, pub.ID(), "video")
		return video != nil && video.Stats().Distinct >= 300 && link.dropped.Load() >= 20
	}); err != nil {
		t.Fatalf("waiting for video: %v; dropped %d; %s", err, link.dropped.Load(), describe(sub, []*bench.Client{pub}))
	}
	snap := video.Stats()
	// Every gap of the window is repaired within 5 s: fifty NACK rounds
	// (one usually does; the margin is for a loaded CI machine).
	repairCtx, repaired := context.WithTimeout(ctx, 5*time.Second)
	defer repaired()
	_ = sub.WaitUntil(repairCtx, func() bool { return video.MissingBetween(snap.MinSeq, snap.MaxSeq) == 0 })
	missing := video.MissingBetween(snap.MinSeq, snap.MaxSeq)
	st := srv.sfu.Stats()
	t.Logf("dropped %d, asked for %d; %d of %d payloads missing; %d of %d packets in received directly",
		link.dropped.Load(), link.nacks.Load(), missing, snap.MaxSeq-snap.MinSeq+1, st.DirectSRTPReceived, st.PacketsIn)
	if link.nacks.Load() == 0 {
		t.Fatal("the publisher got no NACK")
	}
	if missing > 0 {
		t.Errorf("%d payloads never recovered", missing)
	}
	// The generator learns of each repair, which the bench publisher
	// resends on RTX (directRecv.repaired): a loss is asked for once, or
	// twice where the repair took longer than the generator's 100 ms
	// interval on a loaded machine; not the three times of a generator
	// that never learns of it (maxNACKsPerPacket), and the publisher's
	// last dropped packets perhaps not yet.
	if asks, most := link.nacks.Load(), link.dropped.Load()*3/2+2; asks > most {
		t.Errorf("the publisher was asked for %d packets, %d lost: more than %d asks", asks, link.dropped.Load(), most)
	}
	if st.DirectSRTPReceived*10 < st.PacketsIn*8 {
		t.Errorf("%d of %d packets in received directly: want 80 %%", st.DirectSRTPReceived, st.PacketsIn)
	}
	checkIntact(t, sub)
}

// TestDirectSRTPReceiveICERestart: the publisher restarts ICE onto new
// ports; the direct receive path follows its new selected pair, so its
// packets keep being received directly and the subscriber keeps decoding.
func TestDirectSRTPReceiveICERestart(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, sfu.WithUDPMux(0), sfu.WithDirectSRTP(true))
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second) // generous: loaded 2-core CI
	defer cancel()
	pub := srv.dial(ctx, t, "direct-recv-restart", "pub")
	sub := srv.dial(ctx, t, "direct-recv-restart", "sub")
	if _, err := publish(ctx, pub); err != nil {
		t.Fatal(err)
	}
	const want = 100 // packets of each kind
	if err := sub.WaitUntil(ctx, func() bool { return receivedFromAll(sub, []*bench.Client{pub}, want) }); err != nil {
		t.Fatalf("%v: %s", err, describe(sub, []*bench.Client{pub}))
	}
	before := nominatedPair(ctx, t, pub)
	if srv.sfu.Stats().DirectSRTPReceived == 0 {
		t.Fatal("nothing received directly before the restart: the test would not test what it says")
	}
	if err := pub.RestartICE(ctx); err != nil {
		t.Fatalf("ICE restart: %v", err)
	}
	waitFor(ctx, t, "the publisher's new pair", func() bool {
		p, err := selectedPair(pub)
		return err == nil && p != nil && p.Local.Port != before.Local.Port
	})
	// Counted from the new pair on: what the old one carried is done.
	directBefore := srv.sfu.Stats().DirectSRTPReceived
	audio, video := distinct(sub, pub, "audio"), distinct(sub, pub, "video")
	if err := sub.WaitUntil(ctx, func() bool {
		return distinct(sub, pub, "audio") >= audio+want && distinct(sub, pub, "video") >= video+want
	}); err != nil {
		t.Fatalf("no media after the publisher's restart: %v; %s", err, describe(sub, []*bench.Client{pub}))
	}
	got := srv.sfu.Stats().DirectSRTPReceived - directBefore
	t.Logf("%d packets received directly after the restart", got)
	// The subscriber's 2*want packets came from the new pair: most went
	// direct (margin for those Pion read before the pair was selected).
	if got < want {
		t.Errorf("%d packets received directly after the restart, want at least %d", got, want)
	}
	checkIntact(t, sub)
}
