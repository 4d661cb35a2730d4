package sfu

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/bwe"
	"github.com/switchboard-rtc/switchboard/internal/clock"
	"github.com/switchboard-rtc/switchboard/sfu/keyframe"
	"github.com/switchboard-rtc/switchboard/sfu/resend"
)

// pliRecorder stands for a layer's publisher: it counts the keyframe
// requests (PLI) it is sent.
type pliRecorder struct {
	mu sync.Mutex
	n  int
}

func (p *pliRecorder) WriteRTCP(pkts []rtcp.Packet) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pkt := range pkts {
		if _, ok := pkt.(*rtcp.PictureLossIndication); ok {
			p.n++
		}
	}
	return nil
}

func (p *pliRecorder) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// askingPublishers gives each layer of r a publisher that records its
// keyframe requests, with no throttle.
func askingPublishers(r *Receiver) []*pliRecorder {
	var out []*pliRecorder
	for i := range maxLayers {
		l := r.layer(i)
		if l == nil {
			break
		}
		rec := &pliRecorder{}
		l.publisher, l.throttle = rec, keyframe.NewThrottle(0)
		out = append(out, rec)
	}
	return out
}

// lossSetup is a down track of a receiver with layers, each layer's
// keyframe requests recorded, forwarding layer 0 at temporal step tid.
func lossSetup(layers, tid int) (*Receiver, *DownTrack, *recordingWriter, []*pliRecorder) {
	return lossSetupOn(clock.Real{}, layers, tid)
}

// lossSetupOn is lossSetup on clk.
func lossSetupOn(clk clock.Clock, layers, tid int) (*Receiver, *DownTrack, *recordingWriter, []*pliRecorder) {
	r := newTestReceiverOn(clk, webrtc.RTPCodecTypeVideo, layers)
	plis := askingPublishers(r)
	w := &recordingWriter{keep: true}
	d := bindTestDownTrack(r, 0x1234, w)
	d.setTarget(0, tid)
	return r, d, w, plis
}

// keyframePackets is a keyframe of six packets, sequence numbers 100-105.
func keyframePackets() []inPacket {
	in := []inPacket{{seq: 100, ts: 3000, key: true}}
	for i := range 5 {
		in = append(in, inPacket{seq: uint16(101 + i), ts: 3000, marker: i == 4})
	}
	return in
}

func nackOf(ssrc uint32, seqs ...uint16) *rtcp.TransportLayerNack {
	return &rtcp.TransportLayerNack{MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs)}
}

// TestUnrepairableLossAsksKeyframe: a packet of the layer forwarded that
// the subscriber will not get (its resends spent, or held back by the
// retransmission budget for package resend's StarveAfter) stops its
// decoder until a keyframe, which Chromium asks for only after 3 s without
// a decodable frame: the SFU asks at once. On the 300 kbit/s link of
// TestBrowserSimulcastNarrowLink a NACK named 9 packets, the budget sent
// one, and every one of them was counted as resent: all three resends of
// each were spent in three NACKs with two packets sent, and the video
// stopped for 2.9-3.4 s.
func TestUnrepairableLossAsksKeyframe(t *testing.T) {
	ms := int64(time.Millisecond)
	type nack struct {
		at   int64 // ms
		seqs []int // indices into the frame's packets
	}
	tests := []struct {
		name    string
		budget  int64 // bytes per NACK, 0 unlimited
		nacks   []nack
		resent  int
		askedAt int // index of the NACK after which a keyframe is asked for, -1 never
	}{
		{"repaired", 0, []nack{{0, []int{1, 2}}}, 2, -1},
		{"repaired within the budget, one a NACK", 250, []nack{{0, []int{1, 2, 3}}, {110, []int{2, 3}}, {220, []int{3}}}, 3, -1},
		{"budget starves the repairs", 250, []nack{{0, []int{1, 2, 3, 4, 5}}, {110, []int{2, 3, 4, 5}}, {220, []int{3, 4, 5}}, {330, []int{4, 5}}}, 3, 3},
		{"resends spent", 0, []nack{{0, []int{1}}, {110, []int{1}}, {220, []int{1}}, {330, []int{1}}}, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, d, w, plis := lossSetup(1, maxTemporal-1)
			in := keyframePackets()
			feed(r, in)
			if len(w.headers) != len(in) {
				t.Fatalf("%d packets forwarded, want %d", len(w.headers), len(in))
			}
			before := plis[0].count()
			for i, n := range tt.nacks {
				if tt.budget > 0 {
					d.sub.rtxBudget.limited.Store(true)
					d.sub.rtxBudget.bytes.Store(tt.budget)
				}
				seqs := make([]uint16, 0, len(n.seqs))
				for _, s := range n.seqs {
					seqs = append(seqs, w.headers[s].SequenceNumber)
				}
				d.handleNACK(nackOf(0x1234, seqs...), 1+n.at*ms)
				asked := plis[0].count() > before
				if want := tt.askedAt >= 0 && i >= tt.askedAt; asked != want {
					t.Fatalf("after NACK %d: keyframe asked for %v, want %v", i, asked, want)
				}
			}
			if got := w.count - len(in); got != tt.resent {
				t.Fatalf("%d packets resent, want %d", got, tt.resent)
			}
		})
	}
}

