package resend

import (
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	ms := int64(time.Millisecond)
	type ask struct {
		seq  uint16
		at   int64 // ms
		want bool
	}
	tests := []struct {
		name string
		asks []ask
	}{
		{"first ask", []ask{{7, 1, true}}},
		{"repeat within the interval", []ask{{7, 1, true}, {7, 50, false}, {7, 100, false}, {7, 101, true}}},
		{"at most three resends", []ask{{7, 1, true}, {7, 200, true}, {7, 400, true}, {7, 600, false}, {7, 5000, false}}},
		{"other packets are apart", []ask{{7, 1, true}, {8, 2, true}, {7, 3, false}, {8, 4, false}}},
		{"a slot held against another number", []ask{{7, 1, true}, {7 + slots, 2, false}, {7, 3, false}, {7 + slots, 1001, true}, {7, 1002, false}}},
		// Found by FuzzRTCP: two numbers a slot apart, named in turn in one
		// NACK, each reset the other's count and were resent every time.
		{"two numbers a slot apart in turn", []ask{{0, 1, true}, {slots, 1, false}, {0, 1, false}, {slots, 1, false}, {0, 1, false}}},
		{"across the sequence wrap", []ask{{65535, 1, true}, {0, 2, true}, {65535, 3, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Limiter
			for i, a := range tt.asks {
				if got := l.Allow(a.seq, a.at*ms); got != a.want {
					t.Fatalf("ask %d (seq %d at %d ms): %v, want %v", i, a.seq, a.at, got, a.want)
				}
			}
		})
	}
}

func BenchmarkAllow(b *testing.B) {
	var l Limiter
	b.ReportAllocs()
	now := int64(1)
	for i := 0; b.Loop(); i++ {
		now += int64(time.Millisecond)
		l.Allow(uint16(i%300), now)
	}
}
