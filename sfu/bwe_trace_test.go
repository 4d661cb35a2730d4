package sfu

import (
	"testing"
	"time"
)

// TestBWETraceRing: the trace keeps the last traceLength records, oldest
// first, whether or not it has wrapped.
func TestBWETraceRing(t *testing.T) {
	start := time.Unix(1000, 0)
	for _, n := range []int{0, 1, traceLength - 1, traceLength, traceLength + 1, 3*traceLength + 7} {
		var tr bweTrace
		for i := range n {
			tr.add(BWERecord{At: start.Add(time.Duration(i) * allocationInterval), Estimate: i})
		}
		got := tr.snapshot()
		if want := min(n, traceLength); len(got) != want {
			t.Fatalf("%d added: %d kept, want %d", n, len(got), want)
		}
		for i, r := range got {
			if want := n - len(got) + i; r.Estimate != want {
				t.Fatalf("%d added: record %d is #%d, want #%d", n, i, r.Estimate, want)
			}
		}
	}
}
