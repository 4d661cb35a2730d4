// Package renumber remembers where a renumbered stream's offset changed.
//
// An SFU that drops some numbered units of a stream (padding packets,
// pictures of a temporal layer it does not forward) or inserts its own
// (probe padding) renumbers what follows, so the subscriber sees no gap and
// no repeat. Units that arrive late must still get the numbers they would
// have had, so each change of offset is kept as a segment boundary.
package renumber

// MaxSegments bounds how many boundaries are remembered (a power of two:
// the ring indexes by mask). A unit that arrives so late that its boundary
// has been forgotten cannot be placed.
const MaxSegments = 64

// Offset is the type of an outgoing-minus-incoming offset: 16-bit for RTP
// sequence numbers, wider for extended counters.
type Offset interface{ ~uint16 | ~uint64 }

// Segment is a run of extended incoming numbers that share one offset.
type Segment[O Offset] struct {
	Start   uint64 // extended incoming number of the first unit
	Offset  O      // outgoing minus incoming (wrapping)
	Skipped uint64 // how many numbers just before Start were skipped
}

// initialSegments is the ring's size at Reset. A stream forwarded whole
// (no temporal layer dropped, no probe padding) never has more than its
// first segment, so the ring grows, doubling, up to MaxSegments only as
// boundaries accumulate: a full ring is 1.5 KB, and every down track has
// one in its rewriter and a VP8 one a second in its munger.
const initialSegments = 4

// Segments is a ring of a stream's segments, oldest first, so that nothing
// allocates per unit (only when the ring grows, at most four times). The
// zero value has no segment: Reset first.
type Segments[O Offset] struct {
	ring  []Segment[O] // a power of two long, at most MaxSegments
	first int          // index of the oldest
	n     int
}

// Reset starts over with one segment.
func (s *Segments[O]) Reset(start uint64, offset O) {
	if s.ring == nil {
		s.ring = make([]Segment[O], initialSegments)
	}
	s.first, s.n = 0, 1
	s.ring[0] = Segment[O]{Start: start, Offset: offset}
}

// at returns the i-th segment, oldest first.
func (s *Segments[O]) at(i int) *Segment[O] {
	return &s.ring[(s.first+i)&(len(s.ring)-1)]
}

// Newest is the segment new units fall in.
func (s *Segments[O]) Newest() *Segment[O] { return s.at(s.n - 1) }

// push appends a segment: into a free slot, else into a ring twice as
// long, else (MaxSegments remembered) in place of the oldest.
func (s *Segments[O]) push(seg Segment[O]) {
	switch {
	case s.n < len(s.ring):
	case len(s.ring) < MaxSegments:
		ring := make([]Segment[O], 2*len(s.ring))
		for i := range s.n {
			ring[i] = *s.at(i)
		}
		s.ring, s.first = ring, 0
	default:
		s.first = (s.first + 1) & (len(s.ring) - 1)
		s.n--
	}
	s.n++
	*s.Newest() = seg
}

// Lookup returns the offset for the extended incoming number ext; ok is
// false if ext is before the oldest segment remembered or was skipped.
func (s *Segments[O]) Lookup(ext uint64) (offset O, ok bool) {
	for i := s.n - 1; i >= 0; i-- {
		seg := s.at(i)
		if ext < seg.Start {
			if ext >= seg.Start-seg.Skipped {
				return 0, false
			}
			continue
		}
		return seg.Offset, true
	}
	return 0, false
}

// Skip records that ext, the newest number so far, will not be sent:
// numbers after it go out one lower. Every number before ext keeps its
// place (those units may still arrive).
func (s *Segments[O]) Skip(ext uint64) {
	cur := s.Newest()
	if cur.Start == ext {
		// Nothing at or after cur.Start has been sent but ext itself (a run
		// of Skips, or a Skip of the first unit): move the boundary rather
		// than spend a segment.
		cur.Start++
		cur.Offset--
		cur.Skipped++
		return
	}
	s.push(Segment[O]{Start: ext + 1, Offset: cur.Offset - 1, Skipped: 1})
}

// Insert records that one outgoing number was taken before next, the first
// incoming number not yet seen: numbers from next on go out one higher.
func (s *Segments[O]) Insert(next uint64) {
	if cur := s.Newest(); cur.Start == next {
		// Nothing at or after cur.Start has been sent: move it along.
		cur.Offset++
		return
	}
	s.push(Segment[O]{Start: next, Offset: s.Newest().Offset + 1})
}
