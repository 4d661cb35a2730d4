package packetcache

import (
	"bytes"
	"testing"
	"time"
)

// FuzzCache stores and reads back a stream of packets whose sequence
// numbers come from the fuzzer: three octets per packet, the sequence
// number and a size in steps of 6 (so that some exceed MaxPacketSize); the
// size's low two bits are also the ms since the packet before. Seeds
// (testdata/fuzz/FuzzCache) are the sequence numbers and sizes of runs of
// Chromium's VP8 and Opus packets, and hand-built wraps, reorders and
// restarts (RFC 3550 §A.1).
//
// The stream goes to three caches: one of New, one bounded by a window of
// 5 ms (NewWindow) from that size to four times it, and one of New of that
// bound. Properties of each: a packet too large is refused and only such;
// a stored packet reads back at once; Get returns only what was stored
// under that number last (never a packet of an earlier wrap); a duplicate
// is one held; Newest is the last packet stored ahead of the others. And
// between them, however the window cache grew: what the small cache holds,
// the window cache holds, and what that holds the large one does, each the
// same packet; their newest is the same.
func FuzzCache(f *testing.F) {
	f.Add([]byte{0xff, 0xfe, 100, 0xff, 0xff, 100, 0, 0, 100, 0xff, 0xff, 100})
	f.Fuzz(func(t *testing.T, ops []byte) {
		small := New(int(len(ops)%7) * 13)
		// Below resyncDistance, so that all three take the same packets
		// for a restart.
		window := NewWindow(5*time.Millisecond, small.Cap(), 4*small.Cap())
		large := New(window.MaxCap())
		caches := []*PacketCache{small, window, large}
		last := make([]map[uint16][]byte, len(caches)) // what each stored under a number, last
		for i := range last {
			last[i] = map[uint16][]byte{}
		}
		dst := make([]byte, MaxPacketSize)
		dst2 := make([]byte, MaxPacketSize)
		now := int64(0)
		for i := 0; i+3 <= len(ops); i += 3 {
			seq := uint16(ops[i])<<8 | uint16(ops[i+1])
			pkt := bytes.Repeat([]byte{byte(i), byte(i >> 8)}, int(ops[i+2])*3)
			now += int64(ops[i+2]&3) * int64(time.Millisecond)
			for k, c := range caches {
				before, started := c.Newest()
				res := c.StoreAt(seq, pkt, now)
				if (res == TooLarge) != (len(pkt) > MaxPacketSize) {
					t.Fatalf("cache %d: Store(%d, %d octets) = %v", k, seq, len(pkt), res)
				}
				switch res {
				case Stored:
					last[k][seq] = pkt
				case Duplicate:
					if _, ok := c.Get(seq, dst); !ok {
						t.Fatalf("cache %d: Store(%d) = Duplicate, but Get finds nothing", k, seq)
					}
				}
				if n, ok := c.Get(seq, dst); res == Stored && (!ok || !bytes.Equal(dst[:n], pkt)) {
					t.Fatalf("cache %d: Get(%d) right after Stored: ok %v", k, seq, ok)
				}
				if newest, _ := c.Newest(); res == Stored && started && int16(seq-before) > 0 && newest != seq {
					t.Fatalf("cache %d: Newest %d after storing %d ahead of %d", k, newest, seq, before)
				}
				// Every number the cache answers for holds its last store.
				for s, want := range last[k] {
					if n, ok := c.Get(s, dst); ok && !bytes.Equal(dst[:n], want) {
						t.Fatalf("cache %d: Get(%d) returned a packet other than the last stored", k, s)
					}
				}
			}
			n0, _ := small.Newest()
			for k, c := range caches[1:] {
				if n, _ := c.Newest(); n != n0 {
					t.Fatalf("cache %d: Newest %d, the small cache's %d", k+1, n, n0)
				}
			}
			if c := window.Cap(); c < small.Cap() || c > large.Cap() {
				t.Fatalf("the window cache has %d slots, outside [%d, %d]", c, small.Cap(), large.Cap())
			}
			for k := range caches[:2] {
				for back := range uint16(caches[k].Cap()) {
					s := n0 - back
					n, ok := caches[k].Get(s, dst)
					if !ok {
						continue
					}
					m, ok2 := caches[k+1].Get(s, dst2)
					if !ok2 || !bytes.Equal(dst[:n], dst2[:m]) {
						t.Fatalf("cache %d holds %d, cache %d: ok %v", k, s, k+1, ok2)
					}
				}
			}
		}
		if n, ok := small.Get(0, dst[:0]); ok && n > 0 {
			t.Fatal("Get wrote into a buffer too small")
		}
	})
}
