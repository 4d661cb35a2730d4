package rewriter

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/switchboard-rtc/switchboard/sfu/renumber"
)

// step is one call on a Rewriter and, for Rewrite, what it must return.
type step struct {
	op      string // "rw", "skip" or "switch"
	seq     uint16
	ts      uint32 // for "rw"; the gap for "switch"
	wantSeq uint16
	wantTS  uint32
	wantOK  bool
}

func rw(seq uint16, ts uint32, wantSeq uint16, wantTS uint32) step {
	return step{op: "rw", seq: seq, ts: ts, wantSeq: wantSeq, wantTS: wantTS, wantOK: true}
}
func drop(seq uint16, ts uint32) step { return step{op: "rw", seq: seq, ts: ts} }
func skip(seq uint16) step            { return step{op: "skip", seq: seq} }
func switchTo(gap uint32) step        { return step{op: "switch", ts: gap} }

func run(t *testing.T, r *Rewriter, steps []step) {
	t.Helper()
	for i, s := range steps {
		switch s.op {
		case "skip":
			r.Skip(s.seq)
		case "switch":
			r.Switch(s.ts)
		case "rw":
			seq, ts, ok := r.Rewrite(s.seq, s.ts)
			if ok != s.wantOK || (ok && (seq != s.wantSeq || ts != s.wantTS)) {
				t.Fatalf("step %d: Rewrite(%d, %d) = %d, %d, %v; want %d, %d, %v",
					i, s.seq, s.ts, seq, ts, ok, s.wantSeq, s.wantTS, s.wantOK)
			}
		}
	}
}

