package rewriter

// historySize is how many recent outgoing sequence numbers can be mapped
// back to incoming ones for NACKs: a subscriber NACKs within a few round
// trips, far fewer packets than this even at high bitrates.
const historySize = 1024

// mapping records which incoming packet went out under an outgoing number.
// It takes 8 bytes, so that every DownTrack's history is 8 KB: the low 32
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

// history is a ring of the last historySize mappings, indexed by outgoing
// sequence number.
type history [historySize]mapping

func (h *history) record(outExt uint64, inSeq uint16, source uint32) {
	h[outExt%historySize] = mapping{outExt: uint32(outExt), inSeq: inSeq, source: uint16(source)}
}

// lookup returns the incoming sequence number sent as outExt by source.
func (h *history) lookup(outExt uint64, source uint32) (inSeq uint16, ok bool) {
	m := &h[outExt%historySize]
	if m.outExt != uint32(outExt) || m.source != uint16(source) || m.source == 0 {
		return 0, false
	}
	return m.inSeq, true
}
