// Package udpbatch writes a UDP socket's datagrams in batches, one
// sendmmsg(2) for many, where an SFU would otherwise make one system call
// per packet and subscriber: the packets of one fan-out to every subscriber
// on a shared socket leave together.
//
// Writes are queued (copied) and return at once. The goroutine that
// fanned out sends its fan-out itself when it calls Flush (one sendmmsg,
// no lock held across it), so no other goroutine is woken for it; one
// goroutine sends at a time, so datagrams leave in the order they were
// written: a Flush that finds another send under way returns at once, and
// that send goes on until the queue is empty, its datagrams included. A
// sender goroutine per socket remains for what no Flush sends: a batch
// that fills, the writes nobody flushes (RTCP, STUN, DTLS), sent after a
// short delay, and what a flushing goroutine hands over after maxRounds
// batches. A writer waits only when maxReady full batches are queued, as
// it would in sendto(2) on a full socket buffer.
//
// On Linux the sends and the reads enter the kernel as raw system calls
// on the non-blocking socket (writer_linux.go, internal/rawudp), so that
// the Go scheduler's sysmon is neither woken nor left polling by them.
package udpbatch

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-rtc/switchboard/internal/rawudp"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("udpbatch: connection closed")

// Conn is a *net.UDPConn whose writes are batched. Reads are
// rawudp.Conn's (raw recvfrom(2) on Linux), past a Tap if one is set
// (tap.go); everything else goes straight to the socket.
type Conn struct {
	*rawudp.Conn
	out   batchWriter
	size  int           // datagrams per batch
	delay time.Duration // the longest an unflushed write waits

	mu     sync.Mutex
	room   *sync.Cond // signalled when a full batch leaves the queue, and when a send ends
	cur    *batch
	ready  []*batch // full, in order, not sent yet
	free   []*batch // sent, to fill again
	armed  bool     // the delay timer runs
	closed bool
	// sending: a goroutine (a flushing writer or the sender) is sending
	// and will until the queue is empty; no other may, which keeps the
	// datagrams in the order they were written.
	sending bool

	pending atomic.Int32  // datagrams queued, for a cheap Flush when idle
	wake    chan struct{} // to the sender: there is something to send
	timer   *time.Timer
	done    chan struct{} // closed by Close
	stopped chan struct{} // closed by the sender as it ends

	// What was sent: sendmmsg calls and the datagrams they carried.
	calls, datagrams atomic.Uint64

	tap atomic.Pointer[Tap] // sees each datagram read first (tap.go)
}

// Bounds on what waits: batches kept for reuse, and full batches queued
// before a writer waits for the sender, as a writer waits in sendto(2)
// when the socket's buffer is full (backpressure, not loss).
const (
	maxFree  = 4
	maxReady = 16
)

// maxRounds is how many batches a flushing writer sends before it hands
// what is still queued (other goroutines' writes, queued meanwhile) to the
// sender goroutine: the fan-out's goroutine has its own next packet to
// handle.
const maxRounds = 4

// New wraps conn and starts its sender; Close stops it. It fails only where
// conn is not a socket the system lets it send on.
func New(conn *net.UDPConn, opts ...Option) (*Conn, error) {
	o := options{size: 64, delay: time.Millisecond}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Conn{
		size: o.size, delay: o.delay, cur: newBatch(o.size),
		wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{}),
	}
	out, err := newSocketWriter(conn, o.size)
	if err != nil {
		return nil, err
	}
	c.out = out
	if c.Conn, err = rawudp.NewConn(conn); err != nil {
		return nil, err
	}
	c.room = sync.NewCond(&c.mu)
	c.timer = time.NewTimer(time.Hour)
	c.timer.Stop()
	go c.sender()
	return c, nil
}

// WriteToAddrPort queues b for addr. Pion's ICE mux writes through it.
func (c *Conn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if len(b) > maxDatagram {
		// Too large for a slot (no RTP packet is): written alone, which
		// may put it ahead of what is queued.
		return c.Conn.WriteToAddrPort(b, addr)
	}
	c.mu.Lock()
	for c.cur.full() && len(c.ready) >= maxReady && !c.closed {
		c.signal()
		c.room.Wait()
	}
	if c.closed {
		c.mu.Unlock()
		return 0, ErrClosed
	}
	if c.cur.full() {
		c.ready = append(c.ready, c.cur)
		c.cur = c.freeBatchLocked()
	}
	c.cur.add(b, addr)
	arm := !c.armed
	c.armed = true
	c.mu.Unlock()
	if c.pending.Add(1) >= int32(c.size) {
		c.signal()
	} else if arm {
		c.timer.Reset(c.delay)
	}
	return len(b), nil
}

