package wakeups

import (
	"bytes"
	"errors"
	"runtime"
	"runtime/trace"
	"strings"
	"testing"
)

// pingPong hands a token back and forth n times between itself and a
// ponger goroutine: every receive that finds the channel empty parks its
// goroutine, and the send that fills it wakes it.
type pingPong struct {
	ping, pong chan int
	done       chan struct{}
}

func startPonger() *pingPong {
	p := &pingPong{ping: make(chan int), pong: make(chan int), done: make(chan struct{})}
	go ponger(p.ping, p.pong, p.done)
	return p
}

func (p *pingPong) run(n int) {
	for i := range n {
		p.ping <- i
		<-p.pong
	}
}

func (p *pingPong) stop() {
	close(p.ping)
	<-p.done
}

func ponger(ping <-chan int, pong chan<- int, done chan<- struct{}) {
	defer close(done)
	for v := range ping {
		pong <- v
	}
}

// TestReadCountsHandOffs traces a ping-pong of n round trips over
// unbuffered channels and finds one wakeup of the ponger per round trip
// (it waits for each ping), put down to its start function, whether the
// ponger started while tracing (its creation names it) or before (the
// stack it blocks in does).
func TestReadCountsHandOffs(t *testing.T) {
	for _, before := range []bool{false, true} {
		t.Run(map[bool]string{false: "started while tracing", true: "started before"}[before], func(t *testing.T) {
			testHandOffs(t, before)
		})
	}
}

func testHandOffs(t *testing.T, startBefore bool) {
	const n = 500
	// One P: the ponger, once it has sent a pong, runs on until it parks
	// on the next ping, so each ping finds it parked. With two, the pinger
	// could send before the ponger parked, and that ping woke nobody: 499
	// of 500 in a CI run.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var p *pingPong
	if startBefore {
		p = startPonger()
		p.run(1) // it waits for a ping
	}
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	if !startBefore {
		p = startPonger()
	}
	p.run(n)
	p.stop()
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
	// close wakes it once more; but the first ping finds a ponger started
	// just before it not yet parked, and a preemption between its pong
	// and its receive (one P, rare) spares a wakeup too: a margin of 5
	// below n; a handful of extra wakeups (GC) is margin above.
	if ponger < n-5 || ponger > n+50 {
		t.Errorf("ponger woken %d times for %d pings, want %d to %d; rows %v", ponger, n, n-5, n+50, s.ByStart)
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
