package sfu

import (
	"sync"

	"github.com/pion/rtp"
)

// layerIn is how a layer's packets come in besides its read loop on Pion's
// path: with direct SRTP, the shared socket's read loop decrypts them and
// queues them here (directsrtp_recv.go), and the layer's direct loop
// forwards them: one goroutine hand-off per packet instead of Pion's five.
//
// The fan-out does not run in the socket's read loop itself, though that
// would save the last hand-off: a write may block (an ICE-TCP
// subscriber's full send buffer, the batched socket's sender 16 batches
// behind), and the read loop serves every participant on the port, so one
// slow subscriber would stall the whole server's reception. Here it stalls
// one layer, as on Pion's path, and the queue drops what does not fit.
//
// One goroutine owns handlePacket (the layer's scratch: parsed payload,
// descriptor, keyframe count, emit buffers), so the packet path takes no
// lock for it: the read loop when the layer has no direct path, else the
// direct loop, to which the read loop hands what Pion still reads of the
// layer (a stream's first packets, an RTX stream not yet bound) through
// the same queue. Which one it is is settled before either starts
// (bindLayer, then the read loop, in one goroutine) and never changes.
type layerIn struct {
	queue chan directPacket // made by bindLayer; nil: no direct path
	pool  *sync.Pool        // the direct path's buffers, for the read loop's copies
	done  chan struct{}     // closed by unbindLayer: the direct loop ends
	ended chan struct{}     // closed by the direct loop as it ends
}

// directPacket is one decrypted packet on its way to the layer: the first
// n bytes of *buf, a buffer of pool.
type directPacket struct {
	buf  *[]byte
	n    int
	pool *sync.Pool
}

// directQueueLen bounds what waits for a layer's direct loop: about a
// tenth of a second of a 1 Mbit/s video layer, as a socket's receive
// buffer would hold; beyond, packets are dropped as such a buffer drops
// them (Stats.DirectSRTPDropped).
const directQueueLen = 128

// bind makes the layer's direct path: its queue, of buffers from pool.
// Called before the layer's read loop and direct loop start.
func (in *layerIn) bind(pool *sync.Pool) {
	in.queue = make(chan directPacket, directQueueLen)
	in.pool = pool
	in.done = make(chan struct{})
	in.ended = make(chan struct{})
}

// unbind ends the direct loop and waits for it: when it returns, no
// packet is being handled by it.
func (in *layerIn) unbind() {
	close(in.done)
	<-in.ended
}

// push queues p for the layer's direct loop, or reports that it is full.
func (in *layerIn) push(p directPacket) bool {
	select {
	case in.queue <- p:
		return true
	default:
		return false
	}
}

// handOver queues a copy of raw, a packet the read loop got from Pion's
// path, for the direct loop. It waits while the queue is full, as the
// read loop waited for the direct loop before, so Pion's packets are not
// lost to it; it gives up if the direct loop has ended.
func (in *layerIn) handOver(raw []byte) {
	bp := in.pool.Get().(*[]byte)
	n := copy(*bp, raw)
	select {
	case in.queue <- directPacket{buf: bp, n: n, pool: in.pool}:
	case <-in.ended:
		in.pool.Put(bp)
	}
}

// receive is where the read loop's packet goes: handled at once when the
// layer has no direct path, else handed to its direct loop.
func (l *Layer) receive(pkt *rtp.Packet, raw []byte) {
	if l.in.queue != nil {
		l.in.handOver(raw)
		return
	}
	if pkt.Unmarshal(raw) == nil {
		l.handlePacket(pkt, raw)
	}
}

// runDirect is the layer's direct loop: it forwards what the direct
// receive path and the read loop queue until the layer is unbound.
func (l *Layer) runDirect() {
	defer close(l.in.ended)
	var pkt rtp.Packet
	for {
		select {
		case <-l.in.done:
			l.in.drain()
			return
		case p := <-l.in.queue:
			raw := (*p.buf)[:p.n]
			if pkt.Unmarshal(raw) == nil {
				l.handlePacket(&pkt, raw)
			}
			p.pool.Put(p.buf)
		}
	}
}

// drain gives back the buffers of what is still queued once the layer is
// unbound: its track ended, so they are not forwarded.
func (in *layerIn) drain() {
	for {
		select {
		case p := <-in.queue:
			p.pool.Put(p.buf)
		default:
			return
		}
	}
}
