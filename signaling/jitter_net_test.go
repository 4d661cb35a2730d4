package signaling_test

import (
	"bytes"
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// Loss and jitter of the bad link in TestBadActor's lossy row.
const (
	lossyShare  = 0.20
	lossyJitter = 100 * time.Millisecond
)

// errUnshaped: a jitterConn call that would bypass the shaping.
var errUnshaped = errors.New("jitterConn: not shaped, not supported")

// jitterNet is the host network of one client behind a bad link: each UDP
// socket it opens drops a share of what arrives and delivers the rest
// after a random delay of 0 to maxDelay, reordering it; what the client
// sends leaves after such a delay too. Only that client's packets pass
// through it: the server and the control pair stay on the real loopback
// network, so their latency is the server's, not a simulation's (vnet
// routes every packet of every host on it in Go).
//
// Pion ICE opens its host candidates' sockets with ListenUDP (pion/ice
// gather.go, listenUDPInPortRange) and reads and writes them with ReadFrom
// and WriteTo (candidate_base.go); the rest of the Net (TURN's
// ListenPacket, DialUDP, TCP) passes through unshaped: the row uses none.
type jitterNet struct {
	transport.Net
	loss     float64       // share of arriving packets dropped
	maxDelay time.Duration // of each packet, either way
	seeds    atomic.Uint64 // each socket's random source, in the order opened
	// arrived counts the packets read from the sockets, dropped those of
	// them dropped (counted first: arrived is final once it is counted),
	// overflowed those lost behind a slow reader (jitterReady).
	arrived, dropped, overflowed atomic.Uint64
}

// newJitterNet wraps the host network; seed makes the drops and delays of
// the n-th socket opened the same from run to run.
func newJitterNet(loss float64, maxDelay time.Duration, seed uint64) (*jitterNet, error) {
	std, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	n := &jitterNet{Net: std, loss: loss, maxDelay: maxDelay}
	n.seeds.Store(seed)
	return n, nil
}

func (n *jitterNet) ListenUDP(network string, addr *net.UDPAddr) (transport.UDPConn, error) {
	sock, err := n.Net.ListenUDP(network, addr)
	if err != nil {
		return nil, err
	}
	seed := n.seeds.Add(1)
	c := &jitterConn{
		UDPConn: sock, net: n,
		in:     rand.New(rand.NewPCG(seed, 1)),
		out:    rand.New(rand.NewPCG(seed, 2)),
		ready:  make(chan datagram, jitterReady),
		wake:   make(chan struct{}, 1),
		closed: make(chan struct{}), pumped: make(chan struct{}),
	}
	c.wg.Go(c.pump)
	c.wg.Go(c.release)
	return c, nil
}

// String is what the link did so far, for the test's log.
func (n *jitterNet) String() string {
	arrived, dropped := n.arrived.Load(), n.dropped.Load()
	return fmt.Sprintf("%d packets arrived, %d dropped (%.1f %%), %d lost behind the reader",
		arrived, dropped, 100*float64(dropped)/float64(max(arrived, 1)), n.overflowed.Load())
}

// jitterReady is how many released packets wait for the reader: past it
// they are lost, as a socket's full receive buffer loses them (counted:
// ICE reads without pause, so none should be).
const jitterReady = 1024

// jitterConn is one socket of a jitterNet. Two goroutines serve it until
// Close: pump reads the socket, drops, and queues what is left; release
// hands each queued packet, in both directions, on at its time. A packet's
// delay holds no other: the queue is ordered by release time.
type jitterConn struct {
	transport.UDPConn // the socket: its address, buffers and deadlines
	net               *jitterNet
	in                *rand.Rand // pump's alone
	ready             chan datagram
	wake              chan struct{} // a packet was queued
	closed            chan struct{}
	pumped            chan struct{} // pump ended, with readErr
	readErr           error
	closeOnce         sync.Once
	wg                sync.WaitGroup

	mu    sync.Mutex
	out   *rand.Rand
	queue datagrams
}

// datagram is a packet on its way through the link.
type datagram struct {
	b    []byte
	addr net.Addr // the sender (in) or the destination (out)
	at   time.Time
	out  bool
}

// datagrams is a heap of packets, the first to release at its top.
type datagrams []datagram

func (d datagrams) Len() int           { return len(d) }
func (d datagrams) Less(i, j int) bool { return d[i].at.Before(d[j].at) }
func (d datagrams) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d *datagrams) Push(x any)        { *d = append(*d, x.(datagram)) }
func (d *datagrams) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

