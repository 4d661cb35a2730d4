package rewriter

import (
	"github.com/switchboard-rtc/switchboard/internal/seqnum"
	"github.com/switchboard-rtc/switchboard/sfu/renumber"
)

// Rewriter maps one subscriber's view of a track: the sequence numbers and
// timestamps of whichever source is currently forwarded onto one continuous
// outgoing stream.
//
// A Rewriter is not safe for concurrent use: its owner (the SFU's DownTrack)
// already serializes the packets it writes, so it must also serialize calls
// here. The zero value is not ready; use New.
type Rewriter struct {
	started   bool   // some packet has been rewritten
	switching bool   // the next Rewrite starts a new source
	tsGap     uint32 // timestamp advance for the next source's first packet
	source    uint32 // the current source, counted from 1

	// The current source.
	newestIn      uint64 // extended sequence number of its newest packet, rewritten or skipped
	newestSkipped bool   // whether that newest packet was skipped
	tsOffset      uint32 // outgoing minus incoming timestamp
	segs          renumber.Segments[uint16]

	// The outgoing stream.
	lastOut   uint64 // extended sequence number given to newestIn (or reserved for it)
	lastOutTS uint32 // timestamp of the newest packet rewritten

	hist history
}

// New returns a Rewriter that has seen no packet.
func New(opts ...Option) *Rewriter {
	c := config{history: DefaultHistory}
	for _, o := range opts {
		o(&c)
	}
	return &Rewriter{hist: newHistory(c.history)}
}

type config struct{ history int }

// Option configures a Rewriter.
type Option func(*config)

// WithHistory keeps the last n outgoing numbers (rounded up to a power of
// two, at least 16) mapped back for Source and for telling a late packet
// from a copy of one sent: as many as the packets the caller can still
// resend (its packet cache), since a NACK of an older one cannot be
// answered anyway; few for a stream that is never NACKed (Opus, whose
// late packets it still tells from copies).
func WithHistory(n int) Option { return func(c *config) { c.history = n } }

// Started reports whether any packet has been rewritten.
func (r *Rewriter) Started() bool { return r.started }

// Switch makes the next Rewrite start a new source: its first packet is
// sent as the sequence number after the last one sent, with the last
// timestamp sent plus tsGap (the caller estimates the time that passed, in
// the clock rate of the stream, RFC 3550 §5.1). The caller should switch at
// a keyframe of the new source, so the subscriber can decode from there.
func (r *Rewriter) Switch(tsGap uint32) {
	r.switching = true
	r.tsGap = tsGap
}

// Rewrite maps an incoming packet of the current source to its outgoing
// sequence number and timestamp. The first packet ever keeps its numbers;
// the first after a Switch continues where the output left off. ok is false
// for a packet that cannot be placed: older than the first packet of the
// current source, older than the renumbering boundaries remembered, one
// that was Skipped, or one whose outgoing number was already sent. The
// caller drops it.
func (r *Rewriter) Rewrite(seq uint16, ts uint32) (outSeq uint16, outTS uint32, ok bool) {
	if !r.started || r.switching {
		return r.startSource(seq, ts)
	}
	ext := seqnum.Extend(r.newestIn, uint64(seq), 16)
	offset, ok := r.segs.Lookup(ext)
	if !ok {
		return 0, 0, false
	}
	outSeq, outTS = seq+offset, ts+r.tsOffset
	outExt := seqnum.Extend(r.lastOut, uint64(outSeq), 16)
	if ext <= r.newestIn {
		// A late packet fills a number not sent yet; one already sent
		// is a copy the caller could not tell from the original (its
		// cache forgot the stream when the sender seemed to restart
		// its numbering, RFC 3550 §A.1), and a subscriber must never
		// see two packets under one number.
		if _, sent := r.hist.lookup(outExt, r.source); sent {
			return 0, 0, false
		}
	}
	if ext > r.newestIn {
		r.newestIn, r.newestSkipped = ext, false
		r.lastOut, r.lastOutTS = outExt, outTS
	}
	r.hist.record(outExt, seq, r.source)
	return outSeq, outTS, true
}

// startSource sets the offsets so that the packet (seq, ts) continues the
// outgoing stream, and returns its outgoing numbers.
func (r *Rewriter) startSource(seq uint16, ts uint32) (outSeq uint16, outTS uint32, ok bool) {
	if r.started {
		outSeq, outTS = uint16(r.lastOut)+1, r.lastOutTS+r.tsGap
		r.lastOut++
	} else {
		// The first packet ever keeps its numbers: they were already
		// chosen at random by the sender (RFC 3550 §5.1).
		outSeq, outTS = seq, ts
		r.lastOut = seqnum.Start(uint64(seq))
	}
	r.started, r.switching = true, false
	r.source++
	r.newestIn, r.newestSkipped = seqnum.Start(uint64(seq)), false
	r.tsOffset = outTS - ts
	r.segs.Reset(r.newestIn, outSeq-seq)
	r.lastOutTS = outTS
	r.hist.record(r.lastOut, seq, r.source)
	return outSeq, outTS, true
}

// Skip tells the Rewriter that packet seq of the current source will not be
// forwarded (for example padding only). If it is the newest so far, later
// packets are renumbered one lower so the subscriber sees no gap (which it
// would NACK in vain). An older packet cannot be taken out of numbers already
// sent, so skipping it does nothing, and neither does skipping a packet of a
// source that has not started yet (its first packet continues the output
// anyway).
func (r *Rewriter) Skip(seq uint16) {
	if !r.started || r.switching {
		return
	}
	ext := seqnum.Extend(r.newestIn, uint64(seq), 16)
	if ext < r.newestIn || (ext == r.newestIn && r.newestSkipped) {
		return
	}
	// Every sequence number between the old newest and seq keeps its place
	// (those packets may still arrive); seq's own place goes to the next one.
	r.lastOut += ext - r.newestIn
	r.lastOut--
	r.newestIn, r.newestSkipped = ext, true

	r.segs.Skip(ext)
}

// Source maps an outgoing sequence number, as named in a subscriber's NACK,
// back to the incoming sequence number of the current source. ok is false if
// outSeq was not sent among the last ones kept (WithHistory), or was sent from an earlier source
// (whose packets the caller would have to find elsewhere).
func (r *Rewriter) Source(outSeq uint16) (inSeq uint16, ok bool) {
	if !r.started {
		return 0, false
	}
	ext := seqnum.Extend(r.lastOut, uint64(outSeq), 16)
	if ext > r.lastOut || r.lastOut-ext >= uint64(len(r.hist)) {
		return 0, false
	}
	return r.hist.lookup(ext, r.source)
}
