package sfu

import (
	"testing"
	"time"

	"github.com/switchboard-rtc/switchboard/internal/seqnum"
)

// TestSeqWindow: each row feeds a stream's sequence numbers, at the given
// times, and says which of them pass.
func TestSeqWindow(t *testing.T) {
	type pkt struct {
		seq  uint16
		at   time.Duration // since the stream's first packet
		pass bool
	}
	const far = seqnum.MaxDropout + 1
	tests := []struct {
		name string
		pkts []pkt
	}{
		{"in order, across the wrap", []pkt{{65534, 0, true}, {65535, 0, true}, {0, 0, true}, {1, 0, true}}},
		{"a loss of MaxDropout packets", []pkt{{10, 0, true}, {10 + seqnum.MaxDropout, 0, true}, {11 + seqnum.MaxDropout, 0, true}}},
		{"duplicates and late packets pass", []pkt{{100, 0, true}, {100, 0, true}, {90, 0, true}, {45636, 0, true}, {101, 0, true}}},
		{"a far jump alone is dropped", []pkt{{100, 0, true}, {100 + far, 0, false}, {101, 0, true}, {102, 0, true}}},
		{"a far jump the next packet follows is a restart", []pkt{{100, 0, true}, {20000, time.Second, false}, {20001, time.Second, true}, {20002, time.Second, true}, {101, time.Second, true}}},
		{"random numbers: only the near ones pass", []pkt{{100, 0, true}, {30000, 0, false}, {5000, 0, false}, {2000, 0, true}, {60000, 0, true}, {9000, 0, false}}},
		{"a second restart within restartInterval waits", []pkt{
			{100, 0, true},
			{20000, time.Second, false}, {20001, time.Second, true},
			{40000, time.Second + 10*time.Millisecond, false}, {40001, time.Second + 20*time.Millisecond, false},
			{40002, 2 * time.Second, true}, {40003, 2 * time.Second, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w seqWindow
			start := time.Now()
			for i, p := range tt.pkts {
				if got := w.accept(p.seq, func() time.Time { return start.Add(p.at) }); got != p.pass {
					t.Fatalf("packet %d (seq %d): pass %v, want %v", i, p.seq, got, p.pass)
				}
			}
		})
	}
}
