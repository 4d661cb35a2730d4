package keyframe

// H.264 NAL unit types (ITU-T H.264 Table 7-1) and RTP packet types
// (RFC 6184 §5.2).
const (
	naluIDR   = 5  // coded slice of an IDR picture
	naluSPS   = 7  // sequence parameter set, sent ahead of an IDR
	naluSTAPA = 24 // single-time aggregation packet, RFC 6184 §5.7.1
	naluFUA   = 28 // fragmentation unit, RFC 6184 §5.8
)

// isH264Keyframe looks at the NAL unit header(s) of an H.264 RTP payload
// (RFC 6184 §5.3): |F|NRI| Type |.
func isH264Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch typ := p[0] & 0x1f; typ {
	case naluSTAPA:
		// After the STAP-A header: units of a 16-bit size and a NAL unit.
		for i := 1; i+2 < len(p); {
			size := int(p[i])<<8 | int(p[i+1])
			i += 2
			if size == 0 || i+size > len(p) {
				return false
			}
			if isH264KeyNALU(p[i] & 0x1f) {
				return true
			}
			i += size
		}
		return false
	case naluFUA:
		// FU header: |S|E|R| Type |; only the fragment with S set starts
		// the NAL unit.
		return len(p) >= 2 && p[1]&0x80 != 0 && isH264KeyNALU(p[1]&0x1f)
	default:
		return isH264KeyNALU(typ)
	}
}

func isH264KeyNALU(typ byte) bool { return typ == naluIDR || typ == naluSPS }
