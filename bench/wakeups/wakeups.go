// Package wakeups counts goroutine wakeups in a Go execution trace (the
// format of runtime/trace and /debug/pprof/trace): every transition of a
// goroutine from waiting to runnable, the hand-off whose cost the
// scheduler's share of a profile is (issue #13, "Fewer hand-offs on the way
// in"). Each wakeup is put down to the function the woken goroutine was
// started with, so that a packet's path through goroutines (UDP mux read
// loop, ICE candidate, Pion's mux, SRTP session, the track's reader) shows
// as one row each.
package wakeups

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"golang.org/x/exp/trace"
)

// ErrBadTrace means the trace could not be read.
var ErrBadTrace = errors.New("wakeups: bad trace")

// unknownStart names goroutines whose start function the trace does not
// show: created before it began, and woken before any event with a stack
// of theirs.
const unknownStart = "(unknown)"

// Summary is what a trace holds.
type Summary struct {
	// Span is the time from the trace's first event to its last.
	Span time.Duration
	// Wakeups counts the goroutines made runnable from waiting.
	Wakeups int
	// ByStart counts them by the woken goroutine's start function, most
	// first.
	ByStart []Count
}

// Count is the wakeups of the goroutines started with one function.
type Count struct {
	Start   string
	Wakeups int
}

// PerSecond is the rate of wakeups over the trace's span.
func (s Summary) PerSecond() float64 {
	if s.Span <= 0 {
		return 0
	}
	return float64(s.Wakeups) / s.Span.Seconds()
}

// Read reads a whole trace.
func Read(r io.Reader) (Summary, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return Summary{}, fmt.Errorf("%w: %w", ErrBadTrace, err)
	}
	starts := map[trace.GoID]string{}
	counts := map[string]int{}
	var s Summary
	var first, last trace.Time
	for n := 0; ; n++ {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Summary{}, fmt.Errorf("%w: %w", ErrBadTrace, err)
		}
		if n == 0 {
			first = ev.Time()
		}
		last = ev.Time()
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		id := st.Resource.Goroutine()
		from, to := st.Goroutine()
		switch {
		case from == trace.GoNotExist:
			// A creation: its transition's stack is where the new
			// goroutine starts, its start function the innermost frame.
			starts[id] = startFunc(st.Stack)
		case starts[id] == "" && st.Stack != trace.NoStack:
			// A goroutine created before the trace: where it blocks
			// (or stood as the trace began) is a stack whose
			// outermost frame is its start function.
			starts[id] = outermost(st.Stack)
		}
		switch {
		case from == trace.GoWaiting && to == trace.GoRunnable:
			s.Wakeups++
			start := starts[id]
			if start == "" {
				start = unknownStart
			}
			counts[start]++
		}
	}
	s.Span = time.Duration(last - first)
	for start, n := range counts {
		s.ByStart = append(s.ByStart, Count{Start: start, Wakeups: n})
	}
	slices.SortFunc(s.ByStart, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Wakeups, a.Wakeups), cmp.Compare(a.Start, b.Start))
	})
	return s, nil
}

// startFunc is the function a goroutine starts in: the one frame of a
// creation's stack.
func startFunc(st trace.Stack) string {
	for f := range st.Frames() {
		return f.Func
	}
	return ""
}

// outermost is the last frame of a goroutine's stack, its start function.
func outermost(st trace.Stack) string {
	last := ""
	for f := range st.Frames() {
		if f.Func != "runtime.goexit" {
			last = f.Func
		}
	}
	return last
}
