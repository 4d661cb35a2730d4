package sfu

import (
	"testing"

	"github.com/pion/rtp"
)

func TestKeyframeSize(t *testing.T) {
	type in struct {
		ts            uint32
		start, marker bool
		size          int
	}
	tests := []struct {
		name    string
		packets []in
		want    []int // sizes reported, bits
		parts   int   // packets told part of a keyframe
	}{
		{"three packets to the marker", []in{{1, true, false, 1000}, {1, false, false, 1000}, {1, false, true, 500}}, []int{20_000}, 3},
		{"one packet", []in{{1, true, true, 300}}, []int{2400}, 1},
		{"delta frames are not counted", []in{{1, false, true, 300}, {2, false, true, 300}}, nil, 0},
		{"a lost marker ends at the next frame", []in{{1, true, false, 1000}, {1, false, false, 1000}, {2, false, true, 300}}, []int{16_000}, 2},
		{"a keyframe after one whose end was lost: the newer counts", []in{{1, true, false, 1000}, {2, true, true, 700}}, []int{5600}, 2},
		{"the delta frame after a keyframe is no part of it", []in{{1, true, true, 1000}, {2, false, true, 300}}, []int{8000}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k keyframeSize
			var got []int
			parts := 0
			for _, p := range tt.packets {
				r := k.add(&rtp.Packet{Header: rtp.Header{Timestamp: p.ts, Marker: p.marker}}, p.start, p.size)
				if r.done {
					got = append(got, r.bits)
				}
				if r.part {
					parts++
				}
			}
			if parts != tt.parts {
				t.Errorf("%d packets part of a keyframe, want %d", parts, tt.parts)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("reported %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("reported %v, want %v", got, tt.want)
				}
			}
		})
	}
}
