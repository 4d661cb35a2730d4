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
	}{
		{"three packets to the marker", []in{{1, true, false, 1000}, {1, false, false, 1000}, {1, false, true, 500}}, []int{20_000}},
		{"one packet", []in{{1, true, true, 300}}, []int{2400}},
		{"delta frames are not counted", []in{{1, false, true, 300}, {2, false, true, 300}}, nil},
		{"a lost marker ends at the next frame", []in{{1, true, false, 1000}, {1, false, false, 1000}, {2, false, true, 300}}, []int{16_000}},
		{"a keyframe after one whose end was lost: the newer counts", []in{{1, true, false, 1000}, {2, true, true, 700}}, []int{5600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k keyframeSize
			var got []int
			for _, p := range tt.packets {
				if bits, done := k.add(&rtp.Packet{Header: rtp.Header{Timestamp: p.ts, Marker: p.marker}}, p.start, p.size); done {
					got = append(got, bits)
				}
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
