package udpbatch

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// pair is a batching Conn and the sockets it writes to, on loopback.
func pair(t *testing.T, sinks int, opts ...Option) (*Conn, []*net.UDPConn) {
	t.Helper()
	loop := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	raw, err := net.ListenUDP("udp4", loop)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(raw, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	var out []*net.UDPConn
	for range sinks {
		s, err := net.ListenUDP("udp4", loop)
		if err != nil {
			t.Fatal(err)
		}
		_ = s.SetReadBuffer(4 << 20)
		t.Cleanup(func() { _ = s.Close() })
		out = append(out, s)
	}
	return c, out
}

// receive reads n datagrams (or until a second passes) and returns the
// numbers they carry in their first four bytes.
func receive(t *testing.T, s *net.UDPConn, n int) []uint32 {
	t.Helper()
	var got []uint32
	buf := make([]byte, 2000)
	_ = s.SetReadDeadline(time.Now().Add(time.Second))
	for len(got) < n {
		m, err := s.Read(buf)
		if err != nil {
			break
		}
		got = append(got, binary.BigEndian.Uint32(buf[:m]))
	}
	return got
}

func TestConn(t *testing.T) {
	tests := []struct {
		name    string
		writes  int  // datagrams to each sink
		size    int  // bytes each
		flush   bool // Flush after the writes (else the delay sends them)
		batch   int
		wantMax uint64 // most sendmmsg calls expected; 0 no bound
	}{
		{"one fan-out, flushed", 1, 1100, true, 64, 1},
		{"left to the delay", 1, 1100, false, 64, 1},
		{"more than a batch", 10, 200, true, 16, 0},
		{"too large for a slot: written alone, in order", 3, 1600, true, 64, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, before) }) // after pair's Close
			c, sinks := pair(t, 5, WithBatchSize(tt.batch), WithMaxDelay(5*time.Millisecond))
			payload := make([]byte, tt.size)
			for i := range tt.writes {
				for _, s := range sinks {
					binary.BigEndian.PutUint32(payload, uint32(i))
					if _, err := c.WriteToAddrPort(payload, s.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tt.flush {
				c.Flush()
			}
			for k, s := range sinks {
				got := receive(t, s, tt.writes)
				if len(got) != tt.writes {
					t.Fatalf("sink %d got %d datagrams, want %d", k, len(got), tt.writes)
				}
				for i, v := range got {
					if v != uint32(i) {
						t.Fatalf("sink %d got %v: out of order", k, got)
					}
				}
			}
			if calls, _ := c.Sent(); tt.wantMax > 0 && calls > tt.wantMax {
				t.Fatalf("%d sendmmsg calls, want at most %d", calls, tt.wantMax)
			}
		})
	}
}

// TestConcurrentWriters has writers on several goroutines, as the read
// loops of several published tracks fan out at once: every datagram
// arrives, each writer's in order.
func TestConcurrentWriters(t *testing.T) {
	c, sinks := pair(t, 4, WithBatchSize(16))
	const each = 500
	// Read as the datagrams come: a socket buffer holds only a few
	// hundred.
	got := make([][]uint32, len(sinks))
	var readers sync.WaitGroup
	for k, s := range sinks {
		readers.Add(1)
		go func() {
			defer readers.Done()
			got[k] = receive(t, s, each)
		}()
	}
	var wg sync.WaitGroup
	for w, s := range sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 100)
			for i := range each {
				if i%25 == 0 {
					time.Sleep(time.Millisecond) // let the readers keep up
				}
				binary.BigEndian.PutUint32(buf, uint32(i))
				if _, err := c.WriteToAddrPort(buf, s.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
					t.Error(err)
					return
				}
				if i%7 == w {
					c.Flush()
				}
			}
		}()
	}
	wg.Wait()
	c.Flush()
	readers.Wait()
	// Loopback drops what a socket buffer cannot hold when a reader falls
	// behind (the race detector slows them), as any network may; what
	// arrives must be in order and whole.
	for k, g := range got {
		if len(g) < each*9/10 {
			t.Fatalf("sink %d got %d of %d", k, len(g), each)
		}
		for i := 1; i < len(g); i++ {
			if g[i] <= g[i-1] {
				t.Fatalf("sink %d: datagram %d after %d", k, g[i], g[i-1])
			}
		}
	}
	if calls, n := c.Sent(); calls >= n {
		t.Fatalf("%d calls for %d datagrams: nothing batched", calls, n)
	}
}