func TestRewrite(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name:  "first packet keeps its numbers",
			steps: []step{rw(1000, 5000, 1000, 5000), rw(1001, 5000, 1001, 5000), rw(1002, 8000, 1002, 8000)},
		},
		{
			name: "switch continues sequence and timestamp",
			steps: []step{
				rw(1000, 5000, 1000, 5000), rw(1001, 8000, 1001, 8000),
				switchTo(3000),
				rw(40000, 123456, 1002, 11000), rw(40001, 123456, 1003, 11000), rw(40002, 126456, 1004, 14000),
			},
		},
		{
			name: "switch before the first packet is ignored",
			steps: []step{
				switchTo(3000),
				rw(7, 70, 7, 70), rw(8, 80, 8, 80),
			},
		},
		{
			name: "two switches without packets in between",
			steps: []step{
				rw(10, 100, 10, 100),
				switchTo(1000), switchTo(90),
				rw(500, 5000, 11, 190),
			},
		},
		{
			name: "reordering within a source keeps relative order",
			steps: []step{
				rw(10, 100, 10, 100), switchTo(90),
				rw(500, 5000, 11, 190), rw(503, 5300, 14, 490), rw(501, 5100, 12, 290), rw(502, 5200, 13, 390), rw(504, 5400, 15, 590),
			},
		},
		{
			name: "a lost packet stays a gap",
			steps: []step{
				rw(10, 100, 10, 100), rw(12, 120, 12, 120), rw(13, 130, 13, 130),
			},
		},
		{
			name: "packet older than the source start is dropped",
			steps: []step{
				rw(10, 100, 10, 100), switchTo(90),
				rw(500, 5000, 11, 190), drop(499, 4900), drop(400, 4000), rw(501, 5100, 12, 290),
			},
		},
		{
			name: "new source after a gap continues after the highest number",
			steps: []step{
				rw(10, 100, 10, 100), rw(13, 130, 13, 130), switchTo(10),
				rw(900, 9000, 14, 140),
			},
		},
		{
			name: "skip of the newest renumbers later packets",
			steps: []step{
				rw(10, 100, 10, 100), skip(11), rw(12, 120, 11, 120), rw(13, 130, 12, 130),
			},
		},
		{
			name: "run of skips",
			steps: []step{
				rw(10, 100, 10, 100), skip(11), skip(12), skip(13), rw(14, 140, 11, 140),
				drop(12, 120), drop(11, 110), drop(13, 130), rw(15, 150, 12, 150),
			},
		},
		{
			name: "skip of an older packet is a no-op",
			steps: []step{
				rw(10, 100, 10, 100), rw(12, 120, 12, 120), skip(11), rw(13, 130, 13, 130), rw(11, 110, 11, 110),
			},
		},
		{
			name: "skip ahead of a gap keeps the gap's numbers",
			steps: []step{
				rw(10, 100, 10, 100), skip(12), rw(13, 130, 12, 130), rw(11, 110, 11, 110), drop(12, 120),
			},
		},
		{
			name: "skip twice of the same packet counts once",
			steps: []step{
				rw(10, 100, 10, 100), skip(11), skip(11), rw(12, 120, 11, 120),
			},
		},
		{
			name: "late packets keep the offset of their segment",
			steps: []step{
				rw(10, 100, 10, 100), rw(12, 120, 12, 120), skip(13), rw(15, 150, 14, 150),
				skip(16), rw(17, 170, 15, 170), rw(11, 110, 11, 110), rw(14, 140, 13, 140),
			},
		},
		{
			name: "skip of the first packet of a new source is a no-op",
			steps: []step{
				rw(10, 100, 10, 100), switchTo(10), skip(700), rw(701, 7010, 11, 110), rw(702, 7020, 12, 120),
			},
		},
		{
			name: "skip before anything is a no-op",
			steps: []step{
				skip(5), rw(6, 60, 6, 60),
			},
		},
		{
			name: "skip right after a switch's first packet",
			steps: []step{
				rw(10, 100, 10, 100), switchTo(10), rw(700, 7000, 11, 110), skip(701), rw(702, 7020, 12, 130),
			},
		},
		{
			name: "sequence wrap-around",
			steps: []step{
				rw(65534, 100, 65534, 100), rw(65535, 110, 65535, 110), rw(0, 120, 0, 120), rw(1, 130, 1, 130),
			},
		},
		{
			name: "offset wrap-around and reordering across it",
			steps: []step{
				rw(65530, 100, 65530, 100), switchTo(10),
				rw(20, 1000, 65531, 110), rw(25, 1050, 0, 160), rw(24, 1040, 65535, 150),
				rw(22, 1020, 65533, 130), rw(26, 1060, 1, 170),
			},
		},
		{
			name: "skip across sequence wrap-around",
			steps: []step{
				rw(65535, 100, 65535, 100), skip(0), rw(1, 120, 0, 120), rw(2, 130, 1, 130),
			},
		},
		{
			name: "timestamp wrap-around",
			steps: []step{
				rw(1, 4294967000, 1, 4294967000), rw(2, 200, 2, 200),
				switchTo(3000), rw(100, 4294967295, 3, 3200), rw(101, 2999, 4, 6200),
			},
		},
		{
			name: "switch gap wraps the timestamp",
			steps: []step{
				rw(1, 4294967000, 1, 4294967000), switchTo(1000), rw(50, 77, 2, 704),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			if r.Started() {
				t.Fatal("Started() before any packet")
			}
			run(t, r, tt.steps)
		})
	}
}

func TestStarted(t *testing.T) {
	r := New()
	r.Skip(1)
	r.Switch(10)
	if r.Started() {
		t.Fatal("Started() after Skip and Switch only")
	}
	r.Rewrite(1, 1)
	if !r.Started() {
		t.Fatal("not Started() after a Rewrite")
	}
}

