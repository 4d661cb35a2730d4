package speakers

import (
	"slices"
	"sync"
	"testing"
)

// seg: participant id sends 5 packets a tick at level (-dBov) in ticks
// [from, to). Outside every segment a participant sends silence (level
// 127), or nothing in a gap segment (dtx).
type seg struct {
	id       string
	from, to int
	level    uint8
	dtx      bool // no packets at all
}

// expect is checked after tick n: the floor's holder, the list's first and
// who is in it ("" and nil: nobody).
type expect struct {
	tick     int
	dominant string
	first    string
	speaking []string
}

func sampleAt(segs []seg, id string, tick int) (Sample, bool) {
	for _, s := range segs {
		if s.id == id && tick >= s.from && tick < s.to {
			if s.dtx {
				return Sample{}, true
			}
			return SampleOf(5, s.level), true
		}
	}
	return SampleOf(5, Silent), true
}

func TestDetector(t *testing.T) {
	const loud, louder, quiet = 25, 5, 70
	tests := []struct {
		name  string
		ids   []string
		ticks int
		segs  []seg
		want  []expect
		never string // must never hold the floor
	}{{
		name: "one talker takes the floor after half a second", ids: []string{"A", "B", "C"}, ticks: 30,
		segs: []seg{{id: "A", from: 0, to: 30, level: loud}},
		want: []expect{
			{tick: 0, dominant: "", first: "A", speaking: []string{"A"}},
			{tick: 3, dominant: "", first: "A", speaking: []string{"A"}},
			{tick: 4, dominant: "A", first: "A", speaking: []string{"A"}},
			{tick: 29, dominant: "A", first: "A", speaking: []string{"A"}},
		},
	}, {
		name: "a 300 ms cough louder than the talker does not take the floor", ids: []string{"A", "B"}, ticks: 50,
		segs: []seg{{id: "A", from: 0, to: 50, level: loud}, {id: "B", from: 20, to: 23, level: louder}},
		want: []expect{
			{tick: 19, dominant: "A", first: "A", speaking: []string{"A"}},
			{tick: 21, dominant: "A", first: "A", speaking: []string{"A", "B"}},
			{tick: 25, dominant: "A", first: "A", speaking: []string{"A", "B"}},
			{tick: 33, dominant: "A", first: "A", speaking: []string{"A"}},
		},
		never: "B",
	}, {
		name: "a cough does not take the floor from a holder who went quiet", ids: []string{"A", "B"}, ticks: 60,
		segs: []seg{{id: "A", from: 0, to: 10, level: loud}, {id: "B", from: 30, to: 33, level: louder}},
		want: []expect{
			{tick: 25, dominant: "A", first: "", speaking: nil},
			{tick: 31, dominant: "A", first: "B", speaking: []string{"B"}},
			{tick: 59, dominant: "A", first: "", speaking: nil},
		},
		never: "B",
	}, {
		name: "nobody holds the floor after coughs alone", ids: []string{"A", "B"}, ticks: 40,
		segs: []seg{{id: "A", from: 5, to: 8, level: louder}, {id: "B", from: 20, to: 24, level: louder}},
		want: []expect{
			{tick: 6, dominant: "", first: "A", speaking: []string{"A"}},
			{tick: 22, dominant: "", first: "B", speaking: []string{"B"}},
			{tick: 39, dominant: "", first: "", speaking: nil},
		},
		never: "B",
	}, {
		name: "the floor passes when the holder stops and another talks", ids: []string{"A", "B"}, ticks: 60,
		segs: []seg{{id: "A", from: 0, to: 30, level: loud}, {id: "B", from: 30, to: 60, level: loud}},
		want: []expect{
			{tick: 29, dominant: "A", first: "A", speaking: []string{"A"}},
			{tick: 33, dominant: "A", first: "A", speaking: []string{"A", "B"}},
			{tick: 35, dominant: "B", first: "B", speaking: []string{"A", "B"}},
			{tick: 45, dominant: "B", first: "B", speaking: []string{"B"}},
		},
	}, {
		name: "two talking at once: the holder keeps the floor, even when quieter", ids: []string{"A", "B"}, ticks: 60,
		segs: []seg{{id: "A", from: 0, to: 60, level: quiet - 30}, {id: "B", from: 20, to: 60, level: louder}},
		want: []expect{
			{tick: 19, dominant: "A", first: "A", speaking: []string{"A"}},
			{tick: 59, dominant: "A", first: "A", speaking: []string{"A", "B"}},
		},
		never: "B",
	}, {
		name: "below the active level is silence", ids: []string{"A", "B"}, ticks: 20,
		segs:  []seg{{id: "A", from: 0, to: 20, level: quiet}, {id: "B", from: 0, to: 20, level: loud}},
		want:  []expect{{tick: 19, dominant: "B", first: "B", speaking: []string{"B"}}},
		never: "A",
	}, {
		name: "no packets (DTX) is silence", ids: []string{"A"}, ticks: 40,
		segs: []seg{{id: "A", from: 0, to: 10, level: loud}, {id: "A", from: 10, to: 40, dtx: true}},
		want: []expect{
			{tick: 9, dominant: "A", first: "A", speaking: []string{"A"}},
			{tick: 19, dominant: "A", first: "", speaking: nil},
		},
	}, {
		name: "the others follow the holder from the loudest", ids: []string{"A", "B", "C"}, ticks: 30,
		segs: []seg{
			{id: "A", from: 0, to: 30, level: 40}, {id: "B", from: 10, to: 30, level: 30},
			{id: "C", from: 10, to: 30, level: 10},
		},
		want: []expect{{tick: 29, dominant: "A", first: "A", speaking: []string{"A", "C", "B"}}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := New(DefaultConfig())
			want := tc.want
			for tick := range tc.ticks {
				for _, id := range tc.ids {
					if s, ok := sampleAt(tc.segs, id, tick); ok {
						d.Observe(id, s)
					}
				}
				list := d.Tick()
				if tc.never != "" && d.Dominant() == tc.never {
					t.Fatalf("tick %d: %s holds the floor", tick, tc.never)
				}
				if len(want) == 0 || want[0].tick != tick {
					continue
				}
				w := want[0]
				want = want[1:]
				var ids []string
				for _, s := range list {
					ids = append(ids, s.ID)
				}
				first := ""
				if len(ids) > 0 {
					first = ids[0]
				}
				if d.Dominant() != w.dominant || first != w.first {
					t.Errorf("tick %d: dominant %q, first %q; want %q, %q (list %v)", tick, d.Dominant(), first, w.dominant, w.first, list)
				}
				if w.first == "" || len(w.speaking) > 2 {
					// the whole order is asserted
					if !slices.Equal(ids, w.speaking) {
						t.Errorf("tick %d: speaking %v, want %v", tick, ids, w.speaking)
					}
				} else {
					slices.Sort(ids)
					if !slices.Equal(ids, w.speaking) {
						t.Errorf("tick %d: speaking %v, want %v", tick, ids, w.speaking)
					}
				}
			}
			if len(want) > 0 {
				t.Fatalf("expectations left unchecked: %v", want)
			}
		})
	}
}

