package sfu

import "encoding/binary"

// unwrapRTX turns an RTX packet (RFC 4588 §4) back, in place, into the
// packet it repairs, as Pion's repair-stream reader does for its path: the
// payload's first two bytes, the original sequence number, move into the
// header; the payload type and SSRC become the original stream's. It
// declines a packet with no original payload left (a bandwidth probe,
// padding only) or too short for its header.
func unwrapRTX(b []byte, pt uint8, ssrc uint32) ([]byte, bool) {
	if len(b) < 12 {
		return nil, false
	}
	hl := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 { // a header extension (RFC 3550 §5.3.1)
		if len(b) < hl+4 {
			return nil, false
		}
		hl += 4 + 4*int(binary.BigEndian.Uint16(b[hl+2:]))
	}
	pad := 0
	if b[0]&0x20 != 0 {
		pad = int(b[len(b)-1])
	}
	if len(b)-hl-pad < 2 {
		return nil, false
	}
	b[1] = b[1]&0x80 | pt&0x7f
	b[2], b[3] = b[hl], b[hl+1]
	binary.BigEndian.PutUint32(b[8:12], ssrc)
	copy(b[hl:], b[hl+2:])
	return b[:len(b)-2], true
}
