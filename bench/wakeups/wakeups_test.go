package wakeups

import (
	"bytes"
	"errors"
	"runtime/trace"
	"strings"
	"testing"
)

// pingPong hands a token back and forth n times between itself and one
// goroutine it starts: every receive that finds the channel empty parks
// its goroutine, and the send that fills it wakes it.
func pingPong(n int) {
	ping, pong := make(chan int), make(chan int)
	done := make(chan struct{})
	go ponger(ping, pong, done)
	for i := range n {
		ping <- i
		<-pong
	}
	close(ping)
	<-done
}

func ponger(ping <-chan int, pong chan<- int, done chan<- struct{}) {
	defer close(done)
	for v := range ping {
		pong <- v
	}
}

// TestReadCountsHandOffs traces a ping-pong of n round trips over
// unbuffered channels and finds at least one wakeup of the ponger per
// round trip (it waits for each ping), put down to its start function.
func TestReadCountsHandOffs(t *testing.T) {
	const n = 500
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	pingPong(n)
	trace.Stop()
	s, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var ponger int
	for _, c := range s.ByStart {
		if strings.HasSuffix(c.Start, ".ponger") {
			ponger = c.Wakeups
		}
	}
	// Each ping finds the ponger parked on its receive (the pinger then
	// parks on pong, so the ponger never finds a ping waiting), and the
	// close wakes it once more; a handful of extra wakeups (preemption,
	// GC) is margin.
	if ponger < n || ponger > n+50 {
		t.Errorf("ponger woken %d times for %d pings, want %d to %d; rows %v", ponger, n, n, n+50, s.ByStart)
	}
	if s.Wakeups < ponger || s.PerSecond() <= 0 || s.Span <= 0 {
		t.Errorf("summary %+v: want the ponger's wakeups within the total and a positive span", s)
	}
}

func TestReadRejectsGarbage(t *testing.T) {
	if _, err := Read(strings.NewReader("not a trace")); !errors.Is(err, ErrBadTrace) {
		t.Fatalf("got %v for a page that is not a trace, want ErrBadTrace", err)
	}
}
