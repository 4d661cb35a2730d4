package keyframe

// isVP9Keyframe parses the VP9 payload descriptor (RFC 9628 §4.2), then
// confirms the start of the VP9 uncompressed header (VP9 Bitstream
// Specification §6.2) describes a key frame.
func isVP9Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	// First octet: |I|P|L|F|B|E|V|Z|.
	const (
		bitI = 0x80
		bitP = 0x40
		bitL = 0x20
		bitF = 0x10
		bitB = 0x08
		bitV = 0x02
	)
	d := p[0]
	// A keyframe starts with a packet that begins a frame (B) that is not
	// predicted from an earlier picture (P clear).
	if d&bitB == 0 || d&bitP != 0 {
		return false
	}
	i := 1
	if d&bitI != 0 { // picture ID, 15 bits when its M bit is set
		if len(p) <= i {
			return false
		}
		if p[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if d&bitL != 0 {
		// Layer indices: |T|T|T|U|S|S|S|D|; only the base spatial layer
		// (SID 0) starts a keyframe the subscriber can decode from.
		if len(p) <= i || (p[i]>>1)&0x07 != 0 {
			return false
		}
		i++
		if d&bitF == 0 { // TL0PICIDX, non-flexible mode only
			i++
		}
	}
	// Reference indices are present only when P is set, which it is not.
	if d&bitV != 0 {
		n, ok := vp9SSLength(p, i)
		if !ok {
			return false
		}
		i += n
	}
	if len(p) < i {
		return false
	}
	return isVP9KeyframeHeader(p[i:])
}

// vp9SSLength returns the length of the scalability structure at p[i:]
// (RFC 9628 §4.2.1).
func vp9SSLength(p []byte, i int) (int, bool) {
	start := i
	if len(p) <= i {
		return 0, false
	}
	// |N_S|Y|G|-|-|-|
	ns := int(p[i]>>5) + 1
	y, g := p[i]&0x10 != 0, p[i]&0x08 != 0
	i++
	if y { // width and height, 16 bits each, per spatial layer
		i += 4 * ns
	}
	if g {
		if len(p) <= i {
			return 0, false
		}
		ng := int(p[i])
		i++
		for range ng {
			if len(p) <= i {
				return 0, false
			}
			// |T|U|R|-|-|: R reference P_DIFFs follow.
			i += 1 + int(p[i]>>2&0x03)
		}
	}
	if len(p) < i {
		return 0, false
	}
	return i - start, true
}

// isVP9KeyframeHeader reads the start of a VP9 uncompressed header:
// frame_marker (2 bits, always 2), profile (2 bits, then a reserved bit for
// profile 3), show_existing_frame, frame_type (0 for a key frame),
// show_frame, error_resilient_mode, then a key frame's sync code.
func isVP9KeyframeHeader(h []byte) bool {
	r := bitReader{buf: h}
	if r.read(2) != 2 {
		return false
	}
	profile := r.read(1) | r.read(1)<<1
	if profile == 3 {
		r.read(1)
	}
	if r.read(1) != 0 { // show_existing_frame: no new frame at all
		return false
	}
	if r.read(1) != 0 { // frame_type: NON_KEY_FRAME
		return false
	}
	r.read(2) // show_frame, error_resilient_mode
	sync := r.read(24)
	return r.ok() && sync == 0x498342
}

// bitReader reads big-endian bit fields; reading past the end yields zeros
// and makes ok false, so callers check once at the end.
type bitReader struct {
	buf []byte
	pos int // in bits
}

func (r *bitReader) read(n int) uint32 {
	var v uint32
	for range n {
		var bit uint32
		if byteAt := r.pos / 8; byteAt < len(r.buf) {
			bit = uint32(r.buf[byteAt]>>(7-r.pos%8)) & 1
		}
		v = v<<1 | bit
		r.pos++
	}
	return v
}

func (r *bitReader) ok() bool { return r.pos <= 8*len(r.buf) }
