package bwe

import "testing"

func TestSendHistory(t *testing.T) {
	tests := []struct {
		name     string
		sent     int    // packets added, the i-th at time i, size 1000+i%7
		lookup   uint16 // 16-bit sequence number asked for
		wantN    int64
		wantFind bool
	}{
		{"the first packet", 10, 0, 0, true},
		{"the newest packet", 10, 9, 9, true},
		{"not sent yet", 10, 10, 0, false},
		{"far ahead", 10, 3000, 0, false},
		{"the newest after the 16-bit number wraps", 70_000, 69_999 - 65_536, 69_999, true},
		{"still in the ring after the wrap", 70_000, 70_000 - historySize - 65_536, 70_000 - historySize, true},
		{"fallen out of the ring", 70_000, 70_000 - historySize - 1 - 65_536, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewSendHistory()
			for i := range tt.sent {
				if got := h.Add(int64(i), 1000+i%7); got != uint16(i) {
					t.Fatalf("packet %d numbered %d", i, got)
				}
			}
			n, at, size, ok := h.Lookup(tt.lookup)
			if ok != tt.wantFind {
				t.Fatalf("Lookup(%d) found %v, want %v", tt.lookup, ok, tt.wantFind)
			}
			if ok && (n != tt.wantN || at != tt.wantN || size != 1000+int(tt.wantN%7)) {
				t.Fatalf("Lookup(%d) = n %d at %d size %d, want n %d", tt.lookup, n, at, size, tt.wantN)
			}
		})
	}
}

func BenchmarkSendSideOnSent(b *testing.B) {
	s := NewSendSide()
	b.ReportAllocs()
	var at int64
	for b.Loop() {
		at += 1000
		s.OnSent(at, 1200)
	}
}
