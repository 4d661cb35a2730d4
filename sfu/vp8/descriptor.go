package vp8

import "errors"

var (
	// ErrShortPacket means the payload ends before the fields its payload
	// descriptor announces, or carries no VP8 data after the descriptor.
	ErrShortPacket = errors.New("vp8: short packet")
	// ErrMalformed means the payload is long enough but contradicts
	// itself: a key frame (RFC 6386 §9.1) without its start code.
	ErrMalformed = errors.New("vp8: malformed payload")
)

// Bits of the payload descriptor, RFC 7741 §4.2:
//
//	     0 1 2 3 4 5 6 7
//	    +-+-+-+-+-+-+-+-+
//	    |X|R|N|S|R| PID | (REQUIRED)
//	    +-+-+-+-+-+-+-+-+
//	X:  |I|L|T|K| RSV   | (OPTIONAL)
//	    +-+-+-+-+-+-+-+-+
//	I:  |M| PictureID   | (OPTIONAL; a second octet when M is set)
//	    +-+-+-+-+-+-+-+-+
//	L:  |   TL0PICIDX   | (OPTIONAL)
//	    +-+-+-+-+-+-+-+-+
//	T/K:|TID|Y| KEYIDX  | (OPTIONAL)
//	    +-+-+-+-+-+-+-+-+
const (
	bitX    = 0x80
	bitN    = 0x20
	bitS    = 0x10
	maskPID = 0x07

	bitI = 0x80
	bitL = 0x40
	bitT = 0x20
	bitK = 0x10

	bitM = 0x80

	maskTID    = 0xc0
	bitY       = 0x20
	maskKEYIDX = 0x1f
)

// Descriptor is the parsed VP8 payload descriptor of one RTP packet;
// offsets let the caller rewrite in place.
type Descriptor struct {
	Start        bool // S bit with PID 0: first packet of a frame
	NonReference bool // N bit: no other frame depends on this one
	// Keyframe is set for the first packet of a key frame: Start, and the
	// VP8 frame tag says key frame (RFC 6386 §9.1) with start code 9d 01 2a.
	Keyframe bool

	HasPictureID  bool
	PictureID     uint16
	PictureIDBits int // 7 or 15 (M bit); 0 without a PictureID

	HasTL0PICIDX bool
	TL0PICIDX    uint8

	HasTID    bool
	TID       uint8
	LayerSync bool // Y bit: depends only on the base layer (TL0PICIDX)

	HasKEYIDX bool
	KEYIDX    uint8

	// Width and Height come from a key frame's header (14 bits each, the
	// scaling bits dropped, RFC 6386 §9.1); 0 otherwise.
	Width, Height int

	// Byte offsets of the fields in the payload; 0 when absent (no field
	// can be at offset 0, which holds the required first octet).
	pictureIDOffset, tl0Offset, tidOffset int

	Size int // descriptor length in bytes
}

// Parse parses the payload descriptor at the start of an RTP payload into
// d. On error d is zeroed. It never panics and allocates nothing.
//
// A first packet of a frame must carry the 3-octet frame tag, and of a key
// frame the 10-octet key frame header (RFC 7741 §4.3); any packet must carry
// at least one octet of VP8 data after the descriptor.
func Parse(payload []byte, d *Descriptor) error {
	*d = Descriptor{}
	if err := parse(payload, d); err != nil {
		*d = Descriptor{}
		return err
	}
	return nil
}

func parse(p []byte, d *Descriptor) error {
	if len(p) < 1 {
		return ErrShortPacket
	}
	b := p[0]
	d.Start = b&bitS != 0 && b&maskPID == 0
	d.NonReference = b&bitN != 0
	i := 1
	if b&bitX != 0 {
		if len(p) < 2 {
			return ErrShortPacket
		}
		x := p[1]
		i = 2
		if x&bitI != 0 {
			if len(p) <= i {
				return ErrShortPacket
			}
			d.HasPictureID = true
			d.pictureIDOffset = i
			if p[i]&bitM != 0 {
				if len(p) <= i+1 {
					return ErrShortPacket
				}
				d.PictureID = uint16(p[i]&^bitM)<<8 | uint16(p[i+1])
				d.PictureIDBits = 15
				i += 2
			} else {
				d.PictureID = uint16(p[i])
				d.PictureIDBits = 7
				i++
			}
		}
		if x&bitL != 0 {
			if len(p) <= i {
				return ErrShortPacket
			}
			d.HasTL0PICIDX = true
			d.TL0PICIDX = p[i]
			d.tl0Offset = i
			i++
		}
		if x&(bitT|bitK) != 0 {
			if len(p) <= i {
				return ErrShortPacket
			}
			t := p[i]
			d.tidOffset = i
			if x&bitT != 0 {
				d.HasTID = true
				d.TID = t >> 6
				d.LayerSync = t&bitY != 0
			}
			if x&bitK != 0 {
				d.HasKEYIDX = true
				d.KEYIDX = t & maskKEYIDX
			}
			i++
		}
	}
	d.Size = i
	h := p[i:]
	if len(h) == 0 {
		return ErrShortPacket
	}
	if !d.Start {
		return nil
	}
	// The payload header, RFC 7741 §4.3 and RFC 6386 §9.1: a 3-octet frame
	// tag whose low bit P is 0 for a key frame, then for a key frame the
	// start code and two little-endian 16-bit fields of 14-bit size and
	// 2-bit scale.
	if len(h) < 3 {
		return ErrShortPacket
	}
	if h[0]&0x01 != 0 {
		return nil
	}
	if len(h) < 10 {
		return ErrShortPacket
	}
	if h[3] != 0x9d || h[4] != 0x01 || h[5] != 0x2a {
		return ErrMalformed
	}
	d.Keyframe = true
	d.Width = int(uint16(h[6])|uint16(h[7])<<8) & 0x3fff
	d.Height = int(uint16(h[8])|uint16(h[9])<<8) & 0x3fff
	return nil
}

// writePictureID writes id into the PictureID field of d, in the field's
// own width (RFC 7741 §4.2: 7 bits with M clear, 15 with M set).
func writePictureID(p []byte, d *Descriptor, id uint16) {
	o := d.pictureIDOffset
	if d.PictureIDBits == 15 {
		p[o] = bitM | byte(id>>8)&^bitM
		p[o+1] = byte(id)
		return
	}
	p[o] = byte(id) &^ bitM
}
