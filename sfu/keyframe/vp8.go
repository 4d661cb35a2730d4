package keyframe

// isVP8Keyframe parses the VP8 payload descriptor (RFC 7741 §4.2) and then
// the start of the VP8 payload header (RFC 7741 §4.3, RFC 6386 §9.1).
func isVP8Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	// First octet: |X|R|N|S|R| PID |. A frame starts in the packet with
	// S set and partition index 0.
	const (
		bitX = 0x80
		bitS = 0x10
		pid  = 0x07
	)
	if p[0]&bitS == 0 || p[0]&pid != 0 {
		return false
	}
	i := 1
	if p[0]&bitX != 0 {
		if len(p) < 2 {
			return false
		}
		// Extension octet: |I|L|T|K| RSV |.
		ext := p[1]
		i = 2
		if ext&0x80 != 0 { // I: picture ID, 15 bits when its M bit is set
			if len(p) <= i {
				return false
			}
			if p[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: |TID|Y| KEYIDX |
			i++
		}
	}
	// A key frame's payload header is 10 octets: the 3-octet frame tag,
	// whose low bit is the inverse key-frame flag P, then the start code
	// 0x9d 0x01 0x2a and the dimensions. Checking the start code too keeps
	// garbage with a clear bit from passing as a keyframe; requiring all 10
	// octets, as vp8.Parse does, keeps the two readers agreeing (found by
	// FuzzVP8Agrees: a subscriber switched layers at a packet it dropped).
	if len(p) < i+10 {
		return false
	}
	h := p[i:]
	return h[0]&0x01 == 0 && h[3] == 0x9d && h[4] == 0x01 && h[5] == 0x2a
}