// TestFailedUpgradeFallsBack: when the first frames of a resolution the
// track entered less than bwe.UpgradeTrial ago are lost for good (its
// keyframe overflowed a narrow link's queue), the track goes back at once
// to the layer it left, asking that layer, not the new one, for a
// keyframe, and the allocator hears of it. Later, a loss asks the layer
// it has for a keyframe.
func TestFailedUpgradeFallsBack(t *testing.T) {
	ms := int64(time.Millisecond)
	tests := []struct {
		name      string
		enteredAt int64 // ms before the NACKs
		back      bool
	}{
		{"just entered", 500, true},
		{"entered long before", int64(bwe.UpgradeTrial/time.Millisecond) + 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, d, w, plis := lossSetup(2, 1)
			feed(r, []inPacket{{layer: 0, seq: 100, ts: 3000, key: true, marker: true}})
			d.setTarget(1, 1)
			feed(r, []inPacket{{layer: 0, seq: 101, ts: 6000, marker: true}, {layer: 1, seq: 500, ts: 6000, key: true}, {layer: 1, seq: 501, ts: 6000, marker: true}})
			if cur, _ := d.layers(); cur != 1 {
				t.Fatalf("forwarding layer %d, want the switch to 1", cur)
			}
			now := int64(10 * time.Second)
			d.mu.Lock()
			if d.upFrom != 0 {
				t.Fatalf("the switch up left layer %d, want 0", d.upFrom)
			}
			d.upAt = now - tt.enteredAt*ms
			d.mu.Unlock()
			before0, before1 := plis[0].count(), plis[1].count()
			lost := w.headers[len(w.headers)-1].SequenceNumber
			for i := range resend.MaxResends + 1 {
				d.handleNACK(nackOf(0x1234, lost), now+int64(i)*110*ms)
			}
			_, target := d.layers()
			asked0, asked1 := plis[0].count() > before0, plis[1].count() > before1
			fell := d.fellBackTo.Load() != 0
			if tt.back {
				if target != 0 || !asked0 || asked1 || !fell {
					t.Fatalf("target %d, keyframe of layer 0 asked %v, of layer 1 %v, allocator told %v: want back to 0 with its keyframe", target, asked0, asked1, fell)
				}
				return
			}
			if target != 1 || asked0 || !asked1 || fell {
				t.Fatalf("target %d, keyframe of layer 0 asked %v, of layer 1 %v, allocator told %v: want layer 1 and its keyframe", target, asked0, asked1, fell)
			}
		})
	}
}

// TestLostPacketAsksOnce: a lost packet asks for a keyframe only if none
// has been sent since it, nor asked for within lostKeyframeWait: each
// request costs the publisher a keyframe of every simulcast layer, and a
// step down from a layer the link cannot carry loses packets every
// quarter second.
func TestLostPacketAsksOnce(t *testing.T) {
	ms := int64(time.Millisecond)
	r, d, w, plis := lossSetup(1, maxTemporal-1)
	feed(r, []inPacket{{seq: 100, ts: 3000, key: true}, {seq: 101, ts: 3000, marker: true}, {seq: 102, ts: 6000, marker: true}})
	out := func(i int) uint16 { return w.headers[i].SequenceNumber }
	steps := []struct {
		what  string
		at    int64 // ms
		seq   uint16
		asked bool
	}{
		{"a loss", 0, out(1), true},
		{"another within the wait", 400, out(2), false},
		{"another after it", 600, out(2), true},
	}
	for i, st := range steps {
		before := plis[0].count()
		d.lostPacket(st.seq, 1+st.at*ms)
		if asked := plis[0].count() > before; asked != st.asked {
			t.Fatalf("step %d (%s): keyframe asked for %v, want %v", i, st.what, asked, st.asked)
		}
	}
	feed(r, []inPacket{{seq: 103, ts: 9000, key: true, marker: true}})
	before := plis[0].count()
	d.lostPacket(out(2), 1+2000*ms)
	if plis[0].count() > before {
		t.Fatal("a loss before the last keyframe sent asked for another")
	}
}

// TestNACKBeforeUpstreamRepair: a subscriber NACKs a packet the SFU has
// not had yet (lost on the publisher's uplink, its repair on the way).
// The repair is forwarded when it comes; the subscriber's NACKs that
// cross it are answered from the cache, and none of them is taken for a
// loss nobody repaired: a repair slower than resend.StarveAfter had the
// packet declared lost, and a keyframe asked for, on every upstream loss.
// Never repaired, it is not the SFU's to declare lost either: it was
// never sent to the subscriber.
func TestNACKBeforeUpstreamRepair(t *testing.T) {
	ms := int64(time.Millisecond)
	tests := []struct {
		name     string
		nacksAt  []int64 // ms
		repairAt int64   // ms: the late packet arrives before the first NACK at or after it; -1 never
		resent   int
	}{
		{"repaired within StarveAfter", []int64{0, 110}, 50, 1},
		{"repaired later than StarveAfter", []int64{0, 110, 220, 330}, 300, 1},
		{"a NACK at StarveAfter, the repair after it", []int64{0, 260, 400}, 300, 1},
		{"never repaired", []int64{0, 110, 220, 330, 440}, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, d, w, plis := lossSetup(1, maxTemporal-1)
			in := keyframePackets()
			const late = 3 // in[late] is lost upstream
			feed(r, in[:late])
			feed(r, in[late+1:])
			before, repaired := plis[0].count(), false
			for _, at := range tt.nacksAt {
				if !repaired && tt.repairAt >= 0 && at >= tt.repairAt {
					feed(r, in[late:late+1])
					repaired = true
				}
				// The first source keeps its numbers: the subscriber's
				// are the publisher's.
				d.handleNACK(nackOf(0x1234, in[late].seq), 1+at*ms)
				if plis[0].count() > before {
					t.Fatalf("NACK at %d ms: a keyframe asked for", at)
				}
			}
			forwarded := len(in) - 1
			if repaired {
				forwarded++
			}
			if got := w.count - forwarded; got != tt.resent {
				t.Fatalf("%d packets resent, want %d", got, tt.resent)
			}
		})
	}
}
