package rewriter

// DefaultHistory is how many recent outgoing sequence numbers a Rewriter
// maps back to incoming ones for NACKs unless WithHistory says otherwise: a
// subscriber NACKs within a few round trips, far fewer packets than this
// even at high bitrates.
const DefaultHistory = 1024

// mapping records which incoming packet went out under an outgoing number.
// It takes 8 bytes, so that a DownTrack's history of 1024 is 8 KB: the low 32
// bits of the extended outgoing number tell an entry from the ones a ring
// turn or more earlier (2^32 packets apart), and 16 bits of the source count
// tell the current source from earlier ones, since every source writes at
// least one entry and so overwrites the whole ring long before its count
// wraps.
type mapping struct {
	outExt uint32 // low bits of the extended outgoing sequence number
	inSeq  uint16
	source uint16 // which source (counted from 1) the packet came from; 0 when empty
}

// history is a ring of the last mappings, indexed by outgoing sequence
// number; its length is a power of two.
type history []mapping

// newHistory makes a ring of at least n entries (a power of two, 16 or
// more).
func newHistory(n int) history {
	size := 16
	for size < n {
		size *= 2
	}
	return make(history, size)
}

func (h history) slot(outExt uint64) *mapping { return &h[outExt&uint64(len(h)-1)] }

func (h history) record(outExt uint64, inSeq uint16, source uint32) {
	*h.slot(outExt) = mapping{outExt: uint32(outExt), inSeq: inSeq, source: uint16(source)}
}

// lookup returns the incoming sequence number sent as outExt by source.
func (h history) lookup(outExt uint64, source uint32) (inSeq uint16, ok bool) {
	m := h.slot(outExt)
	if m.outExt != uint32(outExt) || m.source != uint16(source) || m.source == 0 {
		return 0, false
	}
	return m.inSeq, true
}
