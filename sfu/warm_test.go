package sfu

import "github.com/pion/rtp"

// warmForward forwards as many packets as the layer's cache holds, so that
// every cache slot has its buffer before allocations are counted: the steady
// state, which is what the allocation checks are about.
func warmForward(l *Layer, pkt *rtp.Packet, raw []byte, seq *uint16) {
	for range l.cache.Cap() {
		*seq++
		pkt.SequenceNumber = *seq
		raw[2], raw[3] = byte(*seq>>8), byte(*seq)
		l.handlePacket(pkt, raw)
	}
}
