package sfu

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"

	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
)

// srtcp is a compound RTCP packet as the rig's remote end encrypts it.
func (rig *directRecvRig) srtcp(tb testing.TB, pkts ...rtcp.Packet) []byte {
	tb.Helper()
	raw, err := rtcp.Marshal(pkts)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := rig.enc.EncryptRTCP(nil, raw, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// forwardThree has the rig's layer forward three packets to its down track
// and returns the sequence numbers the subscriber got.
func (rig *directRecvRig) forwardThree(tb testing.TB) []uint16 {
	tb.Helper()
	rig.down.mu.Lock()
	rig.down.keep = true
	rig.down.mu.Unlock()
	for range 3 {
		if !rig.demux.Take(rig.packet(tb), rig.from) {
			tb.Fatal("a bound stream's packet went to Pion")
		}
	}
	waitFor(tb, "three packets forwarded", func() bool { return rig.forwarded() == 3 })
	rig.down.mu.Lock()
	defer rig.down.mu.Unlock()
	var seqs []uint16
	for _, h := range rig.down.headers {
		seqs = append(seqs, h.SequenceNumber)
	}
	return seqs
}

const subscriberSSRC = 0x5555

// TestDirectReceiveRTCP: the shared socket's tap takes the association's
// SRTCP, runs the chain on it and hands each packet to what it is
// addressed to, in the read loop itself: a subscriber's NACK is answered,
// its PLI counted, its receiver report read, its transport-wide feedback
// reaches the estimator; a publisher's sender report shows it is there.
func TestDirectReceiveRTCP(t *testing.T) {
	rig := newDirectRecvRig(t)
	seqs := rig.forwardThree(t)
	st := rig.layer.r.stats
	before := rig.forwarded()

	compound := rig.srtcp(t,
		&rtcp.ReceiverReport{SSRC: subscriberSSRC, Reports: []rtcp.ReceptionReport{{SSRC: 1, FractionLost: 64}}},
		&rtcp.TransportLayerNack{SenderSSRC: subscriberSSRC, MediaSSRC: 1, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs[1:2])},
		&rtcp.PictureLossIndication{SenderSSRC: subscriberSSRC, MediaSSRC: 1},
	)
	if !rig.demux.Take(compound, rig.from) {
		t.Fatal("the association's SRTCP went to Pion")
	}
	// Handled before Take returned: no hand-off.
	if got := rig.forwarded() - before; got != 1 || st.PacketsRetransmitted.Load() != 1 {
		t.Errorf("NACK: %d packets written, %d retransmitted; want 1 and 1", got, st.PacketsRetransmitted.Load())
	}
	rig.down.mu.Lock()
	resent := rig.down.headers[len(rig.down.headers)-1].SequenceNumber
	rig.down.mu.Unlock()
	if resent != seqs[1] {
		t.Errorf("resent %d, want %d", resent, seqs[1])
	}
	if st.PLIsReceived.Load() != 1 || st.NACKsReceived.Load() != 1 {
		t.Errorf("PLIs %d, NACKs %d received; want 1 and 1", st.PLIsReceived.Load(), st.NACKsReceived.Load())
	}
	if got := rig.dt.down.fractionLost.Load(); got != 64 {
		t.Errorf("fraction lost %d from the receiver report, want 64", got)
	}

	// Transport-wide feedback: read past by the chain, into the estimator.
	cc := &rtcp.TransportLayerCC{
		SenderSSRC: subscriberSSRC, MediaSSRC: 1, BaseSequenceNumber: 1, PacketStatusCount: 1,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 1}},
		RecvDeltas:   []*rtcp.RecvDelta{{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 250}},
	}
	// pion/rtcp marshals the header this packet type is given.
	cc.Header = rtcp.Header{Count: rtcp.FormatTCC, Type: rtcp.TypeTransportSpecificFeedback, Length: uint16(cc.MarshalSize()/4 - 1)}
	feedback := rig.srtcp(t, cc)
	if rig.est.Load().LastHeard() != 0 {
		t.Fatal("the estimator heard feedback before any was sent")
	}
	if !rig.demux.Take(feedback, rig.from) || rig.est.Load().LastHeard() == 0 {
		t.Error("transport-wide feedback did not reach the estimator")
	}

	// The publisher's sender report: its layer is there.
	rig.layer.up.lastAt.Store(0)
	if !rig.demux.Take(rig.srtcp(t, &rtcp.SenderReport{SSRC: 0xdead}), rig.from) || rig.layer.up.lastAt.Load() == 0 {
		t.Error("the publisher's sender report did not reach its layer")
	}

	// Addressed to no SSRC the SFU has: taken and dropped, as Pion's
	// session leaves it to a stream nobody reads.
	stray := rig.srtcp(t, &rtcp.TransportLayerNack{SenderSSRC: subscriberSSRC, MediaSSRC: 0x9999, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs[:1])})
	if !rig.demux.Take(stray, rig.from) || st.NACKsReceived.Load() != 1 {
		t.Error("a NACK for an unknown SSRC was not dropped")
	}
	if got := rig.rtcpCount.Load(); got != 4 {
		t.Errorf("%d SRTCP packets counted as direct, want 4", got)
	}
}