// TestContinuityAcrossSwitches forwards many sources one after another,
// packet by packet, with random starting numbers (many near a wrap), frames
// of several packets and a Skip now and then, and checks what the subscriber
// sees: sequence numbers strictly +1, timestamps never going back.
func TestContinuityAcrossSwitches(t *testing.T) {
	tests := []struct {
		name     string
		seed     uint64
		sources  int
		skipRate float64
	}{
		{"no skips", 1, 200, 0},
		{"some skips", 2, 200, 0.05},
		{"many skips", 3, 200, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(tt.seed, 0))
			r := New()
			var prevSeq uint16
			var prevTS uint32
			sent := 0
			for src := range tt.sources {
				seq := uint16(65535 - rng.IntN(200))
				if rng.IntN(2) == 0 {
					seq = uint16(rng.Uint32())
				}
				ts := uint32(4294967295 - rng.IntN(100000))
				if rng.IntN(2) == 0 {
					ts = rng.Uint32()
				}
				if src > 0 {
					r.Switch(uint32(1 + rng.IntN(6000)))
				}
				frames := 1 + rng.IntN(20)
				firstOfSource := true
				for range frames {
					for range 1 + rng.IntN(5) {
						if !firstOfSource && rng.Float64() < tt.skipRate {
							r.Skip(seq)
							seq++
							continue
						}
						outSeq, outTS, ok := r.Rewrite(seq, ts)
						if !ok {
							t.Fatalf("source %d: Rewrite(%d, %d) dropped", src, seq, ts)
						}
						if sent > 0 {
							if outSeq != prevSeq+1 {
								t.Fatalf("source %d: sequence %d after %d", src, outSeq, prevSeq)
							}
							d := int32(outTS - prevTS)
							if d < 0 || (firstOfSource && d == 0) {
								t.Fatalf("source %d: timestamp %d after %d", src, outTS, prevTS)
							}
						}
						prevSeq, prevTS = outSeq, outTS
						sent++
						firstOfSource = false
						seq++
					}
					ts += 3000
				}
			}
		})
	}
}

func TestSource(t *testing.T) {
	type lookup struct {
		out    uint16
		wantIn uint16
		wantOK bool
	}
	tests := []struct {
		name    string
		steps   []step
		lookups []lookup
	}{
		{
			name:    "before any packet",
			lookups: []lookup{{0, 0, false}, {100, 0, false}},
		},
		{
			name: "current source",
			steps: []step{
				rw(10, 100, 10, 100), switchTo(10),
				rw(500, 5000, 11, 110), rw(502, 5200, 13, 310), rw(501, 5100, 12, 210),
			},
			lookups: []lookup{{11, 500, true}, {12, 501, true}, {13, 502, true}, {14, 0, false}},
		},
		{
			name: "earlier source is unknown",
			steps: []step{
				rw(10, 100, 10, 100), rw(11, 110, 11, 110), switchTo(10),
				rw(500, 5000, 12, 120),
			},
			lookups: []lookup{{10, 0, false}, {11, 0, false}, {12, 500, true}},
		},
		{
			name: "after many switches",
			steps: []step{
				rw(10, 100, 10, 100), switchTo(10),
				rw(500, 5000, 11, 110), switchTo(10),
				rw(9000, 5000, 12, 120), switchTo(10),
				rw(65535, 5000, 13, 130), rw(0, 5000, 14, 130), rw(2, 5000, 16, 130),
			},
			lookups: []lookup{{11, 0, false}, {12, 0, false}, {13, 65535, true}, {14, 0, true}, {15, 0, false}, {16, 2, true}},
		},
		{
			name: "after skips",
			steps: []step{
				rw(10, 100, 10, 100), skip(11), rw(12, 120, 11, 120), skip(13), skip(14), rw(15, 150, 12, 150),
			},
			lookups: []lookup{{10, 10, true}, {11, 12, true}, {12, 15, true}, {13, 0, false}},
		},
		{
			name: "across wrap-around of the outgoing numbers",
			steps: []step{
				rw(65534, 1, 65534, 1), rw(65535, 1, 65535, 1), switchTo(1),
				rw(300, 9, 0, 2), rw(301, 9, 1, 2),
			},
			lookups: []lookup{{65535, 0, false}, {0, 300, true}, {1, 301, true}, {2, 0, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			run(t, r, tt.steps)
			for _, l := range tt.lookups {
				in, ok := r.Source(l.out)
				if ok != l.wantOK || (ok && in != l.wantIn) {
					t.Errorf("Source(%d) = %d, %v; want %d, %v", l.out, in, ok, l.wantIn, l.wantOK)
				}
			}
		})
	}
}

// TestSourceWindow checks that only the last outgoing numbers kept
// (DefaultHistory, or WithHistory's) map back, also after the outgoing
// numbers wrapped many times.
func TestSourceWindow(t *testing.T) {
	for _, size := range []int{DefaultHistory, 512, 128} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			r := New(WithHistory(size))
			in := uint16(60000)
			for range 3 * 65536 {
				r.Rewrite(in, 0)
				in++
			}
			lastIn := in - 1
			lastOut := lastIn // the first packet kept its number
			n := uint16(size)
			tests := []struct {
				back   uint16
				wantOK bool
			}{
				{0, true}, {1, true}, {n - 1, true}, {n, false}, {5000, false}, {40000, false},
			}
			for _, tt := range tests {
				got, ok := r.Source(lastOut - tt.back)
				if ok != tt.wantOK || (ok && got != lastIn-tt.back) {
					t.Errorf("Source(last-%d) = %d, %v; want %d, %v", tt.back, got, ok, lastIn-tt.back, tt.wantOK)
				}
			}
		})
	}
}

