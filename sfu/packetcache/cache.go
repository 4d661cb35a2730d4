package packetcache

import (
	"math/bits"
	"sync"
	"time"

	"github.com/switchboard-rtc/switchboard/internal/seqnum"
)

const (
	// MaxPacketSize is the largest packet a slot holds: an Ethernet MTU,
	// which no SRTP packet a browser sends exceeds.
	MaxPacketSize = 1500

	// MaxCapacity is the most packets a cache holds. Sequence numbers are
	// 16 bits, so only a window of less than half their space can be told
	// apart from packets one wrap ahead (RFC 3550 §A.1 makes the same
	// split between "behind" and "ahead").
	MaxCapacity = 1 << 15

	// resyncDistance is how far behind the newest a packet must be before
	// two consecutive such packets are taken as the sender restarting its
	// sequence numbers rather than as very late arrivals; RFC 3550 §A.1
	// calls the forward counterpart MAX_DROPOUT and uses the same value.
	resyncDistance = seqnum.MaxDropout
)

// slot holds one packet. ext is the extended sequence number of the packet
// held, 0 when empty: it tells a packet of this cycle from one stored a wrap
// (or a restart) earlier in the same slot. at is when it was stored (the
// caller's clock, see StoreAt). buf is the packet; its capacity grows to the
// largest packet the slot has held, in steps of slotGrain, and stays: Opus
// packets take a tenth of what video packets do.
type slot struct {
	ext uint64
	at  int64
	buf []byte
}

// slotGrain rounds slot buffers up, so that a slot that held a packet can
// hold the slightly larger ones that come later without growing again.
const slotGrain = 128

// PacketCache is a ring of the most recent RTP packets of one stream,
// indexed by sequence number. It is safe for one goroutine calling Store
// and any number calling Get concurrently. Get never allocates, nor does
// Store once the ring has its size and its slots have grown to the
// stream's packets (see New and NewWindow).
type PacketCache struct {
	mu    sync.RWMutex
	slots []slot
	mask  uint64

	// A cache bounded by time (NewWindow) doubles its ring, up to
	// maxSlots, when the packet a Store would push out of it was stored
	// less than window (ns) before; window 0: the ring never grows.
	window   int64
	maxSlots int
	// floor is the oldest extended number the ring took since it last
	// grew, 0 if it never did: a packet it pushed out before growing is
	// too old however many slots it has now, as in a ring that never
	// grew, where the oldest number held only ever moves forward.
	floor uint64

	started bool
	newest  uint64 // extended sequence number of the newest packet stored

	// A packet far behind the newest is either very late or the sender
	// restarted its numbering; like RFC 3550 §A.1's bad_seq, remember the
	// sequence number that would confirm a restart.
	badSeq   uint16
	badArmed bool
}

// New returns a cache of capacity packets, rounded up to a power of two and
// clamped to [1, MaxCapacity]. A slot gets its buffer when it first holds a
// packet and keeps it, grown to the largest it held: once every slot has
// held one of the stream's largest packets, Store allocates nothing. 512
// slots of Opus take about 64 KB, of 1 Mbit/s video about 600 KB (790 KB
// at most, all packets full-size: 1536-byte slots).
func New(capacity int) *PacketCache {
	capacity = roundCapacity(capacity)
	return &PacketCache{
		slots:    make([]slot, capacity),
		mask:     uint64(capacity - 1),
		maxSlots: capacity,
	}
}

// NewWindow returns a cache bounded by time: it holds at least the packets
// of the last window, however many that is, between minCap and maxCap
// packets (each rounded as New rounds a capacity). It starts with minCap
// slots and doubles them, up to maxCap, whenever the packet a Store is
// about to push out was stored less than window before, as libwebrtc's
// RtpPacketHistory grows while its oldest packet is younger than a second:
// a stream takes the memory of its own rate, not of the fastest stream's.
// It never shrinks. Growing allocates, as slots taking their first packet
// do; once the ring holds window at the stream's rate, Store allocates
// nothing. The times are StoreAt's.
func NewWindow(window time.Duration, minCap, maxCap int) *PacketCache {
	c := New(minCap)
	c.maxSlots = max(len(c.slots), roundCapacity(maxCap))
	c.window = max(int64(window), 0)
	return c
}

// roundCapacity rounds a capacity up to a power of two in [1, MaxCapacity].
func roundCapacity(capacity int) int {
	capacity = max(1, min(capacity, MaxCapacity))
	return 1 << bits.Len(uint(capacity-1))
}

// Cap returns the number of packets the cache holds now: a cache bounded
// by time (NewWindow) grows.
func (c *PacketCache) Cap() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.slots)
}

// MaxCap returns the most packets the cache can come to hold: Cap for a
// cache of New, the ring's bound for one of NewWindow.
func (c *PacketCache) MaxCap() int { return c.maxSlots }

// Newest returns the sequence number of the newest packet stored; ok is
// false before the first Store.
func (c *PacketCache) Newest() (seq uint16, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return uint16(c.newest), c.started
}

