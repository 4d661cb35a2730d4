package udpbatch

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// takeOdd takes the datagrams whose first byte is odd, keeping a copy.
type takeOdd struct {
	mu    sync.Mutex
	taken []byte
	from  netip.AddrPort
}

func (t *takeOdd) Take(b []byte, from netip.AddrPort) bool {
	if b[0]%2 == 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.taken = append(t.taken, b[0])
	t.from = from
	return true
}

// TestTap: the reader gets only what the tap does not take, in order, by
// both read calls; the tap saw the others with their source.
func TestTap(t *testing.T) {
	c, sinks := pair(t, 1)
	tap := &takeOdd{}
	c.SetTap(tap)
	for i := range 6 {
		if _, err := sinks[0].WriteTo([]byte{byte(i)}, c.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 64)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second)) // generous: a loaded CI machine
	var got []byte
	for i := range 3 {
		var n int
		var err error
		if i%2 == 0 {
			n, _, err = c.ReadFromAddrPort(buf)
		} else {
			var from net.Addr
			n, from, err = c.ReadFrom(buf)
			if _, ok := from.(*net.UDPAddr); err == nil && !ok {
				t.Fatalf("ReadFrom's source is a %T", from)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	tap.mu.Lock()
	defer tap.mu.Unlock()
	if string(got) != "\x00\x02\x04" || string(tap.taken) != "\x01\x03" {
		t.Fatalf("reader got %v, tap took %v: want [0 2 4] and [1 3] (5 comes after the last read)", got, tap.taken)
	}
	if tap.from.Port() != uint16(sinks[0].LocalAddr().(*net.UDPAddr).Port) {
		t.Fatalf("tap saw source %v, want the sender's port", tap.from)
	}
}
