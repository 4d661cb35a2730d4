package bwe

// SendHistory remembers when each packet to one subscriber left and how
// large it was, by its transport-wide sequence number
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3), until the
// receiver's feedback about it arrives. It is a fixed ring: recording a
// packet costs a few stores and never allocates, where a map and a list
// (Pion's GCC) cost allocations on every forwarded packet. Not safe for
// concurrent use; SendSide serialises it.
type SendHistory struct {
	next    int64 // unwrapped sequence number of the next packet
	packets []sentPacket
}

type sentPacket struct {
	at   int64  // send time, ns on the caller's clock
	seq  uint32 // low bits of the unwrapped sequence number: tells a stale slot
	size uint32 // bytes on the wire, RTP header included
}

// historySize holds about 4 s of a 10 Mbit/s downlink; feedback comes back
// within a few hundred milliseconds. A power of two, so that a sequence
// number masked is its slot.
const (
	historySize = 4096
	historyMask = historySize - 1
)

// NewSendHistory makes an empty history.
func NewSendHistory() *SendHistory {
	return &SendHistory{packets: make([]sentPacket, historySize)}
}

// Add records a packet sent at (ns) with size bytes and returns the
// transport-wide sequence number to put on it.
func (h *SendHistory) Add(at int64, size int) uint16 {
	seq := h.next
	h.next++
	h.packets[seq&historyMask] = sentPacket{at: at, seq: uint32(seq), size: uint32(size)}
	return uint16(seq)
}

// Lookup finds the packet with the 16-bit sequence number seq among the
// most recent ones: its unwrapped number, send time and size.
func (h *SendHistory) Lookup(seq uint16) (n, at int64, size int, ok bool) {
	// The newest packet with these low 16 bits: feedback is about recent
	// packets, never about ones 65536 or more numbers ago.
	back := int64(uint16(uint16(h.next) - seq))
	if back == 0 {
		back = 1 << 16
	}
	n = h.next - back
	if n < 0 || back > int64(len(h.packets)) {
		return 0, 0, 0, false
	}
	p := h.packets[n&historyMask]
	if p.seq != uint32(n) {
		return 0, 0, 0, false
	}
	return n, p.at, int(p.size), true
}