// TestForgottenBoundary checks that a packet from before the oldest
// remembered Skip boundary is dropped rather than misnumbered.
func TestForgottenBoundary(t *testing.T) {
	r := New()
	r.Rewrite(100, 0)
	seq := uint16(101)
	for range renumber.MaxSegments + 5 {
		r.Skip(seq)
		r.Rewrite(seq+1, 0)
		seq += 2
	}
	if _, _, ok := r.Rewrite(100, 0); ok {
		t.Error("packet before the forgotten boundary was placed")
	}
	// The newest boundary is still known: the packet after the newest
	// continues from it.
	out, _, ok := r.Rewrite(seq+1, 0)
	if want := uint16(100 + renumber.MaxSegments + 5 + 2); !ok || out != want {
		t.Errorf("Rewrite(after the newest) = %d, %v; want %d, true", out, ok, want)
	}
}

// TestNumberSentOnce: a late packet fills the number kept for it, once; a
// packet whose number was already sent is refused, as the copy a sender
// replays after its numbering seemed to restart would be.
func TestNumberSentOnce(t *testing.T) {
	tests := []struct {
		name string
		in   []uint16
		ok   []bool
	}{
		{"in order, then the newest again", []uint16{100, 101, 102, 102}, []bool{true, true, true, false}},
		{"an older one again", []uint16{100, 101, 102, 101}, []bool{true, true, true, false}},
		{"a late one fills its gap once", []uint16{100, 102, 101, 101}, []bool{true, true, true, false}},
		{"the first again", []uint16{100, 100}, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			for i, seq := range tt.in {
				out, _, ok := r.Rewrite(seq, 0)
				if ok != tt.ok[i] {
					t.Fatalf("packet %d (seq %d): ok %v, want %v", i, seq, ok, tt.ok[i])
				}
				if ok && out != seq {
					t.Fatalf("packet %d: out %d, want %d", i, out, seq)
				}
			}
		})
	}
}

func TestNoAllocations(t *testing.T) {
	r := New()
	var seq uint16
	var ts uint32
	allocs := testing.AllocsPerRun(1000, func() {
		r.Rewrite(seq, ts)
		if seq%100 == 0 {
			r.Skip(seq + 1)
			seq++
		}
		if seq%1000 == 0 {
			r.Switch(3000)
		}
		r.Source(seq - 5)
		seq++
		ts += 300
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func BenchmarkRewrite(b *testing.B) {
	r := New()
	b.ReportAllocs()
	var seq uint16
	var ts uint32
	for b.Loop() {
		r.Rewrite(seq, ts)
		seq++
		ts += 300
	}
}

func BenchmarkRewriteReordered(b *testing.B) {
	r := New()
	b.ReportAllocs()
	var seq uint16
	for b.Loop() {
		r.Rewrite(seq+1, 0)
		r.Rewrite(seq, 0)
		seq += 2
	}
}

func BenchmarkSource(b *testing.B) {
	r := New()
	for i := range DefaultHistory {
		r.Rewrite(uint16(i), 0)
	}
	b.ReportAllocs()
	var seq uint16
	for b.Loop() {
		r.Source(seq % DefaultHistory)
		seq++
	}
}
