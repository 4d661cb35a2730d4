package rewriter

// Insert reserves the next outgoing sequence number for a packet the SFU
// makes itself, such as padding that probes the subscriber's bandwidth
// (RFC 3550 §5.1: padding-only packets take sequence numbers like any
// other). It gets the last timestamp sent; later packets of the current
// source are numbered one higher. ok is false before the first packet and
// while a switch is pending. Inserts in a row share one renumbering
// boundary, so the caller should send padding in bursts.
func (r *Rewriter) Insert() (outSeq uint16, outTS uint32, ok bool) {
	if !r.started || r.switching {
		return 0, 0, false
	}
	r.lastOut++
	r.segs.Insert(r.newestIn + 1)
	return uint16(r.lastOut), r.lastOutTS, true
}
