package bench

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The bench layout follows the codec header of every RTP payload a synthetic
// source sends. It lets a receiver check that the SFU forwarded the bytes
// untouched and measure loss, duplicates and latency end to end, without
// trusting RTP sequence numbers (which the SFU rewrites per subscriber).
//
//	offset size
//	0      4    magic "SWB1"
//	4      8    sequence number of the packet in the publisher's track, from 0
//	12     8    send time, Unix nanoseconds
//	20     4    CRC-32C of every other byte of the layout, filler included
//	24     n    filler derived from the sequence number, up to the wanted size
const PayloadMagic uint32 = 0x53574231 // "SWB1"

// PayloadHeaderSize is the size of the layout without filler.
const PayloadHeaderSize = 24

// Payload is what a receiver reads back from the bench layout.
type Payload struct {
	Seq      uint64
	SentUnix int64 // nanoseconds
}

// AppendPayload appends the bench layout for p to dst, filled up to size
// bytes (at least PayloadHeaderSize).
func AppendPayload(dst []byte, p Payload, size int) []byte {
	size = max(size, PayloadHeaderSize)
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, PayloadMagic)
	dst = binary.BigEndian.AppendUint64(dst, p.Seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(p.SentUnix))
	dst = append(dst, 0, 0, 0, 0) // checksum, set below
	for i := PayloadHeaderSize; i < size; i++ {
		dst = append(dst, byte(p.Seq)+byte(i))
	}
	b := dst[start:]
	binary.BigEndian.PutUint32(b[20:24], layoutChecksum(b))
	return dst
}

// ParsePayload reads the bench layout at the start of b (the RTP payload
// after its codec header) and checks that it is intact.
func ParsePayload(b []byte) (Payload, error) {
	if len(b) < PayloadHeaderSize {
		return Payload{}, fmt.Errorf("%w: %d bytes", ErrPayloadShort, len(b))
	}
	if m := binary.BigEndian.Uint32(b[0:4]); m != PayloadMagic {
		return Payload{}, fmt.Errorf("%w: %#08x", ErrPayloadMagic, m)
	}
	if got, want := binary.BigEndian.Uint32(b[20:24]), layoutChecksum(b); got != want {
		return Payload{}, fmt.Errorf("%w: %#08x, computed %#08x", ErrPayloadChecksum, got, want)
	}
	return Payload{
		Seq:      binary.BigEndian.Uint64(b[4:12]),
		SentUnix: int64(binary.BigEndian.Uint64(b[12:20])),
	}, nil
}

// layoutChecksum covers the layout except its own checksum field.
func layoutChecksum(b []byte) uint32 {
	castagnoli := crc32.MakeTable(crc32.Castagnoli) // built once by the package, then cached
	sum := crc32.Update(0, castagnoli, b[0:20])
	return crc32.Update(sum, castagnoli, b[24:])
}
