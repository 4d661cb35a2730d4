//go:build linux

package udpbatch

import (
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is sendmmsg(2)'s struct mmsghdr: a message header and the bytes
// the kernel sent of it. Go lays it out and pads it as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// mmsgWriter sends a batch in one sendmmsg(2), entered as a raw system
// call. The socket is non-blocking (as every socket of Go's net package),
// so the call never sleeps: on a full socket buffer it fails with EAGAIN
// and the runtime's poller waits for room. Entered through syscall.Syscall
// instead, as x/net's WriteBatch does, a sendmmsg of tens of datagrams on
// loopback outlasts sysmon's 20 µs tick: sysmon takes the P away for
// another thread, the sender's thread must win one back, and that churn
// cost 14 % of the server's CPU under `make bench`.
type mmsgWriter struct {
	raw  syscall.RawConn
	v6   bool // an AF_INET6 socket: every address goes as IPv6 (IPv4-mapped)
	hdrs []mmsghdr
	iovs []unix.Iovec
	sa4  []unix.RawSockaddrInet4
	sa6  []unix.RawSockaddrInet6

	// The call in flight, kept here so that raw.Write's callback is one
	// method value made once, not a closure allocated per batch.
	call  func(fd uintptr) bool
	count int
	sent  int
	errno syscall.Errno
}

func newSocketWriter(conn *net.UDPConn, size int) (batchWriter, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	var family int
	var sockErr error
	if err := raw.Control(func(fd uintptr) {
		family, sockErr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	}); err != nil {
		return nil, err
	}
	if sockErr != nil {
		return nil, sockErr
	}
	w := &mmsgWriter{raw: raw, v6: family == unix.AF_INET6, hdrs: make([]mmsghdr, size), iovs: make([]unix.Iovec, size)}
	if w.v6 {
		w.sa6 = make([]unix.RawSockaddrInet6, size)
	} else {
		w.sa4 = make([]unix.RawSockaddrInet4, size)
	}
	w.call = w.sendmmsg
	return w, nil
}

func (w *mmsgWriter) writeBatch(b *batch, from int) (int, error) {
	k := 0
	for i := from; i < b.n; i++ {
		w.fill(k, b.datagram(i), b.to[i])
		k++
	}
	w.count, w.sent, w.errno = k, 0, 0
	if err := w.raw.Write(w.call); err != nil {
		return 0, err // the socket is closed
	}
	if w.errno != 0 {
		return w.sent, w.errno
	}
	return w.sent, nil
}

// sendmmsg is raw.Write's callback: false asks the poller to wait until
// the socket is writable and call again.
func (w *mmsgWriter) sendmmsg(fd uintptr) bool {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&w.hdrs[0])), uintptr(w.count), 0, 0, 0)
		switch errno {
		case 0:
			w.sent = int(n)
			return true
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			w.errno = errno
			return true
		}
	}
}

// fill points header k at p and its destination.
func (w *mmsgWriter) fill(k int, p []byte, to netip.AddrPort) {
	iov := &w.iovs[k]
	iov.Base = unsafe.SliceData(p)
	iov.SetLen(len(p))
	h := &w.hdrs[k].hdr
	h.Iov = iov
	h.SetIovlen(1)
	ip := to.Addr()
	if w.v6 {
		sa := &w.sa6[k]
		*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ip.As16(), Scope_id: scopeID(ip.Zone())}
		putPort(&sa.Port, to.Port())
		h.Name, h.Namelen = (*byte)(unsafe.Pointer(sa)), unix.SizeofSockaddrInet6
		return
	}
	sa := &w.sa4[k]
	if ip = ip.Unmap(); ip.Is4() {
		*sa = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.As4()}
	} else {
		// No IPv6 from an IPv4 socket: a family the kernel refuses
		// (EAFNOSUPPORT), so that this
		// one datagram is dropped and the rest of the batch still goes.
		*sa = unix.RawSockaddrInet4{Family: unix.AF_INET6}
	}
	putPort(&sa.Port, to.Port())
	h.Name, h.Namelen = (*byte)(unsafe.Pointer(sa)), unix.SizeofSockaddrInet4
}

// putPort stores port in network byte order, as sockaddr wants it.
func putPort(dst *uint16, port uint16) {
	*(*[2]byte)(unsafe.Pointer(dst)) = [2]byte{byte(port >> 8), byte(port)}
}

// scopeID is the interface index of a link-local address's zone.
func scopeID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}
