package rawudp

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Writer sends datagrams on one socket with sendto(2).
type Writer struct {
	raw syscall.RawConn
	v6  bool

	// mu keeps one write in flight: the fields below are its arguments
	// and results (see Reader).
	mu    sync.Mutex
	call  func(fd uintptr) bool
	buf   []byte
	to    Sockaddr
	name  *byte
	size  uint32
	n     int
	errno syscall.Errno
}

// NewWriter writes to conn.
func NewWriter(conn *net.UDPConn) (*Writer, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	v6, err := IsIPv6(conn)
	if err != nil {
		return nil, err
	}
	w := &Writer{raw: raw, v6: v6}
	w.call = w.sendto
	return w, nil
}

// WriteTo sends b to addr, as net.UDPConn.WriteToUDPAddrPort does.
func (w *Writer) WriteTo(b []byte, addr netip.AddrPort) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.name, w.size = w.to.Put(addr, w.v6)
	w.buf, w.n, w.errno = b, 0, 0
	err := w.raw.Write(w.call)
	w.buf = nil
	switch {
	case err != nil:
		return 0, err
	case w.errno != 0:
		return 0, os.NewSyscallError("sendto", w.errno)
	}
	return w.n, nil
}

// sendto is raw.Write's callback: false asks the poller to wait until the
// socket is writable and call again.
func (w *Writer) sendto(fd uintptr) bool {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, fd,
			uintptr(unsafe.Pointer(unsafe.SliceData(w.buf))), uintptr(len(w.buf)), 0,
			uintptr(unsafe.Pointer(w.name)), uintptr(w.size))
		if retry, wait := Again(errno); retry {
			continue
		} else if wait {
			return false
		}
		w.n, w.errno = int(n), errno
		return true
	}
}