// WriteTo queues b for addr, a *net.UDPAddr.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	a, ok := addr.(*net.UDPAddr)
	if !ok {
		return c.Conn.WriteTo(b, addr)
	}
	return c.WriteToAddrPort(b, a.AddrPort())
}

// WriteToUDPAddrPort is WriteToAddrPort under net.UDPConn's name.
func (c *Conn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.WriteToAddrPort(b, addr)
}

// WriteToUDP queues b for addr.
func (c *Conn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	return c.WriteToAddrPort(b, addr.AddrPort())
}

// Flush sends what is queued now, in the calling goroutine: the fan-out's
// goroutine makes the sendmmsg, so no goroutine is woken for it (the
// sender was, once per fan-out: about 450 wakeups a second in the standard
// scenario, docs/benchmarks.md). If another goroutine is sending, Flush
// returns at once: that one sends these datagrams too, after its own.
// On a full socket buffer Flush waits for room, as sendto(2) would.
func (c *Conn) Flush() {
	if c.pending.Load() > 0 {
		c.sendQueued(maxRounds, false)
	}
}

func (c *Conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default: // already signalled
	}
}

// sender sends what Flush does not until Close: full batches, what the
// delay's timer finds, what a flushing writer handed over.
func (c *Conn) sender() {
	defer close(c.stopped)
	for {
		select {
		case <-c.wake:
		case <-c.timer.C:
			c.mu.Lock()
			c.armed = false
			c.mu.Unlock()
		case <-c.done:
			c.sendQueued(-1, true)
			return
		}
		c.sendQueued(-1, false)
	}
}

// sendQueued sends the queued batches, oldest first, until the queue is
// empty, unless another goroutine is sending (that one will send them);
// with wait, it waits for that one to end and then sends what is left.
// After rounds batches (no limit: -1) it leaves the rest to the sender
// goroutine. No lock is held across the system call: mu guards only the
// queue and the sending token.
func (c *Conn) sendQueued(rounds int, wait bool) {
	c.mu.Lock()
	for wait && c.sending {
		c.room.Wait()
	}
	if c.sending {
		c.mu.Unlock()
		return
	}
	c.sending = true
	for i := 0; ; i++ {
		if i == rounds && c.cur.n+len(c.ready) > 0 {
			c.endSendLocked()
			c.mu.Unlock()
			c.signal()
			return
		}
		b := c.takeLocked()
		if b == nil {
			c.endSendLocked()
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.send(b)
		c.mu.Lock()
		if len(c.free) < maxFree {
			c.free = append(c.free, b)
		}
	}
}

// endSendLocked gives up the sending token: writers waiting for room and
// a Close waiting for the send may go on.
func (c *Conn) endSendLocked() {
	c.sending = false
	c.room.Broadcast()
}

// takeLocked removes the oldest batch with anything in it; under mu.
func (c *Conn) takeLocked() *batch {
	var b *batch
	switch {
	case len(c.ready) > 0:
		b = c.ready[0]
		c.ready = c.ready[1:]
		c.room.Broadcast()
	case c.cur.n > 0:
		b = c.cur
		c.cur = c.freeBatchLocked()
	default:
		// Nothing left for the delay to send: its timer need not wake
		// the sender (each fan-out's first write arms it, and its Flush
		// sends it all long before).
		if c.armed {
			c.armed = false
			c.timer.Stop()
		}
		return nil
	}
	c.pending.Add(-int32(b.n))
	return b
}

// freeBatchLocked is a sent batch to fill again, or a new one.
func (c *Conn) freeBatchLocked() *batch {
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free = c.free[:n-1]
		return b
	}
	return newBatch(c.size)
}

// send writes one batch, in as many sendmmsg calls as the kernel needs,
// by the holder of the sending token. A datagram the kernel refuses is
// dropped, as a lost UDP packet would be; the rest still go.
func (c *Conn) send(b *batch) {
	for from := 0; from < b.n; {
		n, err := c.out.writeBatch(b, from)
		if err != nil {
			n = max(n, 1)
		}
		c.calls.Add(1)
		from += n
	}
	c.datagrams.Add(uint64(b.n))
	b.reset()
}

// Close sends what is queued, stops the sender and closes the socket.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.Conn.Close()
	}
	c.closed = true
	c.room.Broadcast()
	c.mu.Unlock()
	close(c.done)
	<-c.stopped
	c.timer.Stop()
	return c.Conn.Close()
}
