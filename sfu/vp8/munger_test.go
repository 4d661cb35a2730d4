package vp8

import (
	"math/rand/v2"
	"testing"
)

// mstep is one call on a Munger and, for Munge, what it must produce.
type mstep struct {
	op       string // "munge", "skip" or "switch"
	pid, tl0 int    // incoming; -1 absent
	bits     int
	wantPID  int
	wantTL0  int
	wantOK   bool
}

func mg(pid, tl0, wantPID, wantTL0 int) mstep {
	return mstep{op: "munge", pid: pid, tl0: tl0, bits: 15, wantPID: wantPID, wantTL0: wantTL0, wantOK: true}
}
func mg7(pid, tl0, wantPID, wantTL0 int) mstep {
	s := mg(pid, tl0, wantPID, wantTL0)
	s.bits = 7
	return s
}
func mdrop(pid int) mstep  { return mstep{op: "munge", pid: pid, tl0: -1, bits: 15} }
func mskip(pid int) mstep  { return mstep{op: "skip", pid: pid, tl0: -1, bits: 15} }
func mskip7(pid int) mstep { return mstep{op: "skip", pid: pid, tl0: -1, bits: 7} }
func sw() mstep            { return mstep{op: "switch"} }

func payloadFor(pid, tl0, bits int) []byte {
	tid := -1
	if tl0 >= 0 {
		tid = 0
	}
	return build(desc{start: true, pid: pid, bits: bits, tl0: tl0, tid: tid, keyidx: -1})
}

func runSteps(t *testing.T, m *Munger, steps []mstep) {
	t.Helper()
	for i, s := range steps {
		if s.op == "switch" {
			m.Switch()
			continue
		}
		p := payloadFor(s.pid, s.tl0, s.bits)
		var d Descriptor
		if err := Parse(p, &d); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if s.op == "skip" {
			m.Skip(&d)
			continue
		}
		orig := append([]byte(nil), p...)
		o, ok := m.Munge(p, &d)
		if ok != s.wantOK {
			t.Fatalf("step %d: Munge(pid %d, tl0 %d) ok = %v; want %v", i, s.pid, s.tl0, ok, s.wantOK)
		}
		var got Descriptor
		if err := Parse(p, &got); err != nil {
			t.Fatalf("step %d: munged payload: %v", i, err)
		}
		if !ok {
			if string(p) != string(orig) {
				t.Fatalf("step %d: dropped packet was changed", i)
			}
			continue
		}
		gotPID, gotTL0 := -1, -1
		if got.HasPictureID {
			gotPID = int(got.PictureID)
		}
		if got.HasTL0PICIDX {
			gotTL0 = int(got.TL0PICIDX)
		}
		if gotPID != s.wantPID || gotTL0 != s.wantTL0 {
			t.Fatalf("step %d: Munge(pid %d, tl0 %d) = pid %d, tl0 %d; want pid %d, tl0 %d",
				i, s.pid, s.tl0, gotPID, gotTL0, s.wantPID, s.wantTL0)
		}
		Restore(p, &d, o)
		if string(p) != string(orig) {
			t.Fatalf("step %d: Restore gave % x; want % x", i, p, orig)
		}
	}
}

