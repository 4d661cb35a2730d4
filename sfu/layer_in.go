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
type layerIn struct {
	// mu serialises handlePacket between the read loop and the direct
	// loop: it keeps the layer's scratch (parsed payload, descriptor,
	// keyframe count, emit buffers) for one packet at a time. Uncontended
	// but while a stream moves to the direct path (Pion's last packets of
	// it) or while its RTX stream is still Pion's.
	mu   sync.Mutex
	gone bool // unbound from the direct path: its packets are refused

	queue chan directPacket // made by bindLayer; nil: no direct path
	done  chan struct{}     // closed by unbindLayer: the direct loop ends
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

// push queues p for the layer's direct loop, or reports that it is full.
func (in *layerIn) push(p directPacket) bool {
	select {
	case in.queue <- p:
		return true
	default:
		return false
	}
}

// runDirect is the layer's direct loop: it forwards what the direct
// receive path queues until the layer is unbound.
func (l *Layer) runDirect() {
	var pkt rtp.Packet
	for {
		select {
		case <-l.in.done:
			return
		case p := <-l.in.queue:
			raw := (*p.buf)[:p.n]
			if pkt.Unmarshal(raw) == nil {
				l.in.mu.Lock()
				if !l.in.gone {
					l.handlePacket(&pkt, raw)
				}
				l.in.mu.Unlock()
			}
			p.pool.Put(p.buf)
		}
	}
}
