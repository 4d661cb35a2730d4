package sfu

import "sync"

// directBufPool holds the buffers direct SRTP encrypts in (directCipher.write):
// each of two halves, plaintext then ciphertext, so a packet costs no
// allocation. The SFU has one for every association rather than one per
// association: a pool keeps a buffer or two per P, and as many again in its
// victim cache for a GC cycle, so a pool per subscriber held several
// 3 KiB buffers per subscriber alive between its packets; one pool holds
// what the fan-out uses at once. The zero value is ready.
type directBufPool struct{ p sync.Pool }

func (b *directBufPool) get() *[]byte {
	if bp, ok := b.p.Get().(*[]byte); ok {
		return bp
	}
	buf := make([]byte, 2*directBufHalf)
	return &buf
}

func (b *directBufPool) put(bp *[]byte) { b.p.Put(bp) }

// buffers is the pool d's cipher takes its buffers from: the SFU's, or
// (unit tests, which build a directSRTP alone) one of its own.
func (d *directSRTP) buffers() *directBufPool {
	if d.bufs == nil {
		return &directBufPool{}
	}
	return d.bufs
}
