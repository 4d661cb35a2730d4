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

// Reader reads datagrams from one socket with recvfrom(2).
type Reader struct {
	raw syscall.RawConn

	// mu keeps one read in flight, as the socket's own read lock does:
	// the fields below are that read's arguments and results, so that
	// raw.Read's callback is one method value made once, not a closure
	// per read.
	mu      sync.Mutex
	call    func(fd uintptr) bool
	buf     []byte
	n       int
	from    unix.RawSockaddrAny
	fromLen uint32
	errno   syscall.Errno
}

// NewReader reads from conn.
func NewReader(conn *net.UDPConn) (*Reader, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &Reader{raw: raw}
	r.call = r.recvfrom
	return r, nil
}

// ReadFrom reads one datagram into b and gives its source, as
// net.UDPConn.ReadFromUDPAddrPort does.
func (r *Reader) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf, r.n, r.errno, r.fromLen = b, 0, 0, unix.SizeofSockaddrAny
	err := r.raw.Read(r.call)
	r.buf = nil
	switch {
	case err != nil:
		return 0, netip.AddrPort{}, err // closed, or past the read deadline
	case r.errno != 0:
		return 0, netip.AddrPort{}, os.NewSyscallError("recvfrom", r.errno)
	}
	return r.n, addrPort(&r.from), nil
}

// recvfrom is raw.Read's callback: false asks the poller to wait until
// the socket is readable and call again.
func (r *Reader) recvfrom(fd uintptr) bool {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, fd,
			uintptr(unsafe.Pointer(unsafe.SliceData(r.buf))), uintptr(len(r.buf)), 0,
			uintptr(unsafe.Pointer(&r.from)), uintptr(unsafe.Pointer(&r.fromLen)))
		if retry, wait := Again(errno); retry {
			continue
		} else if wait {
			return false
		}
		r.n, r.errno = int(n), errno
		return true
	}
}