func TestMunge(t *testing.T) {
	tests := []struct {
		name  string
		steps []mstep
	}{
		{
			name:  "first source keeps its numbers",
			steps: []mstep{mg(100, 7, 100, 7), mg(100, 7, 100, 7), mg(101, 7, 101, 7), mg(102, 8, 102, 8)},
		},
		{
			name: "switch continues picture id and tl0picidx",
			steps: []mstep{
				mg(100, 7, 100, 7), mg(101, 8, 101, 8),
				sw(),
				mg(5000, 200, 102, 9), mg(5000, 200, 102, 9), mg(5001, 200, 103, 9), mg(5002, 201, 104, 10),
				sw(),
				mg(30, 0, 105, 11), mg(31, 1, 106, 12),
			},
		},
		{
			name: "switch before the first packet is harmless",
			steps: []mstep{
				sw(), mg(10, 3, 10, 3), sw(), sw(), mg(900, 90, 11, 4),
			},
		},
		{
			name: "reordering within a source keeps offsets",
			steps: []mstep{
				mg(100, 7, 100, 7), sw(),
				mg(500, 50, 101, 8), mg(503, 51, 104, 9), mg(501, 50, 102, 8), mg(502, 51, 103, 9),
			},
		},
		{
			name: "picture older than the source's first is dropped",
			steps: []mstep{
				mg(100, 7, 100, 7), sw(),
				mg(500, 50, 101, 8), mdrop(499), mg(500, 50, 101, 8),
			},
		},
		{
			name: "skip of the newest picture closes the gap",
			steps: []mstep{
				mg(10, 1, 10, 1), mg(11, 1, 11, 1), mskip(12), mskip(12), mg(13, 2, 12, 2), mg(14, 2, 13, 2),
			},
		},
		{
			name: "run of skips",
			steps: []mstep{
				mg(10, 1, 10, 1), mskip(11), mskip(12), mskip(13), mg(14, 2, 11, 2), mdrop(12),
			},
		},
		{
			name: "skip ahead keeps the places of pictures not yet seen",
			steps: []mstep{
				mg(10, 1, 10, 1), mskip(13), mg(14, 2, 13, 2), mg(11, 1, 11, 1), mg(12, 1, 12, 1), mdrop(13),
			},
		},
		{
			name: "skip of a sent or older picture does nothing",
			steps: []mstep{
				mg(10, 1, 10, 1), mg(11, 1, 11, 1), mskip(11), mskip(10), mg(12, 1, 12, 1),
			},
		},
		{
			name: "late packets of pictures before and after skips",
			steps: []mstep{
				mg(10, 1, 10, 1), mskip(11), mg(12, 1, 11, 1), mskip(13), mg(14, 1, 12, 1),
				mg(10, 1, 10, 1), mdrop(11), mg(12, 1, 11, 1), mdrop(13), mg(14, 1, 12, 1),
			},
		},
		{
			name: "skip then switch continues after the last picture sent",
			steps: []mstep{
				mg(10, 1, 10, 1), mskip(11), sw(), mg(700, 9, 11, 2),
			},
		},
		{
			name: "skip before a new source's first picture does nothing",
			steps: []mstep{
				mg(10, 1, 10, 1), sw(), mskip(700), mg(701, 9, 11, 2),
			},
		},
		{
			name: "15-bit wrap in the input",
			steps: []mstep{
				mg(0x7ffe, 0xfe, 0x7ffe, 0xfe), mg(0x7fff, 0xff, 0x7fff, 0xff), mg(0, 0, 0, 0), mg(1, 1, 1, 1), mg(0x7fff, 0xff, 0x7fff, 0xff),
			},
		},
		{
			name: "wrap in the output after a switch",
			steps: []mstep{
				mg(0x7fff, 0xff, 0x7fff, 0xff), sw(), mg(300, 40, 0, 0), mg(301, 41, 1, 1), mg(299, 39, 0x7fff, 0xff). /* older than the first */ drop(),
			},
		},
		{
			name: "7-bit picture ids wrap at 128",
			steps: []mstep{
				mg7(126, 3, 126, 3), mg7(127, 3, 127, 3), mg7(0, 4, 0, 4), mskip7(1), mg7(2, 4, 1, 4), mg7(127, 3, 127, 3),
			},
		},
		{
			name: "switch between 7-bit and 15-bit sources",
			steps: []mstep{
				mg7(126, 3, 126, 3), sw(), mg(4000, 9, 127, 4), mg(4001, 9, 128, 4), sw(), mg7(50, 0, 1, 5),
			},
		},
		{
			name: "packets without picture id or tl0picidx",
			steps: []mstep{
				mg(10, -1, 10, -1), sw(), mg(-1, 5, -1, 5), mg(70, 5, 11, 5), sw(), mg(-1, -1, -1, -1), mg(4, 9, 12, 6),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runSteps(t, NewMunger(), tt.steps)
		})
	}
}

func (s mstep) drop() mstep { s.wantOK = false; return s }

// source simulates one simulcast layer: its own PictureID and TL0PICIDX
// counters and a temporal pattern of TIDs 0 2 1 2 (RFC 7741 §4.2).
type source struct {
	pid  uint16
	bits int
	tl0  uint8
	n    int // pictures produced
}

var tidPattern = [...]uint8{0, 2, 1, 2}

// next returns the packets of the next picture and its TID.
func (s *source) next(rng *rand.Rand) (pkts [][]byte, tid uint8) {
	tid = tidPattern[s.n%len(tidPattern)]
	if s.n > 0 {
		s.pid = (s.pid + 1) & uint16(1<<s.bits-1)
		if tid == 0 {
			s.tl0++
		}
	}
	s.n++
	for i, k := 0, 1+rng.IntN(3); i < k; i++ {
		d := desc{start: i == 0, key: i == 0 && tid == 0, pid: int(s.pid), bits: s.bits, tl0: int(s.tl0), tid: int(tid), keyidx: -1}
		pkts = append(pkts, build(d))
	}
	return pkts, tid
}

