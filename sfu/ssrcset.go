package sfu

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"
)

// ssrcSet is the bounded set of RTP SSRCs one participant's connection has
// let in (ssrccap.go): the first max distinct ones to arrive, kept for the
// connection's life. Its ICE connections share it (one per local address,
// and a new one at each ICE restart), each read by a goroutine of its own,
// so its slots are atomics: no lock, and no allocation after the table is
// made. Each gate remembers the last SSRC it let in, so most packets do not
// touch the set at all.
//
// Open addressing with linear probing in a table at most half full: a
// lookup of a known SSRC is a hash and a probe or two, and one of an
// unknown SSRC ends at the first empty slot.
type ssrcSet struct {
	max   int32
	n     atomic.Int32
	table []atomic.Uint64 // 0: empty; else present | ssrc
	shift uint
}

// present marks a slot in use, since SSRC 0 is a valid SSRC (Chromium's
// bandwidth probes of old used it).
const present = 1 << 32

// newSSRCSet makes a set of at most max (≥ 1) SSRCs: a table of a power of
// two at least twice max, so that it is never more than half full.
func newSSRCSet(max int) *ssrcSet {
	log2 := bits.Len(uint(2*max - 1))
	return &ssrcSet{max: int32(max), table: make([]atomic.Uint64, 1<<log2), shift: uint(64 - log2)}
}

// admit reports whether ssrc is in the set, adding it while the set has
// room.
func (s *ssrcSet) admit(ssrc uint32) bool {
	v := present | uint64(ssrc)
	mask := uint64(len(s.table) - 1)
	// Fibonacci hashing: the SSRCs of one sender are random (RFC 3550
	// §8.1), but an attacker's need not be; the multiply spreads sequences.
	for i := (uint64(ssrc) * 0x9E3779B97F4A7C15) >> s.shift; ; i = (i + 1) & mask {
		switch s.table[i].Load() {
		case v:
			return true
		case 0:
			// Room is taken before the slot, so that racing inserts
			// never pass max; a slot lost to another SSRC gives it back
			// and probes on.
			if s.n.Add(1) > s.max {
				s.n.Add(-1)
				return false
			}
			if s.table[i].CompareAndSwap(0, v) {
				return true
			}
			s.n.Add(-1)
			if s.table[i].Load() == v {
				return true
			}
		}
	}
}

// rtpSSRC returns the SSRC of an RTP packet (RFC 3550 §5.1: bytes 8 to
// 11, in clear text under SRTP, RFC 3711 §3.1), or false for anything
// else on the port. The first byte of RTP and RTCP is 128 to 191 (RFC 7983
// §7: version 2); STUN, DTLS and TURN channel data start below. RTCP is
// told from RTP by its second byte (RFC 5761 §4): packet types 192 to 223,
// which RTP payload types avoid.
func rtpSSRC(b []byte) (uint32, bool) {
	if len(b) < 12 || b[0] < 128 || b[0] > 191 || b[1] >= 192 && b[1] <= 223 {
		return 0, false
	}
	return binary.BigEndian.Uint32(b[8:12]), true
}
