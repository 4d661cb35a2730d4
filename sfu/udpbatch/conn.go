// Package udpbatch writes a UDP socket's datagrams in batches, one
// sendmmsg(2) for many, where an SFU would otherwise make one system call
// per packet and subscriber: the packets of one fan-out to every subscriber
// on a shared socket leave together.
//
// Writes are queued (copied) and go out when the writer that fanned out
// calls Flush, when a batch fills, or at the latest after a short delay
// for the writes nobody flushes (RTCP, STUN, DTLS). Batches leave in the
// order they were filled, and no lock is held during the system call.
package udpbatch

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("udpbatch: connection closed")

// batchWriter is what ipv4.PacketConn and ipv6.PacketConn share.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// Conn is a *net.UDPConn whose writes are batched. Reads and everything
// else go straight to the socket.
type Conn struct {
	*net.UDPConn
	out   batchWriter
	size  int           // datagrams per batch
	delay time.Duration // the longest an unflushed write waits

	mu      sync.Mutex
	cur     *batch
	ready   []*batch // full, in order, not sent yet
	armed   bool     // the delay timer runs
	closed  bool
	pending atomic.Int32 // datagrams queued, for a cheap Flush when idle

	free   []*batch // sent batches to fill again
	timer  *time.Timer
	stats  Stats
	errors atomic.Uint64
}

// New wraps conn.
func New(conn *net.UDPConn, opts ...Option) *Conn {
	o := options{size: 64, delay: time.Millisecond}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Conn{UDPConn: conn, size: o.size, delay: o.delay}
	if a, ok := conn.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		c.out = ipv6BatchWriter{ipv6.NewPacketConn(conn)}
	} else {
		c.out = ipv4.NewPacketConn(conn)
	}
	c.cur = newBatch(c.size)
	c.timer = time.AfterFunc(time.Hour, c.onTimer)
	c.timer.Stop()
	return c
}

type ipv6BatchWriter struct{ *ipv6.PacketConn }

func (w ipv6BatchWriter) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	return w.PacketConn.WriteBatch(ms, flags)
}

// WriteToAddrPort queues b for addr. Pion's ICE mux writes through it.
func (c *Conn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if len(b) > maxDatagram {
		// Rare (a large DTLS flight): keep order, then write it alone.
		c.Flush()
		return c.UDPConn.WriteToUDPAddrPort(b, addr)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, ErrClosed
	}
	c.cur.add(b, addr)
	if c.cur.full() {
		c.ready = append(c.ready, c.cur)
		c.cur = c.freeBatchLocked()
	}
	arm := !c.armed
	c.armed = true
	c.mu.Unlock()
	if c.pending.Add(1) >= int32(c.size) {
		c.Flush()
	} else if arm {
		c.timer.Reset(c.delay)
	}
	return len(b), nil
}

// ReadFromAddrPort reads straight from the socket.
func (c *Conn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.UDPConn.ReadFromUDPAddrPort(b)
}

// WriteTo queues b for addr, a *net.UDPAddr.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	a, ok := addr.(*net.UDPAddr)
	if !ok {
		return c.UDPConn.WriteTo(b, addr)
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

func (c *Conn) onTimer() {
	c.mu.Lock()
	c.armed = false
	c.mu.Unlock()
	c.Flush()
}

// Flush sends what is queued. Each caller sends the batches it takes,
// oldest first, so that a sender that is descheduled holds up only its own
// batch, never the others': two flushes that overlap may put a datagram
// from one fan-out behind one from the next (the receiver's jitter buffer
// puts them back in order).
func (c *Conn) Flush() {
	for c.pending.Load() > 0 {
		b := c.take()
		if b == nil {
			return
		}
		c.send(b)
	}
}

// take removes the oldest batch with anything in it.
func (c *Conn) take() *batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ready) > 0 {
		b := c.ready[0]
		c.ready = c.ready[1:]
		c.pending.Add(-int32(b.n))
		return b
	}
	if c.cur.n == 0 {
		return nil
	}
	b := c.cur
	c.cur = c.freeBatchLocked()
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

// maxFree bounds the batches kept for reuse: more are only needed when
// writers outrun the socket, and then briefly.
const maxFree = 4

// send writes one batch, in as many sendmmsg calls as the kernel needs.
// A datagram the kernel refuses is dropped, as a lost UDP packet would
// be; the rest still go.
func (c *Conn) send(b *batch) {
	msgs := b.msgs[:b.n]
	for len(msgs) > 0 {
		n, err := c.out.WriteBatch(msgs, 0)
		if err != nil {
			c.errors.Add(1)
			n = max(n, 1)
		}
		c.stats.calls.Add(1)
		msgs = msgs[n:]
	}
	c.stats.datagrams.Add(uint64(b.n))
	b.reset()
	c.mu.Lock()
	if len(c.free) < maxFree {
		c.free = append(c.free, b)
	}
	c.mu.Unlock()
}

// Close sends what is queued and closes the socket.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.timer.Stop()
	c.Flush()
	return c.UDPConn.Close()
}