// TestContinuityAcrossSwitches forwards three simultaneous layers to one
// subscriber, switching among them many times (at base-layer pictures) and
// skipping the top temporal layer at times, and checks picture by picture
// that the subscriber sees PictureIDs without gaps and TL0PICIDX advancing
// by exactly one per base-layer picture.
func TestContinuityAcrossSwitches(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	srcs := []*source{
		{pid: 0x7ff0, bits: 15, tl0: 250},
		{pid: 3, bits: 15, tl0: 0},
		{pid: 120, bits: 7, tl0: 128},
	}
	m := NewMunger()
	cur := 0
	var lastPID, lastTL0 uint16
	started, switches, skips := false, 0, 0
	for range 20000 {
		// Every source produces a picture; the subscriber gets the current
		// one's, unless it switches at this (base-layer) picture.
		var pics [3][][]byte
		var tids [3]uint8
		for i, s := range srcs {
			pics[i], tids[i] = s.next(rng)
		}
		if tids[0] == 0 && rng.IntN(10) == 0 {
			cur = (cur + 1 + rng.IntN(2)) % len(srcs)
			m.Switch()
			switches++
		}
		skip := tids[cur] == 2 && rng.IntN(3) == 0
		var outPID, outTL0 uint16
		for j, p := range pics[cur] {
			var d Descriptor
			if err := Parse(p, &d); err != nil {
				t.Fatal(err)
			}
			if skip {
				m.Skip(&d)
				continue
			}
			orig := append([]byte(nil), p...)
			o, ok := m.Munge(p, &d)
			if !ok {
				t.Fatalf("packet %d of picture %d of source %d dropped", j, d.PictureID, cur)
			}
			var got Descriptor
			if err := Parse(p, &got); err != nil {
				t.Fatal(err)
			}
			if j > 0 && (got.PictureID != outPID || uint16(got.TL0PICIDX) != outTL0) {
				t.Fatalf("packets of one picture numbered differently")
			}
			outPID, outTL0 = got.PictureID, uint16(got.TL0PICIDX)
			Restore(p, &d, o)
			if string(p) != string(orig) {
				t.Fatal("Restore did not restore")
			}
		}
		if skip {
			skips++
			continue
		}
		if started {
			mask := uint16(1<<srcs[cur].bits - 1)
			if outPID != (lastPID+1)&mask {
				t.Fatalf("after %d switches: picture id %d follows %d", switches, outPID, lastPID)
			}
			wantTL0 := lastTL0
			if tids[cur] == 0 {
				wantTL0 = (lastTL0 + 1) & 0xff
			}
			if outTL0 != wantTL0 {
				t.Fatalf("after %d switches: tl0picidx %d follows %d at tid %d", switches, outTL0, lastTL0, tids[cur])
			}
		}
		started, lastPID, lastTL0 = true, outPID, outTL0
	}
	if switches < 100 || skips < 100 {
		t.Fatalf("only %d switches and %d skips", switches, skips)
	}
}

// TestReorderKeepsOffsets shuffles each source's packets within a window and
// checks that every packet of a source is shifted by the same amount as the
// first, in-order, packet of that source.
func TestReorderKeepsOffsets(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := NewMunger()
	var lastPID uint16
	var lastTL0 uint8
	first := true
	for srcN := range 50 {
		bits := 15
		if srcN%3 == 2 {
			bits = 7
		}
		s := &source{pid: uint16(rng.IntN(1 << bits)), bits: bits, tl0: uint8(rng.IntN(256))}
		var pkts [][]byte
		for range 40 {
			p, _ := s.next(rng)
			pkts = append(pkts, p...)
		}
		// The first packet stays first; the rest move by up to 8 places.
		for i := 1; i < len(pkts); i++ {
			j := i + rng.IntN(8)
			if j < len(pkts) {
				pkts[i], pkts[j] = pkts[j], pkts[i]
			}
		}
		m.Switch()
		var dPID uint16
		var dTL0 uint8
		for i, p := range pkts {
			var d, got Descriptor
			if err := Parse(p, &d); err != nil {
				t.Fatal(err)
			}
			if _, ok := m.Munge(p, &d); !ok {
				t.Fatalf("source %d packet %d dropped", srcN, i)
			}
			if err := Parse(p, &got); err != nil {
				t.Fatal(err)
			}
			mask := uint16(1<<bits - 1)
			if i == 0 {
				if !first && (got.PictureID != (lastPID+1)&mask || got.TL0PICIDX != lastTL0+1) {
					t.Fatalf("source %d starts at %d/%d after %d/%d", srcN, got.PictureID, got.TL0PICIDX, lastPID, lastTL0)
				}
				dPID, dTL0 = got.PictureID-d.PictureID, got.TL0PICIDX-d.TL0PICIDX
				first = false
			}
			if got.PictureID != (d.PictureID+dPID)&mask || got.TL0PICIDX != d.TL0PICIDX+dTL0 {
				t.Fatalf("source %d packet %d: %d/%d -> %d/%d, not shifted by %d/%d",
					srcN, i, d.PictureID, d.TL0PICIDX, got.PictureID, got.TL0PICIDX, dPID, dTL0)
			}
		}
		lastPID, lastTL0 = (s.pid+dPID)&uint16(1<<bits-1), s.tl0+dTL0
	}
}

func BenchmarkMunge(b *testing.B) {
	m := NewMunger()
	p := build(desc{start: true, pid: 0, bits: 15, tl0: 0, tid: 0, keyidx: -1})
	var d Descriptor
	if err := Parse(p, &d); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		o, ok := m.Munge(p, &d)
		if !ok {
			b.Fatal("dropped")
		}
		Restore(p, &d, o)
		d.PictureID = (d.PictureID + 1) & 0x7fff
		d.TL0PICIDX++
		if d.PictureID%4 == 1 { // drop every fourth picture
			m.Skip(&d)
			d.PictureID = (d.PictureID + 1) & 0x7fff
		}
		if d.PictureID%1000 == 0 {
			m.Switch()
		}
	}
}
