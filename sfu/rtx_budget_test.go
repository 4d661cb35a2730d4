package sfu

import (
	"testing"
	"time"
)

func TestRTXBudget(t *testing.T) {
	var b rtxBudget
	if !b.take(1 << 30) {
		t.Fatal("without an estimate, a retransmission was held back")
	}
	// 300 kbit/s: a quarter of it over 250 ms is 2343 bytes.
	b.refill(300_000, 250*time.Millisecond)
	for i := range 2 {
		if !b.take(1000) {
			t.Fatalf("packet %d of 1000 bytes refused within the budget", i)
		}
	}
	if b.take(1000) {
		t.Fatal("a third 1000-byte packet went past the budget")
	}
	if !b.take(343) {
		t.Fatal("what is left of the budget was not given")
	}
	b.refill(300_000, 250*time.Millisecond)
	if !b.take(2000) {
		t.Fatal("the next interval's budget was not refilled")
	}
	// 50 kbit/s would allow 390 bytes: a whole packet still goes.
	b.refill(50_000, 250*time.Millisecond)
	if !b.take(1200) || b.take(1200) {
		t.Fatal("the lowest estimate's budget is not one packet")
	}
}
