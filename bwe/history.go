package bwe

// SendHistory remembers when each packet to one subscriber left and how
// large it was, by its transport-wide sequence number
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3), until the
// receiver's feedback about it arrives. It is a ring of 8-byte slots:
// recording a packet costs a few stores and never allocates once the ring
// has its size, where a map and a list (Pion's GCC) cost allocations on
// every forwarded packet. Not safe for concurrent use; SendSide serialises
// it.
//
// The ring starts at historyMinSize slots and doubles, up to
// historyMaxSize, only when the slot the next packet needs still holds a
// packet the feedback has not reported on (Acked): feedback comes back
// within a few hundred milliseconds (§5.1 of the draft: the receiver
// sends it periodically), so a subscriber whose receiver answers keeps the
// smallest ring, and one whose feedback is late or absent gets the 4 s of
// a 10 Mbit/s downlink the history always held. A packet the feedback has
// reported on is never looked up to any effect again (SendSide ignores
// numbers at or below the highest reported), so its slot is free.
type SendHistory struct {
	next   int64 // unwrapped sequence number of the next packet
	oldest int64 // the oldest packet still held: the ring holds [oldest, next)
	acked  int64 // the highest number feedback reported on; -1 none
	base   int64 // µs on the caller's clock that slots' send times count from
	bits   uint  // len(packets) is 1<<bits
	// nil until the first packet: a PeerConnection whose receiver did
	// not negotiate the extension numbers nothing and costs no ring.
	packets []sentPacket
}

// sentPacket is 8 bytes (16 before: an int64 time and two uint32).
type sentPacket struct {
	// at is the send time in µs after SendHistory.base: 32 bits hold
	// 71 minutes, and base moves (rebase) before an offset would not fit.
	// The trendline works in milliseconds (draft-ietf-rmcat-gcc-02 §5.3),
	// the burst time is 5 ms: a microsecond loses nothing.
	at uint32
	// tag is the 16 bits of the unwrapped number just above the slot
	// index: with the index it names the number modulo 2^(16+bits), so a
	// slot that holds another packet than the one asked for (stale, or
	// reused) is told apart.
	tag uint16
	// size is the bytes on the wire, RTP header included: an RTP packet
	// on UDP is at most 65,535 bytes (ours are ≤ 1500); larger is capped.
	size uint16
}

// The ring's sizes, powers of two, so that a sequence number masked is
// its slot. historyMinSize (2 KB) holds 250 ms of the standard
// benchmark's 4 Mbit/s subscriber, more than twice the 100 ms between
// Pion's or Chromium's feedback messages; historyMaxSize (32 KB) holds
// about 4 s of a 10 Mbit/s downlink.
const (
	historyMinBits = 8
	historyMaxBits = 12
	historyMinSize = 1 << historyMinBits
	historyMaxSize = 1 << historyMaxBits
	// offsetHalf is half of what a slot's 32-bit send time holds, in µs
	// (35.8 minutes): after a rebase the newest packet sits this far
	// after base, so that packets up to this old keep their send times
	// and the next rebase is as far away.
	offsetHalf = int64(1) << 31
)

// NewSendHistory makes an empty history.
func NewSendHistory() *SendHistory {
	return &SendHistory{acked: -1}
}

// Add records a packet sent at (ns) with size bytes and returns the
// transport-wide sequence number to put on it.
func (h *SendHistory) Add(at int64, size int) uint16 {
	us := at / 1000
	if h.packets == nil {
		h.packets = make([]sentPacket, historyMinSize)
		h.bits = historyMinBits
		h.base = us
	}
	if off := us - h.base; off < 0 || off >= 2*offsetHalf {
		// 71 minutes since base, or the caller's clock stepped back.
		h.rebase(us)
	}
	seq := h.next
	if seq-h.oldest == int64(len(h.packets)) {
		// The slot holds packet oldest: keep it if no feedback has
		// reported on it yet and the ring may grow.
		if h.oldest > h.acked && h.bits < historyMaxBits {
			h.grow()
		} else {
			h.oldest++
		}
	}
	h.packets[seq&int64(len(h.packets)-1)] = sentPacket{
		at:   uint32(us - h.base),
		tag:  uint16(seq >> h.bits),
		size: uint16(min(max(size, 0), 0xFFFF)),
	}
	h.next++
	return uint16(seq)
}

// Acked tells the history that feedback reported on every packet up to n
// (received or lost): their slots may be reused.
func (h *SendHistory) Acked(n int64) { h.acked = max(h.acked, n) }

// grow doubles the ring, moving the packets it holds to their new slots.
// It allocates: only while feedback lags more than the ring holds, at most
// historyMaxBits-historyMinBits times in a history's life.
func (h *SendHistory) grow() {
	bits := h.bits + 1
	packets := make([]sentPacket, 1<<bits)
	oldMask, mask := int64(len(h.packets)-1), int64(len(packets)-1)
	for n := h.oldest; n < h.next; n++ {
		p := h.packets[n&oldMask]
		p.tag = uint16(n >> bits)
		packets[n&mask] = p
	}
	h.packets, h.bits = packets, bits
}

// rebase moves base to offsetHalf before us, re-encoding the send times
// held; a packet whose time would not fit (sent more than 35.8 minutes
// before us, or as long after it when the clock stepped back) is dropped
// with every older one. Feedback is about the last seconds: nothing
// dropped here is ever asked for.
func (h *SendHistory) rebase(us int64) {
	base := us - offsetHalf
	mask := int64(len(h.packets) - 1)
	for n := h.oldest; n < h.next; n++ {
		p := &h.packets[n&mask]
		off := h.base + int64(p.at) - base
		if off < 0 || off >= 2*offsetHalf {
			h.oldest = n + 1
			continue
		}
		p.at = uint32(off)
	}
	h.base = base
}

// Lookup finds the packet with the 16-bit sequence number seq among the
// most recent ones: its unwrapped number, send time (ns, to the
// microsecond) and size. It finds nothing for a packet not sent yet, one
// whose slot was reused (it was reported on, or the ring was full at its
// largest), or one sent more than 35.8 minutes before the newest.
func (h *SendHistory) Lookup(seq uint16) (n, at int64, size int, ok bool) {
	// The newest packet with these low 16 bits: feedback is about recent
	// packets, never about ones 65536 or more numbers ago.
	back := int64(uint16(uint16(h.next) - seq))
	if back == 0 {
		back = 1 << 16
	}
	n = h.next - back
	if n < h.oldest {
		return 0, 0, 0, false
	}
	p := h.packets[n&int64(len(h.packets)-1)]
	if p.tag != uint16(n>>h.bits) {
		return 0, 0, 0, false
	}
	return n, (h.base + int64(p.at)) * 1000, int(p.size), true
}
