package sfu

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"

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

// TestSeqGuardReader: the interceptor reads past a far jump and counts
// it, with or without the lock of a shared reader; a shared reader may be
// called by two goroutines at once (the race detector watches).
func TestSeqGuardReader(t *testing.T) {
	const far = seqnum.MaxDropout + 1
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			var dropped atomic.Uint64
			i, err := seqGuard{dropped: &dropped, shared: shared}.NewInterceptor("")
			if err != nil {
				t.Fatal(err)
			}
			// Each read of the source gives the next of seqs.
			seqs := []uint16{100, 100 + far, 101, 102}
			var mu sync.Mutex
			next := 0
			src := interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
				mu.Lock()
				defer mu.Unlock()
				if next == len(seqs) {
					return 0, nil, io.EOF
				}
				b[2], b[3] = byte(seqs[next]>>8), byte(seqs[next])
				next++
				return 12, a, nil
			})
			r := i.BindRemoteStream(&interceptor.StreamInfo{}, src)
			read := func() uint16 {
				b := make([]byte, 12)
				if _, _, err := r.Read(b, nil); err != nil {
					t.Error(err)
				}
				return uint16(b[2])<<8 | uint16(b[3])
			}
			if got := read(); got != 100 {
				t.Fatalf("first read %d, want 100", got)
			}
			if got := read(); got != 101 {
				t.Fatalf("second read %d, want 101: the jump read past", got)
			}
			if !shared {
				if got := read(); got != 102 {
					t.Fatalf("third read %d, want 102", got)
				}
			} else {
				seqs = append(seqs, 103)
				var wg sync.WaitGroup
				for range 2 {
					wg.Go(func() { read() })
				}
				wg.Wait()
			}
			if dropped.Load() != 1 {
				t.Fatalf("dropped %d, want 1", dropped.Load())
			}
		})
	}
}
