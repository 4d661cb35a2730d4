package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// TestUplinkLossAndJitter feeds one layer's accounting a stream of 20 ms
// audio packets: gaps and late arrivals count as loss before repair, and
// arrival times that wobble against the timestamps make jitter (RFC 3550
// A.8), which steady arrivals do not.
func TestUplinkLossAndJitter(t *testing.T) {
	const clock = 48000
	cases := []struct {
		name       string
		seqs       []uint16
		wobble     time.Duration // every other packet arrives this late
		wantLoss   float64
		jitterFrom time.Duration
		jitterTo   time.Duration
	}{
		{"steady", []uint16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, 0, 0, time.Microsecond},
		{"one lost of ten", []uint16{1, 2, 3, 4, 6, 7, 8, 9, 10}, 0, 0.1, 0, time.Microsecond},
		{"one repaired late", []uint16{1, 2, 3, 5, 4, 6, 7, 8, 9, 10}, 0, 0.1, 0, time.Microsecond},
		{"wrapping", []uint16{65534, 65535, 0, 2}, 0, 0.2, 0, time.Microsecond},
		// |D| is 10 ms at every packet after the first: J climbs towards
		// it by a sixteenth a packet, 1 - (15/16)^199 of the way.
		{"wobbling 10 ms", seqRange(1, 200), 10 * time.Millisecond, 0, 9 * time.Millisecond, 10 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var u uplink
			start := int64(1e12)
			for _, seq := range c.seqs {
				// Sent 20 ms (960 ticks) apart, arriving in step unless wobbling.
				n := int64(uint16(seq - c.seqs[0]))
				at := start + n*int64(20*time.Millisecond)
				if seq%2 == 1 {
					at += int64(c.wobble)
				}
				u.observe(seq, 4_000_000_000+uint32(n)*960, at, clock)
			}
			var s linkSample
			u.sample(&s)
			loss := float64(s.expected-s.inOrder) / float64(s.expected)
			if d := loss - c.wantLoss; d < -1e-9 || d > 1e-9 {
				t.Errorf("loss %.3f (%d of %d in order), want %.3f", loss, s.inOrder, s.expected, c.wantLoss)
			}
			if j := time.Duration(s.jitterUs) * time.Microsecond; j < c.jitterFrom || j >= c.jitterTo {
				t.Errorf("jitter %v, want [%v, %v)", j, c.jitterFrom, c.jitterTo)
			}
			// The next interval starts from here: nothing new, no loss.
			var next linkSample
			u.sample(&next)
			if next.expected != 0 || next.inOrder != 0 {
				t.Errorf("second interval %+v, want empty", next)
			}
		})
	}
}

func seqRange(from, to uint16) []uint16 {
	var out []uint16
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// TestDownlinkReportRTT: a receiver report that answers a sender report
// sent 50 ms before, held 20 ms by the receiver, gives a 30 ms round trip
// (RFC 3550 §6.4.1) and its fraction lost; a block about another SSRC is
// not ours.
func TestDownlinkReportRTT(t *testing.T) {
	now := time.Unix(1_800_000_000, 123_000_000)
	var d downlink
	rr := &rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{
		{SSRC: 9, FractionLost: 200},
		{SSRC: 7, FractionLost: 64, LastSenderReport: ntpMiddle(now.Add(-50 * time.Millisecond)), Delay: 20 * 65536 / 1000},
	}}
	d.observeReport(rr, 7, now)
	if got := d.fractionLost.Load(); got != 64 {
		t.Errorf("fraction lost %d, want 64", got)
	}
	if rtt := time.Duration(d.rttUs.Load()) * time.Microsecond; rtt < 29*time.Millisecond || rtt > 31*time.Millisecond {
		t.Errorf("RTT %v, want 30 ms", rtt)
	}
}
