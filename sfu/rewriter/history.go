package rewriter

// historySize is how many recent outgoing sequence numbers can be mapped
// back to incoming ones for NACKs: a subscriber NACKs within a few round
// trips, far fewer packets than this even at high bitrates.
const historySize = 1024

// mapping records which incoming packet went out under outExt.
type mapping struct {
	outExt uint64 // extended outgoing sequence number; 0 when empty
	inSeq  uint16
	source uint32 // which source (counted from 1) the packet came from
}

// history is a ring of the last historySize mappings, indexed by outgoing
// sequence number.
type history [historySize]mapping

func (h *history) record(outExt uint64, inSeq uint16, source uint32) {
	h[outExt%historySize] = mapping{outExt: outExt, inSeq: inSeq, source: source}
}

// lookup returns the incoming sequence number sent as outExt by source.
func (h *history) lookup(outExt uint64, source uint32) (inSeq uint16, ok bool) {
	m := &h[outExt%historySize]
	if m.outExt != outExt || m.source != source {
		return 0, false
	}
	return m.inSeq, true
}