func TestWriteAfterClose(t *testing.T) {
	c, sinks := pair(t, 1)
	_ = c.Close()
	if _, err := c.WriteToAddrPort([]byte("x"), sinks[0].LocalAddr().(*net.UDPAddr).AddrPort()); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}

// discard stands in for the socket, which allocates nothing either but
// whose poller's race-detector hooks do (BenchmarkWrite shows the whole
// path at 0 allocations without the race detector).
type discard struct{}

func (discard) writeBatch(b *batch, from int) (int, error) { return b.n - from, nil }

// slowSocket takes its time over each sendmmsg and counts what it sent.
type slowSocket struct{ sent atomic.Int64 }

func (s *slowSocket) writeBatch(b *batch, from int) (int, error) {
	time.Sleep(100 * time.Microsecond)
	s.sent.Add(int64(b.n - from))
	return b.n - from, nil
}

// TestBackpressure: writers far ahead of a slow socket wait for it rather
// than lose datagrams.
func TestBackpressure(t *testing.T) {
	c, sinks := pair(t, 1, WithBatchSize(8))
	slow := &slowSocket{}
	c.out = slow
	to := sinks[0].LocalAddr().(*net.UDPAddr).AddrPort()
	const writes = 8*maxReady*3 + 5
	for range writes {
		if _, err := c.WriteToAddrPort([]byte("datagram"), to); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Close() // sends what is queued
	if got := slow.sent.Load(); got != writes {
		t.Fatalf("%d of %d datagrams sent", got, writes)
	}
}

// TestWritesAllocateNothing: a fan-out queued and flushed reuses the
// batches' buffers and addresses.
func TestWritesAllocateNothing(t *testing.T) {
	c, sinks := pair(t, 1)
	c.out = discard{}
	to := sinks[0].LocalAddr().(*net.UDPAddr).AddrPort()
	payload := make([]byte, 1100)
	fanOut := func() {
		for range 20 {
			_, _ = c.WriteToAddrPort(payload, to)
		}
		c.Flush()
		waitSent(c)
	}
	fanOut()
	if n := testing.AllocsPerRun(1000, fanOut); n != 0 {
		t.Fatalf("%.1f allocations per fan-out of 20", n)
	}
}

// waitSent waits for the sender to have taken everything queued.
func waitSent(c *Conn) {
	for c.pending.Load() > 0 {
		runtime.Gosched()
	}
}

// BenchmarkWrite is one fan-out of 20 datagrams of 1100 bytes, as 20
// sendto calls and batched.
func BenchmarkWrite(b *testing.B) {
	loop := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	for _, batched := range []bool{false, true} {
		b.Run(fmt.Sprintf("batched=%v", batched), func(b *testing.B) {
			raw, _ := net.ListenUDP("udp4", loop)
			sink, _ := net.ListenUDP("udp4", loop)
			defer sink.Close()
			c, _ := New(raw)
			defer c.Close()
			to := sink.LocalAddr().(*net.UDPAddr).AddrPort()
			payload := make([]byte, 1100)
			b.ReportAllocs()
			for b.Loop() {
				for range 20 {
					if batched {
						_, _ = c.WriteToAddrPort(payload, to)
					} else {
						_, _ = raw.WriteToUDPAddrPort(payload, to)
					}
				}
				c.Flush()
				waitSent(c)
			}
		})
	}
}

// TestAddressFamilies: the destination's sockaddr follows the socket's
// family, IPv4-mapped on an IPv6 socket. (Reads are internal/rawudp's,
// tested there.)
func TestAddressFamilies(t *testing.T) {
	tests := []struct {
		name          string
		network       string
		local, sinkIP net.IP
	}{
		{"IPv4", "udp4", net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 1)},
		{"IPv6", "udp6", net.IPv6loopback, net.IPv6loopback},
		{"IPv4 from a dual-stack socket", "udp", net.IPv6unspecified, net.IPv4(127, 0, 0, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := net.ListenUDP(tt.network, &net.UDPAddr{IP: tt.local})
			if err != nil {
				t.Skipf("no such socket here: %v", err)
			}
			c, err := New(raw)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.Close() }()
			sink, err := net.ListenUDP(tt.network, &net.UDPAddr{IP: tt.sinkIP})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = sink.Close() }()
			to := netip.AddrPortFrom(netip.MustParseAddr(tt.sinkIP.String()), uint16(sink.LocalAddr().(*net.UDPAddr).Port))
			payload := make([]byte, 100)
			for i := range 3 {
				binary.BigEndian.PutUint32(payload, uint32(i))
				if _, err := c.WriteToAddrPort(payload, to); err != nil {
					t.Fatal(err)
				}
			}
			c.Flush()
			if got := receive(t, sink, 3); len(got) != 3 || got[2] != 2 {
				t.Fatalf("received %v, want [0 1 2]", got)
			}

		})
	}
}

