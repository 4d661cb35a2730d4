//go:build linux

package udpbatch

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/switchboard-rtc/switchboard/internal/rawudp"
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
	to   []rawudp.Sockaddr

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
	v6, err := rawudp.IsIPv6(conn)
	if err != nil {
		return nil, err
	}
	w := &mmsgWriter{raw: raw, v6: v6, hdrs: make([]mmsghdr, size), iovs: make([]unix.Iovec, size), to: make([]rawudp.Sockaddr, size)}
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
		if retry, wait := rawudp.Again(errno); retry {
			continue
		} else if wait {
			return false
		}
		w.sent, w.errno = int(n), errno
		return true
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
	h.Name, h.Namelen = w.to[k].Put(to, w.v6)
}
