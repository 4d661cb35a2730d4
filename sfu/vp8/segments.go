package vp8

// maxSegments bounds how many renumbering boundaries (one per Skip that is
// not part of a run of Skips) are remembered. A packet whose picture is so
// old that its boundary has been forgotten cannot be placed and is dropped;
// 64 boundaries cover seconds of video even when every other picture is
// skipped.
const maxSegments = 64

// segment is a run of the current source's pictures that share one offset.
// Each Skip of the newest picture starts a new segment whose offset is one
// less, so the subscriber sees no hole where the skipped picture was.
type segment struct {
	start   uint64 // extended incoming PictureID of the first picture
	offset  uint64 // outgoing minus incoming extended PictureID (wrapping)
	skipped uint64 // how many pictures just before start were skipped
}

// segments is a fixed ring of the current source's segments, oldest first,
// so that Munge allocates nothing.
type segments struct {
	ring  [maxSegments]segment
	first int // index of the oldest
	n     int
}

func (s *segments) reset(start, offset uint64) {
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

// lookup returns the offset for the extended incoming PictureID ext; ok is
// false if ext is before the oldest segment remembered or is one of the
// skipped pictures.
func (s *segments) lookup(ext uint64) (offset uint64, ok bool) {
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
