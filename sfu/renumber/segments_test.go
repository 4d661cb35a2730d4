package renumber

import "testing"

func TestSegments(t *testing.T) {
	type op struct {
		kind string // "skip", "insert"
		at   uint64
	}
	tests := []struct {
		name string
		ops  []op
		ext  uint64
		want uint16
		ok   bool
	}{
		{"no change", nil, 150, 7, true},
		{"before the first segment", nil, 99, 0, false},
		{"after a skip", []op{{"skip", 120}}, 121, 6, true},
		{"before a skip keeps its offset", []op{{"skip", 120}}, 119, 7, true},
		{"the skipped number itself", []op{{"skip", 120}}, 120, 0, false},
		{"a run of skips shares a segment", []op{{"skip", 120}, {"skip", 121}}, 122, 5, true},
		{"after an insert", []op{{"insert", 130}}, 130, 8, true},
		{"before an insert", []op{{"insert", 130}}, 129, 7, true},
		{"inserts in a row", []op{{"insert", 130}, {"insert", 130}}, 131, 9, true},
		{"skip then insert", []op{{"skip", 120}, {"insert", 121}}, 121, 7, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Segments[uint16]
			s.Reset(100, 7)
			for _, o := range tt.ops {
				if o.kind == "skip" {
					s.Skip(o.at)
				} else {
					s.Insert(o.at)
				}
			}
			got, ok := s.Lookup(tt.ext)
			if ok != tt.ok || ok && got != tt.want {
				t.Fatalf("Lookup(%d) = %d, %v; want %d, %v", tt.ext, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSegmentsForgetTheOldest(t *testing.T) {
	var s Segments[uint64]
	s.Reset(0, 0)
	for i := range MaxSegments + 10 {
		s.Skip(uint64(10 * (i + 1)))
	}
	if _, ok := s.Lookup(5); ok {
		t.Fatal("a number before every remembered boundary was placed")
	}
	if off, ok := s.Lookup(10*(MaxSegments+10) + 1); !ok || off != ^uint64(0)-uint64(MaxSegments+10)+1 {
		t.Fatalf("newest offset %d, %v", off, ok)
	}
}

// TestSegmentsGrow: the ring starts small and doubles as boundaries come,
// up to MaxSegments; every boundary is still placed after each growth.
func TestSegmentsGrow(t *testing.T) {
	tests := []struct {
		skips, wantLen int
	}{
		{0, initialSegments},
		{initialSegments - 1, initialSegments},
		{initialSegments, 2 * initialSegments},
		{MaxSegments/2 + 1, MaxSegments},
		{MaxSegments - 1, MaxSegments},
		{3 * MaxSegments, MaxSegments},
	}
	for _, tt := range tests {
		var s Segments[uint64]
		s.Reset(0, 0)
		for i := range tt.skips {
			s.Skip(uint64(10 * (i + 1)))
		}
		if len(s.ring) != tt.wantLen {
			t.Errorf("%d skips: ring of %d, want %d", tt.skips, len(s.ring), tt.wantLen)
		}
		// Each remembered run: numbers after the i-th skip go out i lower.
		for i := max(0, tt.skips-(MaxSegments-1)); i <= tt.skips; i++ {
			ext := uint64(10*i + 1)
			if off, ok := s.Lookup(ext); !ok || off != -uint64(i) {
				t.Errorf("%d skips: Lookup(%d) = %d, %v; want %d", tt.skips, ext, int64(off), ok, -i)
			}
		}
	}
}