// Store copies pkt into the cache under seq and tells what it did. It is
// StoreAt with every packet stored at the same instant: a cache bounded by
// time grows to its maximum.
func (c *PacketCache) Store(seq uint16, pkt []byte) Result {
	return c.StoreAt(seq, pkt, 0)
}

// StoreAt copies pkt into the cache under seq, received at now (ns, any
// monotonic clock, the same for every call), and tells what it did. Only a
// cache bounded by time (NewWindow) reads now.
func (c *PacketCache) StoreAt(seq uint16, pkt []byte, now int64) Result {
	if len(pkt) > MaxPacketSize {
		return TooLarge
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	if !c.started {
		c.started = true
		c.newest = seqnum.Start(uint64(seq))
		c.put(c.newest, pkt, now)
		return Stored
	}

	ext := seqnum.Extend(c.newest, uint64(seq), 16)
	switch {
	case ext == c.newest:
		return Duplicate
	case ext > c.newest:
		// Newer: slots of the packets skipped over keep their old ext,
		// which no longer matches, so they read as missing.
		if c.window > 0 && len(c.slots) < c.maxSlots {
			c.growFor(ext, now)
		}
		c.newest = ext
		c.badArmed = false
		c.put(c.newest, pkt, now)
		return Stored
	}

	behind := c.newest - ext
	if behind < uint64(len(c.slots)) {
		if ext < c.floor {
			return TooOld
		}
		if c.slots[ext&c.mask].ext == ext {
			return Duplicate
		}
		c.put(ext, pkt, now)
		return Stored
	}
	if behind >= resyncDistance {
		if c.badArmed && seq == c.badSeq {
			c.restart(seq, pkt, now)
			return Stored
		}
		c.badSeq, c.badArmed = seq+1, true
	}
	return TooOld
}

// restart forgets every packet and takes seq as the new newest, after the
// sender evidently restarted its sequence numbers (RFC 3550 §A.1).
func (c *PacketCache) restart(seq uint16, pkt []byte, now int64) {
	for i := range c.slots {
		c.slots[i].ext = 0
	}
	c.badArmed = false
	c.floor = 0
	c.newest = seqnum.Start(uint64(seq))
	c.put(c.newest, pkt, now)
}

// growFor doubles the ring before ext, newer than the newest, is stored, if
// that would push out of it a packet stored less than the window before
// now: the one exactly a ring behind ext, the newest of those it pushes
// out (when that one never came, the next Store looks again). The caller
// holds the write lock, so no Get sees the ring half moved.
func (c *PacketCache) growFor(ext uint64, now int64) {
	n := uint64(len(c.slots))
	s := &c.slots[ext&c.mask]
	if s.ext != ext-n || now-s.at >= c.window {
		return
	}
	// Each packet held moves to its index in the larger ring: slot i's
	// packet goes to i or i+n, so no two collide. A slot holding nothing
	// (or a packet no longer held) stays at i, emptied, with its buffer.
	slots := make([]slot, 2*n)
	mask := 2*n - 1
	for i, s := range c.slots {
		j := uint64(i)
		if s.ext != 0 && c.newest-s.ext < n {
			j = s.ext & mask
		} else {
			s.ext = 0
		}
		slots[j] = s
	}
	c.slots, c.mask = slots, mask
	c.floor = c.newest - n + 1
}

// put copies pkt, received at now, into the slot of ext. The caller holds
// the write lock.
func (c *PacketCache) put(ext uint64, pkt []byte, now int64) {
	s := &c.slots[ext&c.mask]
	s.ext, s.at = ext, now
	if cap(s.buf) < len(pkt) {
		s.buf = make([]byte, 0, (len(pkt)+slotGrain-1)/slotGrain*slotGrain)
	}
	s.buf = append(s.buf[:0], pkt...)
}

// HoldsRun reports whether every packet from seq first to seq last (in
// sequence-number order, across a wrap) is held.
func (c *PacketCache) HoldsRun(first, last uint16) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.started {
		return false
	}
	n := uint64(last - first)
	newestBehind := uint64(uint16(c.newest) - last)
	if newestBehind+n >= uint64(len(c.slots)) {
		return false // ahead of the newest, or partly overwritten
	}
	for i := uint64(0); i <= n; i++ {
		ext := c.newest - newestBehind - n + i
		if c.slots[ext&c.mask].ext != ext {
			return false
		}
	}
	return true
}

// Get copies the packet with sequence number seq into dst and returns its
// length. ok is false if the packet is not held (never stored, or already
// overwritten by a newer one) or if dst is too small for it.
func (c *PacketCache) Get(seq uint16, dst []byte) (n int, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.started {
		return 0, false
	}
	behind := uint64(uint16(c.newest) - seq)
	if behind >= uint64(len(c.slots)) {
		// Either ahead of the newest or already overwritten.
		return 0, false
	}
	ext := c.newest - behind
	s := &c.slots[ext&c.mask]
	if s.ext != ext || len(dst) < len(s.buf) {
		return 0, false
	}
	return copy(dst, s.buf), true
}
