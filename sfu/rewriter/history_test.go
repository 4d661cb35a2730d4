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
		{"a ring turn earlier", []mapping{{outExt: base + 5, inSeq: 77, source: 1}}, base + 5 + historySize, 1, 0, false},
		{"overwritten", []mapping{{outExt: base + 5, inSeq: 77, source: 1}, {outExt: base + 5 + historySize, inSeq: 78, source: 1}}, base + 5 + historySize, 1, 78, true},
		{"past 2^32 packets", []mapping{{outExt: 5, inSeq: 9, source: 3}}, 1<<32 + 5, 3, 9, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h history
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

// Every DownTrack keeps a history: 8 bytes an entry keep it at 8 KB.
func TestHistorySize(t *testing.T) {
	if got := unsafe.Sizeof(history{}); got != 8*historySize {
		t.Fatalf("history takes %d bytes, want %d", got, 8*historySize)
	}
}
