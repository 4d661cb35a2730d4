//go:build linux

package udpbatch

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawReader reads one datagram with recvfrom(2) entered as a raw system
// call, for the reason mmsgWriter sends that way: every system call entered
// through syscall.Syscall while the process idles wakes the runtime's
// sysmon, which then polls every 20 µs for a millisecond. A server woken
// by each arriving packet paid for that on every one.
type rawReader struct {
	raw syscall.RawConn

	// mu keeps one read in flight, as the socket's own read lock does:
	// the fields below are that read's arguments and results.
	mu      sync.Mutex
	call    func(fd uintptr) bool
	buf     []byte
	n       int
	from    unix.RawSockaddrAny
	fromLen uint32
	errno   syscall.Errno
}

func newSocketReader(conn *net.UDPConn) (datagramReader, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &rawReader{raw: raw}
	r.call = r.recvfrom
	return r, nil
}

func (r *rawReader) readFrom(b []byte) (int, netip.AddrPort, error) {
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
	return r.n, r.source(), nil
}

// recvfrom is raw.Read's callback: false asks the poller to wait until
// the socket is readable and call again.
func (r *rawReader) recvfrom(fd uintptr) bool {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, fd,
			uintptr(unsafe.Pointer(unsafe.SliceData(r.buf))), uintptr(len(r.buf)), 0,
			uintptr(unsafe.Pointer(&r.from)), uintptr(unsafe.Pointer(&r.fromLen)))
		switch errno {
		case 0:
			r.n = int(n)
			return true
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			r.errno = errno
			return true
		}
	}
}

// source is the sender's address, as net.UDPConn gives it: IPv4-mapped
// on an IPv6 socket.
func (r *rawReader) source() netip.AddrPort {
	switch r.from.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&r.from))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port(sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&r.from))
		ip := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.Scope_id)); err == nil {
				ip = ip.WithZone(ifi.Name)
			}
		}
		return netip.AddrPortFrom(ip, port(sa.Port))
	}
	return netip.AddrPort{}
}

// port reads a sockaddr's port, stored in network byte order.
func port(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
