package sfu

import (
	"sync"

	"github.com/pion/rtp"
)

// layerIn serialises a layer's packets between its two sources: its read
// loop on Pion's path and, with direct SRTP, the shared socket's read loop
// (directsrtp_recv.go). handlePacket keeps the layer's scratch (parsed
// payload, descriptor, keyframe count, emit buffers) for one packet at a
// time; the lock is uncontended but while a stream moves to the direct
// path (Pion's last packets of it) or its RTX stream stays on Pion's.
type layerIn struct {
	mu   sync.Mutex
	gone bool // unbound from the direct path: its packets are refused
}

// handleDirect is handlePacket for a packet of the direct receive path.
func (l *Layer) handleDirect(pkt *rtp.Packet, raw []byte) {
	l.in.mu.Lock()
	defer l.in.mu.Unlock()
	if !l.in.gone {
		l.handlePacket(pkt, raw)
	}
}
