package udpbatch

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
)

// maxDatagram is the largest datagram a batch slot holds: any RTP or RTCP
// packet on a path with a 1500-byte MTU.
const maxDatagram = 1500

// batch is a set of datagrams for one sendmmsg, with a buffer and an
// address for each slot, all reused.
type batch struct {
	msgs  []ipv4.Message
	bufs  [][maxDatagram]byte
	addrs []net.UDPAddr
	ips   [][16]byte
	n     int
}

func newBatch(size int) *batch {
	b := &batch{
		msgs: make([]ipv4.Message, size), bufs: make([][maxDatagram]byte, size),
		addrs: make([]net.UDPAddr, size), ips: make([][16]byte, size),
	}
	for i := range b.msgs {
		b.msgs[i].Buffers = [][]byte{nil}
		b.msgs[i].Addr = &b.addrs[i]
	}
	return b
}

func (b *batch) full() bool { return b.n == len(b.msgs) }

// add copies p into the next slot: the caller's buffer is reused as soon as
// the write returns.
func (b *batch) add(p []byte, to netip.AddrPort) {
	i := b.n
	b.n++
	b.msgs[i].Buffers[0] = b.bufs[i][:copy(b.bufs[i][:], p)]
	ip := to.Addr()
	a := &b.addrs[i]
	if ip.Is4() || ip.Is4In6() {
		v4 := ip.Unmap().As4()
		a.IP = b.ips[i][:copy(b.ips[i][:], v4[:])]
	} else {
		v6 := ip.As16()
		a.IP = b.ips[i][:copy(b.ips[i][:], v6[:])]
	}
	a.Port, a.Zone = int(to.Port()), ip.Zone()
}

func (b *batch) reset() { b.n = 0 }
