package rawudp

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// TestSocketBufferHoldsABurst: a socket given SocketBuffer keeps a burst
// of 1 000 RTP-sized datagrams that arrives while nothing reads it (a
// server's read loop late on a loaded machine), where the kernel's default
// buffer keeps about 90 of them.
func TestSocketBufferHoldsABurst(t *testing.T) {
	const burst, size = 1000, 1200
	got := func(t *testing.T, grow bool) int {
		t.Helper()
		rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = rx.Close() }()
		if grow {
			if granted := setBuffers(rx, SocketBuffer); granted < SocketBuffer {
				t.Skipf("the kernel granted a %d-byte receive buffer (net.core.rmem_max, and no CAP_NET_ADMIN to force it)", granted)
			}
		}
		tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Close() }()
		b := make([]byte, size)
		for range burst {
			if _, err := tx.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		n := 0
		for {
			// Everything sent is queued already: the first read that
			// waits finds the queue empty.
			_ = rx.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if _, _, err := rx.ReadFromUDPAddrPort(b); err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatal(err)
				}
				return n
			}
			n++
		}
	}
	t.Logf("the kernel's default buffer kept %d of %d", got(t, false), burst)
	if n := got(t, true); n != burst {
		t.Fatalf("a socket with SocketBuffer kept %d of a burst of %d", n, burst)
	}
}