// delay is a packet's time on the link, uniform in [0, maxDelay].
func (c *jitterConn) delay(r *rand.Rand) time.Duration {
	return time.Duration(r.Int64N(int64(c.net.maxDelay) + 1))
}

// enqueue adds d and wakes release, which may have to fire sooner.
func (c *jitterConn) enqueue(d datagram) {
	c.mu.Lock()
	heap.Push(&c.queue, d)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // a wake is pending already
	}
}

// pump reads the socket until it fails (closed, or a deadline ICE sets to
// stop reading).
func (c *jitterConn) pump() {
	defer close(c.pumped)
	buf := make([]byte, 1<<16)
	for {
		n, addr, err := c.UDPConn.ReadFrom(buf)
		if err != nil {
			c.readErr = err
			return
		}
		if c.in.Float64() < c.net.loss {
			c.net.dropped.Add(1)
			c.net.arrived.Add(1)
			continue
		}
		c.net.arrived.Add(1)
		c.enqueue(datagram{b: bytes.Clone(buf[:n]), addr: addr, at: time.Now().Add(c.delay(c.in))})
	}
}

// release hands on each queued packet at its time, the socket written
// outside the lock.
func (c *jitterConn) release() {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var due []datagram
	for {
		select {
		case <-c.closed:
			return
		case <-c.wake:
		case <-timer.C:
		}
		now := time.Now()
		c.mu.Lock()
		for c.queue.Len() > 0 && !c.queue[0].at.After(now) {
			due = append(due, heap.Pop(&c.queue).(datagram))
		}
		if c.queue.Len() > 0 {
			timer.Reset(c.queue[0].at.Sub(now))
		}
		c.mu.Unlock()
		for _, d := range due {
			if d.out {
				_, _ = c.UDPConn.WriteTo(d.b, d.addr) // a failed send is a lost packet
				continue
			}
			select {
			case c.ready <- d:
			default: // the reader is behind: lost, as in a full receive buffer
				c.net.overflowed.Add(1)
			}
		}
		clear(due)
		due = due[:0]
	}
}

// ReadFrom returns the next packet released; once the socket has failed,
// its error.
func (c *jitterConn) ReadFrom(p []byte) (int, net.Addr, error) {
	select {
	case <-c.closed: // first: packets may still wait in ready
		return 0, nil, net.ErrClosed
	default:
	}
	select {
	case d := <-c.ready:
		return copy(p, d.b), d.addr, nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-c.pumped:
		return 0, nil, c.readErr
	}
}

// WriteTo queues p for addr, to leave after its delay.
func (c *jitterConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	c.mu.Lock()
	d := c.delay(c.out)
	c.mu.Unlock()
	c.enqueue(datagram{b: bytes.Clone(p), addr: addr, at: time.Now().Add(d), out: true})
	return len(p), nil
}

func (c *jitterConn) ReadFromUDP(p []byte) (int, *net.UDPAddr, error) {
	n, addr, err := c.ReadFrom(p)
	udp, _ := addr.(*net.UDPAddr)
	return n, udp, err
}

func (c *jitterConn) WriteToUDP(p []byte, addr *net.UDPAddr) (int, error) { return c.WriteTo(p, addr) }

func (c *jitterConn) Read([]byte) (int, error)  { return 0, errUnshaped }
func (c *jitterConn) Write([]byte) (int, error) { return 0, errUnshaped }

func (c *jitterConn) ReadMsgUDP(_, _ []byte) (int, int, int, *net.UDPAddr, error) {
	return 0, 0, 0, nil, errUnshaped
}

func (c *jitterConn) WriteMsgUDP(_, _ []byte, _ *net.UDPAddr) (int, int, error) {
	return 0, 0, errUnshaped
}

// Close closes the socket and waits for both goroutines; what was still
// on the link is lost.
func (c *jitterConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		close(c.closed)
		err = c.UDPConn.Close()
		c.wg.Wait()
	})
	return err
}
