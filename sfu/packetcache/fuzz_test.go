package packetcache

import (
	"bytes"
	"testing"
)

// FuzzCache stores and reads back a stream of packets whose sequence
// numbers come from the fuzzer: three octets per packet, the sequence
// number and a size in steps of 6 (so that some exceed MaxPacketSize).
// Seeds (testdata/fuzz/FuzzCache) are the sequence numbers and sizes of
// runs of Chromium's VP8 and Opus packets, and hand-built wraps, reorders
// and restarts (RFC 3550 §A.1).
//
// Properties: a packet too large is refused and only such; a stored packet
// reads back at once; Get returns only what was stored under that number
// last (never a packet of an earlier wrap); a duplicate is one held; Newest
// is the last packet stored ahead of the others.
func FuzzCache(f *testing.F) {
	f.Add([]byte{0xff, 0xfe, 100, 0xff, 0xff, 100, 0, 0, 100, 0xff, 0xff, 100})
	f.Fuzz(func(t *testing.T, ops []byte) {
		c := New(int(len(ops)%7) * 13)
		last := map[uint16][]byte{} // what was stored under a number, last
		dst := make([]byte, MaxPacketSize)
		for i := 0; i+3 <= len(ops); i += 3 {
			seq := uint16(ops[i])<<8 | uint16(ops[i+1])
			pkt := bytes.Repeat([]byte{byte(i), byte(i >> 8)}, int(ops[i+2])*3)
			before, started := c.Newest()
			res := c.Store(seq, pkt)
			if (res == TooLarge) != (len(pkt) > MaxPacketSize) {
				t.Fatalf("Store(%d, %d octets) = %v", seq, len(pkt), res)
			}
			switch res {
			case Stored:
				last[seq] = pkt
			case Duplicate:
				if _, ok := c.Get(seq, dst); !ok {
					t.Fatalf("Store(%d) = Duplicate, but Get finds nothing", seq)
				}
			}
			if n, ok := c.Get(seq, dst); res == Stored && (!ok || !bytes.Equal(dst[:n], pkt)) {
				t.Fatalf("Get(%d) right after Stored: ok %v", seq, ok)
			}
			if newest, _ := c.Newest(); res == Stored && started && int16(seq-before) > 0 && newest != seq {
				t.Fatalf("Newest %d after storing %d ahead of %d", newest, seq, before)
			}
			// Every number the cache answers for holds its last store.
			for s, want := range last {
				if n, ok := c.Get(s, dst); ok && !bytes.Equal(dst[:n], want) {
					t.Fatalf("Get(%d) returned a packet other than the last stored", s)
				}
			}
		}
		if n, ok := c.Get(0, dst[:0]); ok && n > 0 {
			t.Fatal("Get wrote into a buffer too small")
		}
	})
}
