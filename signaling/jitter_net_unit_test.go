package signaling_test

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/transport/v5"
)

// jitterPair is a socket behind a fresh jitterNet and a plain one, both on
// loopback, closed at cleanup.
func jitterPair(t *testing.T) (*jitterNet, transport.UDPConn, *net.UDPConn) {
	t.Helper()
	link, err := newJitterNet(lossyShare, lossyJitter, lossySeed)
	if err != nil {
		t.Fatal(err)
	}
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	shaped, err := link.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shaped.Close() })
	plain, err := net.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Close() })
	return link, shaped, plain
}

// TestJitterNetDropsAndReorders: a jitterNet socket drops about lossyShare
// of the packets that arrive and delivers each of the others once,
// reordered.
func TestJitterNetDropsAndReorders(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	link, shaped, plain := jitterPair(t)
	var (
		mu      sync.Mutex
		got     []uint32
		readers sync.WaitGroup
	)
	readers.Go(func() {
		buf := make([]byte, 64)
		for {
			m, _, err := shaped.ReadFrom(buf)
			if err != nil {
				return // closed below
			}
			mu.Lock()
			got = append(got, binary.BigEndian.Uint32(buf[:m]))
			mu.Unlock()
		}
	})
	defer readers.Wait()
	defer shaped.Close()
	// n packets, in chunks each read off the socket before the next is
	// sent: the socket's buffer loses none.
	const n, chunk = 2000, 100
	for i := range uint32(n) {
		if _, err := plain.WriteTo(binary.BigEndian.AppendUint32(nil, i), shaped.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if (i+1)%chunk == 0 {
			waitFor(ctx, t, "the chunk to arrive", func() bool { return link.arrived.Load() == uint64(i+1) })
		}
	}
	dropped := link.dropped.Load()
	kept := n - int(dropped)
	waitFor(ctx, t, "the packets kept", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= kept })
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%v; %d delivered, %d after one sent later", link, len(got), inversions(got))
	// The dropped count is binomial(n, lossyShare): mean 400, standard
	// deviation 17.9; 4 of them either side (329 to 471) fail a correct
	// link once in 16,000 seeds.
	mean, sd := n*lossyShare, math.Sqrt(n*lossyShare*(1-lossyShare))
	if math.Abs(float64(dropped)-mean) > 4*sd {
		t.Errorf("dropped %d of %d, want %.0f ± %.0f", dropped, n, mean, 4*sd)
	}
	checkReordered(t, got, kept)
}

// TestJitterNetDelaysSends: what a jitterNet socket sends all arrives,
// reordered.
func TestJitterNetDelaysSends(t *testing.T) {
	checkLeaks(t)
	_, shaped, plain := jitterPair(t)
	// Few enough for the plain socket's buffer to hold them all (about
	// 150 kB of its 208 kB default).
	const n = 200
	for i := range uint32(n) {
		if _, err := shaped.WriteTo(binary.BigEndian.AppendUint32(nil, i), plain.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	if err := plain.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	got := make([]uint32, 0, n)
	buf := make([]byte, 64)
	for len(got) < n {
		m, _, err := plain.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %d of %d packets: %v", len(got), n, err)
		}
		got = append(got, binary.BigEndian.Uint32(buf[:m]))
	}
	t.Logf("%d delivered, %d after one sent later", len(got), inversions(got))
	checkReordered(t, got, n)
}

// TestJitterNetClose: Close, with packets on the link both ways, ends the
// socket's goroutines (checkLeaks) and its reads and writes.
func TestJitterNetClose(t *testing.T) {
	checkLeaks(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	link, shaped, plain := jitterPair(t)
	for i := range uint32(50) {
		if _, err := shaped.WriteTo(binary.BigEndian.AppendUint32(nil, i), plain.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if _, err := plain.WriteTo(binary.BigEndian.AppendUint32(nil, i), shaped.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(ctx, t, "the packets to arrive", func() bool { return link.arrived.Load() == 50 })
	if err := shaped.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := shaped.ReadFrom(make([]byte, 64)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadFrom after Close: %v, want %v", err, net.ErrClosed)
	}
	if _, err := shaped.WriteTo([]byte{1}, plain.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("WriteTo after Close: %v, want %v", err, net.ErrClosed)
	}
	if err := shaped.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want %v", err, net.ErrClosed)
	}
}

// inversions counts the packets that arrived after one sent later.
func inversions(seqs []uint32) int {
	k := 0
	for i := 1; i < len(seqs); i++ {
		if seqs[i] < seqs[i-1] {
			k++
		}
	}
	return k
}

// checkReordered: seqs holds want distinct packets, and at least a tenth
// arrived after one sent later (with sends far closer together than the
// 100 ms of jitter, about half do).
func checkReordered(t *testing.T, seqs []uint32, want int) {
	t.Helper()
	seen := make(map[uint32]bool, len(seqs))
	for _, s := range seqs {
		if seen[s] {
			t.Errorf("packet %d delivered twice", s)
		}
		seen[s] = true
	}
	if len(seqs) != want {
		t.Errorf("%d packets delivered, want %d", len(seqs), want)
	}
	if inv := inversions(seqs); inv < want/10 {
		t.Errorf("%d of %d packets after one sent later, want at least a tenth: not reordered", inv, want)
	}
}
