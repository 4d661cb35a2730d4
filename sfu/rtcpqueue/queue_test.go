package rtcpqueue

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/pion/transport/v5/packetio"
)

// packet is n bytes numbered i, so that order and contents can be checked.
func packet(i, n int) []byte {
	p := make([]byte, n)
	for j := range p {
		p[j] = byte(i + j)
	}
	return p
}

// TestBurstDelivered: a reader behind by a burst gets every packet, in
// order and intact, however the ring grew and wrapped; drained, the ring
// is back to nothing (it grew), and the next packet takes the first size.
func TestBurstDelivered(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sizes   []int // packet sizes, cycled
		burst   int
		prefill int // packets written and read first, so the ring wraps
	}{
		{"receiver reports", []int{32}, 500, 0},
		{"mixed sizes wrapping", []int{16, 12, 32, 100, 700, 20}, 300, 3},
		{"one big packet", []int{1500}, 1, 1},
		{"a NACK storm", []int{16}, 2000, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := New()
			buf := make([]byte, 1500)
			mustRead(t, q, buf, nil) // the stream has a reader
			for i := range tc.prefill {
				mustWrite(t, q, packet(i, 20))
				mustRead(t, q, buf, packet(i, 20))
			}
			for i := range tc.burst {
				mustWrite(t, q, packet(i, tc.sizes[i%len(tc.sizes)]))
			}
			if q.Len() != tc.burst {
				t.Fatalf("queued %d, want %d", q.Len(), tc.burst)
			}
			for i := range tc.burst {
				mustRead(t, q, buf, packet(i, tc.sizes[i%len(tc.sizes)]))
			}
			if q.Len() != 0 || q.Cap() > InitialSize {
				t.Fatalf("drained: %d packets, ring %d bytes; want 0 and at most %d", q.Len(), q.Cap(), InitialSize)
			}
			mustWrite(t, q, packet(1, 32))
			if q.Cap() != InitialSize {
				t.Fatalf("ring %d bytes after a drain, want %d", q.Cap(), InitialSize)
			}
		})
	}
}

// mustRead reads one packet, want unless nil, the first read of a fresh
// queue included (it returns nothing: the write below is its packet).
func mustRead(t *testing.T, q *Queue, buf, want []byte) {
	t.Helper()
	if want == nil {
		done := make(chan struct{})
		go func() {
			defer close(done)
			n, err := q.Read(buf)
			if err != nil || n != 1 {
				t.Errorf("first read: %d, %v", n, err)
			}
		}()
		mustWrite(t, q, []byte{0})
		<-done
		return
	}
	n, err := q.Read(buf)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("read %d bytes %x..., want %d bytes %x...", n, buf[:min(n, 4)], len(want), want[:min(len(want), 4)])
	}
}

func mustWrite(t *testing.T, q *Queue, p []byte) {
	t.Helper()
	if n, err := q.Write(p); err != nil || n != len(p) {
		t.Fatalf("write %d bytes: %d, %v", len(p), n, err)
	}
}

// TestSteadyStateHoldsFirstRing: a stream read as packets come never grows
// past its first ring, and allocates nothing after it.
func TestSteadyStateHoldsFirstRing(t *testing.T) {
	q := New()
	buf := make([]byte, 1500)
	mustRead(t, q, buf, nil)
	p := packet(7, 32)
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = q.Write(p)
		_, _ = q.Write(p)
		_, _ = q.Read(buf)
		_, _ = q.Read(buf)
	})
	if allocs != 0 || q.Cap() != InitialSize {
		t.Fatalf("%v allocations a round, ring %d bytes; want 0 and %d", allocs, q.Cap(), InitialSize)
	}
}

// TestLimits: a stream never read keeps at most UnreadLimit bytes; once
// read, up to Limit; past a limit a packet is dropped with packetio.ErrFull
// (pion/srtp's silent drop) and the queued ones stay.
func TestLimits(t *testing.T) {
	q := New()
	p := packet(0, 32)
	fits := UnreadLimit / (len(p) + headerSize)
	for i := range fits {
		if _, err := q.Write(p); err != nil {
			t.Fatalf("unread write %d of %d: %v", i, fits, err)
		}
	}
	if _, err := q.Write(p); !errors.Is(err, packetio.ErrFull) {
		t.Fatalf("unread write past %d bytes: %v, want packetio.ErrFull", UnreadLimit, err)
	}
	if q.Len() != fits || q.Cap() > UnreadLimit {
		t.Fatalf("unread: %d packets in %d bytes, want %d in at most %d", q.Len(), q.Cap(), fits, UnreadLimit)
	}
	buf := make([]byte, 1500)
	mustRead(t, q, buf, p)
	big := packet(1, 1000)
	fits = (Limit - q.Len()*(len(p)+headerSize)) / (len(big) + headerSize)
	for i := range fits {
		if _, err := q.Write(big); err != nil {
			t.Fatalf("read stream, write %d of %d: %v", i, fits, err)
		}
	}
	if _, err := q.Write(big); !errors.Is(err, packetio.ErrFull) {
		t.Fatalf("write past %d bytes: %v, want packetio.ErrFull", Limit, err)
	}
	if _, err := q.Write(make([]byte, 0x10000)); err == nil {
		t.Fatal("a packet longer than 65535 bytes was taken")
	}
}

// TestShortBuffer: a packet longer than the reader's buffer is consumed,
// its start delivered with io.ErrShortBuffer, as packetio.Buffer does; the
// next packet is intact.
func TestShortBuffer(t *testing.T) {
	q := New()
	mustWrite(t, q, packet(0, 100))
	mustWrite(t, q, packet(1, 10))
	buf := make([]byte, 40)
	n, err := q.Read(buf)
	if n != 40 || !errors.Is(err, io.ErrShortBuffer) || !bytes.Equal(buf, packet(0, 100)[:40]) {
		t.Fatalf("short read: %d, %v", n, err)
	}
	mustRead(t, q, buf, packet(1, 10))
}

// TestCloseAndDeadline: Close wakes a blocked reader with io.EOF once the
// queue is drained and fails writes; a deadline set while a read waits
// ends it with a timeout.
func TestCloseAndDeadline(t *testing.T) {
	q := New()
	mustWrite(t, q, packet(0, 20))
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, 100)
		if _, err := q.Read(buf); err != nil {
			errc <- err
			return
		}
		_, err := q.Read(buf)
		errc <- err
	}()
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, io.EOF) {
		t.Fatalf("read after close: %v, want io.EOF after the queued packet", err)
	}
	if _, err := q.Write(packet(0, 20)); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write after close: %v", err)
	}

	q = New()
	go func() {
		_, err := q.Read(make([]byte, 100))
		errc <- err
	}()
	for q.readers() == 0 {
		time.Sleep(time.Millisecond) // until the reader waits: no event tells it
	}
	if err := q.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	var ne net.Error
	if err := <-errc; !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, packetio.ErrTimeout) {
		t.Fatalf("read past its deadline: %v, want a timeout", err)
	}
	_ = q.SetReadDeadline(time.Time{})
	mustWrite(t, q, packet(2, 20))
	mustRead(t, q, make([]byte, 100), packet(2, 20))
}

// readers is 1 once a Read has begun.
func (q *Queue) readers() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.read {
		return 1
	}
	return 0
}
