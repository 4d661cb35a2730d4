package rewriter

// maxSegments bounds how many renumbering boundaries (one per Skip that is
// not part of a run of Skips) are remembered. A packet that arrives so late
// that its boundary has been forgotten cannot be placed and is dropped.
const maxSegments = 64

// segment is a run of the current source's sequence numbers that share one
// offset. Each Skip of the newest packet starts a new segment whose offset
// is one less, so the subscriber sees no hole where the skipped packet was.
type segment struct {
	start   uint64 // extended incoming sequence number of the first packet
	offset  uint16 // outgoing minus incoming sequence number
	skipped uint64 // how many sequence numbers just before start were skipped
}

// segments is a fixed ring of the current source's segments, oldest first,
// so that Rewrite allocates nothing.
type segments struct {
	ring  [maxSegments]segment
	first int // index of the oldest
	n     int
}

func (s *segments) reset(start uint64, offset uint16) {
	s.first, s.n = 0, 1
	s.ring[0] = segment{start: start, offset: offset}
}

// at returns the i-th segment, oldest first.
func (s *segments) at(i int) *segment {
	return &s.ring[(s.first+i)%maxSegments]
}

func (s *segments) newest() *segment { return s.at(s.n - 1) }

// push appends a segment, forgetting the oldest when the ring is full.
func (s *segments) push(seg segment) {
	if s.n == maxSegments {
		s.first = (s.first + 1) % maxSegments
		s.n--
	}
	s.n++
	*s.newest() = seg
}

// lookup returns the offset for the extended incoming sequence number ext;
// ok is false if ext is before the oldest segment remembered or is one of the
// skipped sequence numbers.
func (s *segments) lookup(ext uint64) (offset uint16, ok bool) {
	for i := s.n - 1; i >= 0; i-- {
		seg := s.at(i)
		if ext < seg.start {
			if ext >= seg.start-seg.skipped {
				return 0, false
			}
			continue
		}
		return seg.offset, true
	}
	return 0, false
}
