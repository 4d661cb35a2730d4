// Package rewriter maps the RTP sequence numbers and timestamps of the
// streams a subscriber is switched between (simulcast layers, or a
// publisher's new SSRC) onto one continuous outgoing stream.
//
// A receiver treats a jump in sequence numbers as loss and NACKs it
// (RFC 4585 §6.2.1), and a jump in timestamps as a long gap in playout
// (RFC 3550 §5.1), so an SFU that switches a subscriber from one source to
// another must make the new source's numbers continue the old ones. Within
// one source, the mapping is a constant offset, so reordering and loss look
// to the subscriber exactly as they did to the SFU.
//
// The package imports nothing from Pion: it deals in numbers only.
package rewriter