// TestBurstStraddlingTicks: a 280 ms burst that starts mid-tick touches
// four ticks, still one short of the floor, whatever the holder does.
func TestBurstStraddlingTicks(t *testing.T) {
	for _, holderTalks := range []bool{true, false} {
		d := New(DefaultConfig())
		var bm Meter
		packet := 0
		for tick := range 60 {
			if holderTalks || tick < 10 {
				d.Observe("A", SampleOf(5, 25))
			} else {
				d.Observe("A", SampleOf(5, Silent))
			}
			for range 5 {
				// B: 14 loud packets (280 ms) from packet 103 on, two in
				// its first tick.
				if packet >= 103 && packet < 117 {
					bm.Observe([]byte{0x80 | 3})
				} else {
					bm.Observe([]byte{Silent})
				}
				packet++
			}
			d.Observe("B", bm.Take())
			d.Tick()
			if d.Dominant() != "A" && tick >= 4 {
				t.Fatalf("holder talking %v, tick %d: dominant %q", holderTalks, tick, d.Dominant())
			}
			if st := d.states["B"]; st != nil && d.score(st) > 4 {
				t.Fatalf("the burst was voiced in %d ticks", d.score(st))
			}
		}
	}
}

func TestForgetsWhoLeft(t *testing.T) {
	d := New(DefaultConfig())
	for range 10 {
		d.Observe("A", SampleOf(5, 20))
		d.Tick()
	}
	if d.Dominant() != "A" {
		t.Fatalf("dominant %q", d.Dominant())
	}
	for tick := range forgetAfter {
		if list := d.Tick(); tick >= 10 && len(list) != 0 {
			t.Fatalf("tick %d: %v still speaking", tick, list)
		}
	}
	if d.Dominant() != "" || len(d.states) != 0 {
		t.Fatalf("still there: dominant %q, %d states", d.Dominant(), len(d.states))
	}
}

