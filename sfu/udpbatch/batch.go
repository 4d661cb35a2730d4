package udpbatch

import (
	"net/netip"
)

// maxDatagram is the largest datagram a batch slot holds: any RTP or RTCP
// packet on a path with a 1500-byte MTU.
const maxDatagram = 1500

// batch is a set of datagrams for one sendmmsg, with a buffer and an
// address for each slot, all reused.
type batch struct {
	bufs [][maxDatagram]byte
	lens []int
	to   []netip.AddrPort
	n    int
}

func newBatch(size int) *batch {
	return &batch{bufs: make([][maxDatagram]byte, size), lens: make([]int, size), to: make([]netip.AddrPort, size)}
}

func (b *batch) full() bool { return b.n == len(b.bufs) }

// add copies p into the next slot: the caller's buffer is reused as soon as
// the write returns.
func (b *batch) add(p []byte, to netip.AddrPort) {
	b.lens[b.n] = copy(b.bufs[b.n][:], p)
	b.to[b.n] = to
	b.n++
}

// datagram is slot i's payload.
func (b *batch) datagram(i int) []byte { return b.bufs[i][:b.lens[i]] }

func (b *batch) reset() { b.n = 0 }
