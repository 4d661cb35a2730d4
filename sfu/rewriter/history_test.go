package rewriter

import (
	"testing"
	"unsafe"
)

func TestHistoryLookup(t *testing.T) {
	const base = 1 << 16
	tests := []struct {
		name   string
		record []mapping // outExt here is the full number's low bits; source as counted
		outExt uint64
		source uint32
		want   uint16
		ok     bool
	}{
		{"empty", nil, base + 5, 1, 0, false},
		{"recorded", []mapping{{outExt: base + 5, inSeq: 77, source: 1}}, base + 5, 1, 77, true},
		{"another source", []mapping{{outExt: base + 5, inSeq: 77, source: 1}}, base + 5, 2, 0, false},
		{"a ring turn earlier", []mapping{{outExt: base + 5, inSeq: 77, source: 1}}, base + 5 + DefaultHistory, 1, 0, false},
		{"overwritten", []mapping{{outExt: base + 5, inSeq: 77, source: 1}, {outExt: base + 5 + DefaultHistory, inSeq: 78, source: 1}}, base + 5 + DefaultHistory, 1, 78, true},
		{"past 2^32 packets", []mapping{{outExt: 5, inSeq: 9, source: 3}}, 1<<32 + 5, 3, 9, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistory(DefaultHistory)
			for _, m := range tt.record {
				h.record(uint64(m.outExt), m.inSeq, uint32(m.source))
			}
			got, ok := h.lookup(tt.outExt, tt.source)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("lookup = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// A history's entries take 8 bytes, and its length is the power of two at
// or above what was asked for.
func TestHistorySize(t *testing.T) {
	if got := unsafe.Sizeof(mapping{}); got != 8 {
		t.Fatalf("a mapping takes %d bytes, want 8", got)
	}
	tests := []struct{ ask, want int }{{0, 16}, {1, 16}, {16, 16}, {100, 128}, {512, 512}, {1024, 1024}, {1025, 2048}}
	for _, tt := range tests {
		if got := len(newHistory(tt.ask)); got != tt.want {
			t.Errorf("newHistory(%d) holds %d, want %d", tt.ask, got, tt.want)
		}
	}
}