func TestLevelScale(t *testing.T) {
	for _, tc := range []struct {
		level uint8
		want  float64
	}{{0, 1}, {30, 0.5}, {60, 0}, {90, 0}, {Silent, 0}} {
		d := New(Config{Tick: 100, Frame: 20, ActiveLevel: 127, Window: 10, MinVoiced: 5, Margin: 2, Rise: 1, Fall: 1})
		d.Observe("A", SampleOf(5, tc.level))
		list := d.Tick()
		got := 0.0
		if len(list) > 0 {
			got = list[0].Level
		}
		if got != tc.want {
			t.Errorf("-%d dBov: level %v, want %v", tc.level, got, tc.want)
		}
	}
}

func TestChanged(t *testing.T) {
	a := []Speaker{{"A", 0.5}, {"B", 0.3}}
	for _, tc := range []struct {
		b    []Speaker
		want bool
	}{
		{[]Speaker{{"A", 0.5}, {"B", 0.3}}, false},
		{[]Speaker{{"A", 0.55}, {"B", 0.25}}, false},
		{[]Speaker{{"A", 0.61}, {"B", 0.3}}, true},
		{[]Speaker{{"B", 0.3}, {"A", 0.5}}, true},
		{[]Speaker{{"A", 0.5}}, true},
		{nil, true},
	} {
		if got := Changed(a, tc.b); got != tc.want {
			t.Errorf("Changed(%v, %v) = %v", a, tc.b, got)
		}
	}
	if Changed(nil, []Speaker{}) {
		t.Error("nil and empty differ")
	}
}

func TestMeter(t *testing.T) {
	var m Meter
	m.Observe(nil) // no extension: not counted
	m.Observe([]byte{0x80 | 20})
	m.Observe([]byte{20})
	m.Observe([]byte{Silent})
	s := m.Take()
	if s.Packets != 3 || s.amplitude != 2*uint64(amplitude[20]) {
		t.Fatalf("sample %+v, want 3 packets, amplitude %d", s, 2*amplitude[20])
	}
	if s := m.Take(); s.Packets != 0 || s.amplitude != 0 {
		t.Fatalf("not reset: %+v", s)
	}
	// Concurrent packets and takes lose nothing.
	var wg sync.WaitGroup
	total := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			total += m.Take().Packets
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				m.Observe([]byte{30})
			}
		}()
	}
	wg.Wait()
	<-done
	total += m.Take().Packets
	if total != 4000 {
		t.Fatalf("%d packets counted, want 4000", total)
	}
}

func TestMeterAllocatesNothing(t *testing.T) {
	var m Meter
	ext := []byte{40}
	if n := testing.AllocsPerRun(1000, func() { m.Observe(ext) }); n != 0 {
		t.Fatalf("Observe allocates %v times", n)
	}
}

func BenchmarkObserve(b *testing.B) {
	var m Meter
	ext := []byte{40}
	b.ReportAllocs()
	for b.Loop() {
		m.Observe(ext)
	}
}