// TestDirectReceiveRTCPDecryption: SRTCP the direct context cannot decrypt
// is left to Pion until one packet decrypts (three failures first and it
// is Pion's for good); once direct, a failure (a replay, a forgery) is
// dropped: Pion's context, which has not seen the packets, would take a
// replay.
func TestDirectReceiveRTCPDecryption(t *testing.T) {
	tests := []struct {
		name string
		seq  string // g: a new packet, b: a corrupt one, r: the last good one again
		want []bool // taken
	}{
		{"never decrypted: Pion's", "bbbg", []bool{false, false, false, false}},
		{"a failure before the first success: Pion's", "bgb", []bool{false, true, true}},
		{"direct: replays and forgeries dropped", "grbg", []bool{true, true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newDirectRecvRig(t)
			var last []byte
			for i, c := range tt.seq {
				p := rig.srtcp(t, &rtcp.PictureLossIndication{SenderSSRC: subscriberSSRC, MediaSSRC: 1})
				switch c {
				case 'g':
					last = p
				case 'b':
					p[len(p)-1] ^= 0xff // the authentication tag
				case 'r':
					p = last
				}
				if got := rig.demux.Take(p, rig.from); got != tt.want[i] {
					t.Fatalf("packet %d (%c): taken %v, want %v", i, c, got, tt.want[i])
				}
			}
			goods := uint64(0)
			for i, c := range tt.seq {
				if c == 'g' && tt.want[i] {
					goods++
				}
			}
			if got := rig.layer.r.stats.PLIsReceived.Load(); got != goods {
				t.Fatalf("%d PLIs handled, want %d (each good packet once)", got, goods)
			}
		})
	}
}

// TestHandleRTCPTwoReaders: the track's RTCP reader (Pion's path) and the
// shared socket's read loop (direct SRTCP) may hand a DownTrack NACKs at
// the same moment, while ICE moves; they take turns (the race detector
// watches d.rtx).
func TestHandleRTCPTwoReaders(t *testing.T) {
	rig := newDirectRecvRig(t)
	seqs := rig.forwardThree(t)
	const each = 1000
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				nack := &rtcp.TransportLayerNack{MediaSSRC: 1, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs[(g+i)%3 : (g+i)%3+1])}
				rig.dt.handleRTCP([]rtcp.Packet{nack}, time.Now().UnixNano())
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := rig.layer.r.stats.NACKsReceived.Load(); got != 2*each {
		t.Fatalf("%d NACKs handled, want %d", got, 2*each)
	}
}

// stuckPublisher's WriteRTCP blocks until released, as a write to a
// publisher on ICE-TCP whose send buffer is full.
type stuckPublisher struct {
	entered, release chan struct{}
}

func (p stuckPublisher) WriteRTCP([]rtcp.Packet) error {
	p.entered <- struct{}{}
	<-p.release
	return nil
}

// TestDirectRTCPKeyframeRequestDoesNotWait: a subscriber's PLI read in the
// shared socket's read loop asks the publisher for a keyframe without
// waiting for the write: the loop reads every participant's packets.
func TestDirectRTCPKeyframeRequestDoesNotWait(t *testing.T) {
	rig := newDirectRecvRig(t)
	pub := stuckPublisher{entered: make(chan struct{}), release: make(chan struct{})}
	rig.layer.publisher, rig.layer.throttle = pub, keyframe.NewThrottle(0)
	pli := rig.srtcp(t, &rtcp.PictureLossIndication{SenderSSRC: subscriberSSRC, MediaSSRC: 1})
	released := false
	t.Cleanup(func() {
		if !released {
			close(pub.release)
		}
	})
	taken := make(chan bool, 1)
	go func() { taken <- rig.demux.Take(pli, rig.from) }()
	<-pub.entered // the request is being written...
	select {
	case ok := <-taken: // ...and the read loop has gone on
		if !ok {
			t.Fatal("the PLI went to Pion")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read loop waited for the publisher's write")
	}
	released = true
	close(pub.release)
	waitFor(t, "the keyframe request counted", func() bool {
		return rig.layer.r.stats.KeyframeRequestsSent.Load() == 1
	})
}
