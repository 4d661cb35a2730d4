// Package seqnum extends wrapping counters (RTP sequence numbers, VP8
// PictureIDs) into numbers that never wrap, as RFC 3550 §A.1 does for
// sequence numbers: a value is taken as the one nearest to a reference,
// ahead if within half the counter's space, else behind. It is the one copy
// of that rule for the packet cache, the rewriter and the VP8 munger.
package seqnum

// Base is where a stream's extended numbers start: far enough from zero
// that values reordered before a stream's first one still extend to a
// positive number, and a multiple of 2^16 so that an extended number's low
// bits are the counter itself.
const Base = 1 << 32

// Extend returns the extended form of v, a counter of the given width in
// bits (1 to 32), taking it as the value nearest to ref, an extended number
// of the same stream.
func Extend(ref, v uint64, bits uint) uint64 {
	space := uint64(1) << bits
	d := (v - ref) & (space - 1)
	if d < space/2 {
		return ref + d
	}
	return ref - (space - d)
}

// Start returns the extended number of a stream's first value v.
func Start(v uint64) uint64 { return Base + v }

// MaxDropout is how far ahead of the newest, or behind it, a sequence
// number may be and still be taken as the same numbering; past it, RFC 3550
// §A.1 (MAX_DROPOUT) waits for the packet after it before it believes the
// sender restarted its numbering.
const MaxDropout = 3000