// TestRefusedDatagram: a datagram the kernel refuses (an IPv6 destination
// from an IPv4 socket) is dropped, and the ones around it in its batch
// still leave.
func TestRefusedDatagram(t *testing.T) {
	c, sinks := pair(t, 1)
	to := sinks[0].LocalAddr().(*net.UDPAddr).AddrPort()
	unreachable := netip.AddrPortFrom(netip.IPv6Loopback(), to.Port())
	payload := make([]byte, 100)
	for i, dst := range []netip.AddrPort{to, unreachable, to, unreachable, unreachable, to} {
		binary.BigEndian.PutUint32(payload, uint32(i))
		if _, err := c.WriteToAddrPort(payload, dst); err != nil {
			t.Fatal(err)
		}
	}
	c.Flush()
	if got := receive(t, sinks[0], 3); fmt.Sprint(got) != "[0 2 5]" {
		t.Fatalf("received %v, want [0 2 5]", got)
	}
	// The count follows the system call that carried the last datagram.
	deadline := time.Now().Add(time.Second)
	for _, n := c.Sent(); n < 6 && time.Now().Before(deadline); _, n = c.Sent() {
		time.Sleep(time.Millisecond)
	}
	if _, datagrams := c.Sent(); datagrams != 6 {
		t.Fatalf("%d datagrams counted as sent, want 6 (refused ones count as lost)", datagrams)
	}
}

// TestDrainStopsTimer: once the sender has sent everything a Flush asked
// for, the delay's timer is stopped (armed no more), so it does not wake
// the sender a millisecond later for nothing.
func TestDrainStopsTimer(t *testing.T) {
	c, sinks := pair(t, 1, WithMaxDelay(time.Hour))
	to := sinks[0].LocalAddr().(*net.UDPAddr).AddrPort()
	for range 5 {
		if _, err := c.WriteToAddrPort([]byte("datagram"), to); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	armed := c.armed
	c.mu.Unlock()
	if !armed {
		t.Fatal("a write left the timer unarmed")
	}
	c.Flush()
	if got := receive(t, sinks[0], 5); len(got) != 5 {
		t.Fatalf("received %d of 5", len(got))
	}
	deadline := time.Now().Add(10 * time.Second) // generous: a loaded CI machine
	for {
		c.mu.Lock()
		armed = c.armed
		c.mu.Unlock()
		if !armed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the timer is still armed after everything was sent")
		}
		time.Sleep(time.Millisecond)
	}
}
