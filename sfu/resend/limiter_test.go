package resend

import (
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	ms := int64(time.Millisecond)
	type ask struct {
		seq  uint16
		at   int64 // ms
		want Verdict
		held bool // a Resend the caller's budget held back: not sent
	}
	tests := []struct {
		name string
		asks []ask
	}{
		{"first ask", []ask{{7, 1, Resend, false}}},
		{"repeat within the interval", []ask{{7, 1, Resend, false}, {7, 50, Wait, false}, {7, 100, Wait, false}, {7, 101, Resend, false}}},
		{"three resends, then lost", []ask{{7, 1, Resend, false}, {7, 200, Resend, false}, {7, 400, Resend, false}, {7, 600, Lost, false}, {7, 900, Lost, false}}},
		// The fault behind the narrow link's 2.9 s stalls: resends held
		// back by the budget were counted, and the packet's three were
		// spent in three NACKs with none of them sent.
		{"a resend held back is not counted", []ask{{7, 1, Resend, true}, {7, 101, Resend, true}, {7, 201, Resend, false}, {7, 302, Resend, false}, {7, 403, Resend, false}, {7, 504, Lost, false}}},
		{"held back past StarveAfter: lost", []ask{{7, 1, Resend, true}, {7, 150, Resend, true}, {7, 251, Lost, false}}},
		{"once resent, no starving", []ask{{7, 1, Resend, false}, {7, 300, Resend, true}, {7, 600, Resend, false}}},
		{"other packets are apart", []ask{{7, 1, Resend, false}, {8, 2, Resend, false}, {7, 3, Wait, false}, {8, 4, Wait, false}}},
		{"a slot held against another number", []ask{{7, 1, Resend, false}, {7 + slots, 2, Wait, false}, {7, 3, Wait, false}, {7 + slots, 1001, Resend, false}, {7, 1002, Wait, false}}},
		// Found by FuzzRTCP: two numbers a slot apart, named in turn in one
		// NACK, each reset the other's count and were resent every time.
		{"two numbers a slot apart in turn", []ask{{0, 1, Resend, false}, {slots, 1, Wait, false}, {0, 1, Wait, false}, {slots, 1, Wait, false}, {0, 1, Wait, false}}},
		{"across the sequence wrap", []ask{{65535, 1, Resend, false}, {0, 2, Resend, false}, {65535, 3, Wait, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Limiter
			for i, a := range tt.asks {
				got := l.Check(a.seq, a.at*ms)
				if got != a.want {
					t.Fatalf("ask %d (seq %d at %d ms): %v, want %v", i, a.seq, a.at, got, a.want)
				}
				if got == Resend && !a.held {
					l.Sent(a.seq, a.at*ms)
				}
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	var l Limiter
	b.ReportAllocs()
	now := int64(1)
	for i := 0; b.Loop(); i++ {
		now += int64(time.Millisecond)
		if seq := uint16(i % 300); l.Check(seq, now) == Resend {
			l.Sent(seq, now)
		}
	}
}
