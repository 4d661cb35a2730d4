package rewriter

// Timestamp maps an incoming timestamp of the current source to the outgoing
// one, as Rewrite did for that source's packets. A retransmission, whose
// sequence number the subscriber already named, needs only this.
func (r *Rewriter) Timestamp(ts uint32) uint32 { return ts + r.tsOffset }
