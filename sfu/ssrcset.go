package sfu

import (
	"encoding/binary"
	"math/bits"
)

// ssrcSet is the bounded set of RTP SSRCs one ICE connection has let in
// (ssrccap.go): the first max distinct ones to arrive, kept for the
// connection's life. It belongs to the connection's one reader goroutine
// (ICE's read loop of the candidate), so it takes no lock, and it never
// allocates after its table is made (on the first RTP packet, so that a
// subscriber's connection, which receives none, holds no table).
//
// Open addressing with linear probing in a table at most half full: a
// lookup of a known SSRC is a hash and a probe or two, and one of an
// unknown SSRC ends at the first empty slot.
type ssrcSet struct {
	max   int
	n     int
	table []uint64 // 0: empty; else present<<32 | ssrc
	last  uint64   // the last SSRC admitted, as in table: most packets repeat it
	shift uint
}

// present marks a slot in use, since SSRC 0 is a valid SSRC (Chromium's
// bandwidth probes of old used it).
const present = 1 << 32

func newSSRCSet(max int) ssrcSet { return ssrcSet{max: max} }

// admit reports whether ssrc is in the set, adding it while the set has
// room.
func (s *ssrcSet) admit(ssrc uint32) bool {
	v := present | uint64(ssrc)
	if v == s.last {
		return true
	}
	if s.table == nil {
		s.grow()
	}
	mask := uint64(len(s.table) - 1)
	// Fibonacci hashing: the SSRCs of one sender are random (RFC 3550
	// §8.1), but an attacker's need not be; the multiply spreads sequences.
	for i := (uint64(ssrc) * 0x9E3779B97F4A7C15) >> s.shift; ; i = (i + 1) & mask {
		switch s.table[i] {
		case v:
			s.last = v
			return true
		case 0:
			if s.n >= s.max {
				return false
			}
			s.table[i], s.last = v, v
			s.n++
			return true
		}
	}
}

// grow makes the table: a power of two at least twice max, so that it is
// never more than half full.
func (s *ssrcSet) grow() {
	log2 := bits.Len(uint(2*s.max - 1))
	s.table, s.shift = make([]uint64, 1<<log2), uint(64-log2)
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
