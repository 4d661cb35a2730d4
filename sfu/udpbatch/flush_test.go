package udpbatch

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// recorder stands in for the socket and keeps the numbers (first four
// bytes) of the datagrams sent, in the order sent. With a gate, each call
// announces itself on entered, waits for release, and says on left that it
// has recorded its datagrams.
type recorder struct {
	entered, release, left chan struct{} // nil: no gate

	mu    sync.Mutex
	got   []uint32
	calls int
}

func (r *recorder) writeBatch(b *batch, from int) (int, error) {
	if r.entered != nil {
		r.entered <- struct{}{}
		<-r.release
	}
	r.mu.Lock()
	r.calls++
	for i := from; i < b.n; i++ {
		r.got = append(r.got, binary.BigEndian.Uint32(b.datagram(i)))
	}
	r.mu.Unlock()
	if r.left != nil {
		r.left <- struct{}{}
	}
	return b.n - from, nil
}

// step lets the call in progress, or the next one, go through the gate.
func (r *recorder) step() {
	<-r.entered
	r.release <- struct{}{}
	<-r.left
}

func (r *recorder) sent() []uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint32(nil), r.got...)
}

// write queues the datagrams numbered from..to-1.
func write(t *testing.T, c *Conn, from, to int) {
	t.Helper()
	dst := (&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}).AddrPort()
	p := make([]byte, 100)
	for i := from; i < to; i++ {
		binary.BigEndian.PutUint32(p, uint32(i))
		if _, err := c.WriteToAddrPort(p, dst); err != nil {
			t.Fatal(err)
		}
	}
}

func inOrder(got []uint32, n int) bool {
	if len(got) != n {
		return false
	}
	for i, v := range got {
		if v != uint32(i) {
			return false
		}
	}
	return true
}

// TestFlushSendsInCaller: a fan-out's datagrams have left, in one
// sendmmsg, when its Flush returns: the flushing goroutine sent them, and
// the sender goroutine was not needed (its delay is an hour, and no batch
// filled).
func TestFlushSendsInCaller(t *testing.T) {
	for _, n := range []int{1, 23, 63} {
		t.Run(fmt.Sprint(n, " datagrams"), func(t *testing.T) {
			c, _ := pair(t, 0, WithBatchSize(64), WithMaxDelay(time.Hour))
			rec := &recorder{}
			c.out = rec
			write(t, c, 0, n)
			c.Flush()
			if got := rec.sent(); !inOrder(got, n) {
				t.Fatalf("sent by the time Flush returned: %v, want 0..%d", got, n-1)
			}
			if rec.calls != 1 {
				t.Fatalf("%d sendmmsg calls, want 1", rec.calls)
			}
			if calls, datagrams := c.Sent(); calls != 1 || datagrams != uint64(n) {
				t.Fatalf("Sent() = %d, %d; want 1, %d", calls, datagrams, n)
			}
		})
	}
}

// TestFlushDuringAnotherSend: while one goroutine's Flush is in its
// system call, another's Flush returns at once, and the first sends the
// second's datagrams after its own, in the order written, up to maxRounds
// batches; what is left then goes through the sender goroutine.
func TestFlushDuringAnotherSend(t *testing.T) {
	const size = 4
	c, _ := pair(t, 0, WithBatchSize(size), WithMaxDelay(time.Hour))
	rec := &recorder{entered: make(chan struct{}), release: make(chan struct{}), left: make(chan struct{})}
	c.out = rec

	write(t, c, 0, 1)
	firstDone := make(chan struct{})
	go func() {
		defer close(firstDone)
		c.Flush()
	}()
	<-rec.entered // the first Flush is in its system call

	// Another fan-out, of maxRounds+1 full batches, and its Flush, which
	// must not wait for the first one's send.
	total := 1 + size*(maxRounds+1)
	write(t, c, 1, total)
	returned := make(chan struct{})
	go func() {
		c.Flush()
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("a Flush waited for another goroutine's send")
	}

	// The first Flush sends maxRounds batches (its own and the next
	// ones), then returns, the rest still queued.
	rec.release <- struct{}{}
	<-rec.left
	for range maxRounds - 1 {
		rec.step()
	}
	<-firstDone
	if got, want := len(rec.sent()), 1+size*(maxRounds-1); got != want {
		t.Fatalf("the first Flush sent %d datagrams, want %d (maxRounds batches)", got, want)
	}
	// The sender goroutine sends the rest: nobody else is flushing.
	for len(rec.sent()) < total {
		rec.step()
	}
	if got := rec.sent(); !inOrder(got, total) {
		t.Fatalf("sent %v, want 0..%d in order", got, total-1)
	}
}

// TestUnflushedAfterFlushes: writes nobody flushes (Pion's RTCP, STUN,
// DTLS) still leave, by the delay, between fan-outs that flush
// themselves, and in the order written.
func TestUnflushedAfterFlushes(t *testing.T) {
	c, _ := pair(t, 0, WithMaxDelay(2*time.Millisecond))
	rec := &recorder{}
	c.out = rec
	write(t, c, 0, 5)
	c.Flush()
	write(t, c, 5, 7) // not flushed
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.sent()) < 7 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := rec.sent(); !inOrder(got, 7) {
		t.Fatalf("sent %v, want 0..6", got)
	}
}
