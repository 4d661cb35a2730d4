package bench

// seqSet remembers which payload sequence numbers arrived, to tell
// duplicates (retransmissions that raced their original, an SFU that sends
// twice) from new packets. It is a bitmap from a base just below the first
// number seen, so a subscriber that joins late pays nothing for what came
// before it; numbers below the base are taken as new and not remembered.
type seqSet struct {
	base  uint64
	words []uint64
	init  bool
}

// seqSetSlack is how far below the first number seen the bitmap reaches, for
// packets reordered ahead of it (a retransmission arrives after later ones).
const seqSetSlack = 4096

// add records seq and reports whether it was new.
func (s *seqSet) add(seq uint64) bool {
	if !s.init {
		s.init = true
		s.base = seq - min(seq, seqSetSlack)
		s.base &^= 63
	}
	if seq < s.base {
		return true
	}
	i := seq - s.base
	w, bit := i/64, uint64(1)<<(i%64)
	for uint64(len(s.words)) <= w {
		s.words = append(s.words, 0)
	}
	if s.words[w]&bit != 0 {
		return false
	}
	s.words[w] |= bit
	return true
}

// missing counts the numbers in [from, to] never added; numbers below the
// bitmap's base count as seen, since they were never tracked.
func (s *seqSet) missing(from, to uint64) uint64 {
	if !s.init || to < from {
		return 0
	}
	from = max(from, s.base)
	var n uint64
	for seq := from; seq <= to; seq++ {
		i := seq - s.base
		if w := i / 64; w >= uint64(len(s.words)) || s.words[w]&(1<<(i%64)) == 0 {
			n++
		}
	}
	return n
}
