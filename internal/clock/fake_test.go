package clock

import (
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ticks drains what c holds now, without waiting.
func ticks(c <-chan time.Time) []time.Duration {
	var out []time.Duration
	for {
		select {
		case at := <-c:
			out = append(out, at.Sub(epoch))
		default:
			return out
		}
	}
}

var epoch = time.Unix(1_000_000, 0)

// TestFakeAdvance: a Fake moves only when advanced; a ticker fires at each
// of its times passed, carrying that time, and drops a tick while the last
// is unread, as time.Ticker does; a stopped one fires no more.
func TestFakeAdvance(t *testing.T) {
	tests := []struct {
		name    string
		period  time.Duration
		steps   []time.Duration // advanced by, the ticks read after each
		want    [][]time.Duration
		stopAt  int // stop before this step; -1 never
		running int // tickers running at the end
	}{
		{"short of the period: no tick", 250 * time.Millisecond, []time.Duration{249 * time.Millisecond}, [][]time.Duration{nil}, -1, 1},
		{"on the period: a tick at it", 250 * time.Millisecond, []time.Duration{250 * time.Millisecond, time.Millisecond},
			[][]time.Duration{{250 * time.Millisecond}, nil}, -1, 1},
		{"a step at a time: every tick", 20 * time.Millisecond, []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond},
			[][]time.Duration{{20 * time.Millisecond}, {40 * time.Millisecond}, {60 * time.Millisecond}}, -1, 1},
		{"three periods at once: the first kept, the rest dropped unread", 20 * time.Millisecond, []time.Duration{60 * time.Millisecond},
			[][]time.Duration{{20 * time.Millisecond}}, -1, 1},
		{"stopped: no more ticks", 20 * time.Millisecond, []time.Duration{20 * time.Millisecond, 100 * time.Millisecond},
			[][]time.Duration{{20 * time.Millisecond}, nil}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFake(epoch)
			tk := f.NewTicker(tt.period)
			defer tk.Stop()
			elapsed := time.Duration(0)
			for i, d := range tt.steps {
				if i == tt.stopAt {
					tk.Stop()
				}
				f.Advance(d)
				elapsed += d
				if got := ticks(tk.C()); !slices.Equal(got, tt.want[i]) {
					t.Fatalf("step %d (to %v): ticks at %v, want %v", i, elapsed, got, tt.want[i])
				}
				if got := f.Now().Sub(epoch); got != elapsed {
					t.Fatalf("step %d: now %v, want %v", i, got, elapsed)
				}
			}
			if running, made := f.Tickers(); running != tt.running || made != 1 {
				t.Fatalf("%d tickers running, %d made; want %d, 1", running, made, tt.running)
			}
		})
	}
}

// TestFakeTwoTickers: within one Advance, each ticker fires at its own
// times, and each tick carries the time it fell due, not the end of the
// Advance.
func TestFakeTwoTickers(t *testing.T) {
	f := NewFake(epoch)
	slow, fast := f.NewTicker(250*time.Millisecond), f.NewTicker(100*time.Millisecond)
	defer slow.Stop()
	defer fast.Stop()
	f.Advance(300 * time.Millisecond)
	if got := ticks(fast.C()); !slices.Equal(got, []time.Duration{100 * time.Millisecond}) {
		t.Fatalf("fast ticker: %v, want [100ms] (200 and 300 dropped unread)", got)
	}
	if got := ticks(slow.C()); !slices.Equal(got, []time.Duration{250 * time.Millisecond}) {
		t.Fatalf("slow ticker: %v, want [250ms]", got)
	}
	f.Advance(100 * time.Millisecond)
	if got := ticks(fast.C()); !slices.Equal(got, []time.Duration{400 * time.Millisecond}) {
		t.Fatalf("fast ticker after reading: %v, want [400ms]", got)
	}
}

// TestRealClock: Real reads the system's time and ticks on it.
func TestRealClock(t *testing.T) {
	var c Clock = Real{}
	before := time.Now()
	if now := c.Now(); now.Before(before) {
		t.Fatalf("Real.Now %v before time.Now %v", now, before)
	}
	tk := c.NewTicker(time.Millisecond)
	defer tk.Stop()
	select {
	case <-tk.C():
	case <-time.After(10 * time.Second): // generous: a loaded CI machine
		t.Fatal("no tick from Real's ticker")
	}
}
