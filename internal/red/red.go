// Package red reads RTP payloads for redundant audio data (RED, RFC 2198),
// as Chromium sends Opus when red/48000/2 is negotiated: a list of block
// headers, then the blocks, the redundant (older) ones first and the
// primary (newest) last. It allocates nothing.
package red

import "errors"

// Errors: a payload that is not a whole RED payload; a block that RFC
// 2198's header cannot describe.
var (
	ErrMalformed = errors.New("red: malformed payload")
	ErrTooLarge  = errors.New("red: block too large")
)

// Limits of a redundant block's header fields (RFC 2198 §3).
const (
	MaxBlockLen        = 1<<10 - 1
	MaxTimestampOffset = 1<<14 - 1
)

// Block headers (RFC 2198 §3): a redundant block's is 4 octets,
//
//	|F|   block PT  |  timestamp offset         |   block length    |
//
// with F set, a 7-bit payload type, a 14-bit timestamp offset and a 10-bit
// length; the last header, the primary's, is one octet: F clear and the
// payload type. The primary block's length is the rest of the payload.
const (
	redundantHeaderLen = 4
	followBit          = 0x80
	ptMask             = 0x7f
)

// Primary returns the primary block of a RED payload and its payload type.
// block is a sub-slice of payload: nothing is copied.
func Primary(payload []byte) (block []byte, pt uint8, err error) {
	off, redundant := 0, 0
	for {
		if off >= len(payload) {
			return nil, 0, ErrMalformed
		}
		h := payload[off]
		if h&followBit == 0 {
			// The primary's header: the blocks start after it.
			pt = h & ptMask
			off++
			break
		}
		if off+redundantHeaderLen > len(payload) {
			return nil, 0, ErrMalformed
		}
		redundant += int(payload[off+2]&0x03)<<8 | int(payload[off+3])
		off += redundantHeaderLen
	}
	start := off + redundant
	if start > len(payload) {
		return nil, 0, ErrMalformed
	}
	return payload[start:], pt, nil
}

// Block is a redundant block: its payload and how far its timestamp is
// behind the packet's (RFC 2198 §3), in the codec's clock.
type Block struct {
	Data            []byte
	TimestampOffset uint16
}

// Append appends to dst a RED payload of the redundant blocks (oldest
// first) and the primary, all of payload type pt, as Chromium sends Opus.
func Append(dst []byte, pt uint8, redundant []Block, primary []byte) ([]byte, error) {
	for _, b := range redundant {
		if len(b.Data) > MaxBlockLen || b.TimestampOffset > MaxTimestampOffset {
			return dst, ErrTooLarge
		}
		off, n := b.TimestampOffset, len(b.Data)
		dst = append(dst, followBit|pt&ptMask, byte(off>>6), byte(off<<2)|byte(n>>8), byte(n))
	}
	dst = append(dst, pt&ptMask)
	for _, b := range redundant {
		dst = append(dst, b.Data...)
	}
	return append(dst, primary...), nil
}
