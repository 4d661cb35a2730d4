package rewriter

// extBase is where extended (wrap-counting) sequence numbers start, so that
// packets reordered before the first one of a source still get a positive
// extended number. Extending 16-bit sequence numbers by a wrap count follows
// RFC 3550 §A.1.
const extBase = 1 << 32

// extend returns the extended form of seq, taking it as the 16-bit number
// nearest to ref (ahead if within half the sequence space, else behind).
func extend(ref uint64, seq uint16) uint64 {
	d := seq - uint16(ref)
	if d < 1<<15 {
		return ref + uint64(d)
	}
	return ref - uint64(-d)
}
