package rawudp

import "net"

// SocketBuffer is the size asked for each UDP socket's kernel receive and
// send buffers, bytes. Linux's default (net.core.rmem_default, 208 KiB) is
// charged per datagram at its buffer's true size, about 2.3 KiB for a
// 1 200-byte RTP packet on loopback: some 90 packets, a tenth of a second
// of a few publishers. A server whose read loop is late by more than that,
// as on a loaded machine, loses what arrives meanwhile, before any of its
// code sees it (this machine's Udp RcvbufErrors counted 7 % of the
// datagrams received over a day of test and benchmark runs). 4 MiB holds
// seconds of it; LiveKit asks for more.
const SocketBuffer = 4 << 20

// setBuffers asks for size bytes of receive and send buffer on c. The
// kernel caps the plain request at net.core.rmem_max and wmem_max; where
// the process may (CAP_NET_ADMIN), growBuffers then forces the size past
// that cap. It returns the receive buffer the kernel granted (what
// getsockopt reports: twice the size asked, for the kernel's own
// bookkeeping), 0 if unknown.
func setBuffers(c *net.UDPConn, size int) int {
	_ = c.SetReadBuffer(size)
	_ = c.SetWriteBuffer(size)
	return growBuffers(c, size)
}
