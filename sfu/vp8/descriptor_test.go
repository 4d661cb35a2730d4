package vp8

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// VP8 payload headers (RFC 7741 §4.3, RFC 6386 §9.1): a key frame's frame
// tag (P=0), start code and 640x480 with scale bits set on the width; and an
// interframe's frame tag.
var (
	keyHeader   = []byte{0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x42, 0xe0, 0x01, 0xaa}
	interHeader = []byte{0x31, 0x1c, 0x00, 0xaa, 0xbb}
)

// desc describes a payload descriptor to build; -1 means a field is absent.
type desc struct {
	start, key, n bool
	pid           int // -1: no I
	bits          int // 7 or 15
	tl0           int // -1: no L
	tid           int // -1: no T
	y             bool
	keyidx        int // -1: no K
}

// build returns a payload with descriptor d, followed by a key frame header
// if d.key, else an interframe header.
func build(d desc) []byte {
	b0 := byte(0)
	if d.start {
		b0 |= bitS
	}
	if d.n {
		b0 |= bitN
	}
	var x byte
	var fields []byte
	if d.pid >= 0 {
		x |= bitI
		if d.bits == 15 {
			fields = append(fields, bitM|byte(d.pid>>8), byte(d.pid))
		} else {
			fields = append(fields, byte(d.pid)&0x7f)
		}
	}
	if d.tl0 >= 0 {
		x |= bitL
		fields = append(fields, byte(d.tl0))
	}
	if d.tid >= 0 || d.keyidx >= 0 {
		var t byte
		if d.tid >= 0 {
			x |= bitT
			t |= byte(d.tid) << 6
			if d.y {
				t |= bitY
			}
		}
		if d.keyidx >= 0 {
			x |= bitK
			t |= byte(d.keyidx)
		}
		fields = append(fields, t)
	}
	out := []byte{b0}
	if x != 0 {
		out[0] |= bitX
		out = append(out, x)
		out = append(out, fields...)
	}
	if d.key {
		return append(out, keyHeader...)
	}
	return append(out, interHeader...)
}

// TestParseCombinations builds every combination of the X/I/L/T/K fields,
// both PictureID widths, and start, key frame and continuation packets.
func TestParseCombinations(t *testing.T) {
	for mask := range 32 { // X, I, L, T, K
		for _, bits := range []int{7, 15} {
			for _, kind := range []string{"key", "start", "middle"} {
				x, i, l, tt, k := mask&1 != 0, mask&2 != 0, mask&4 != 0, mask&8 != 0, mask&16 != 0
				if !x && (i || l || tt || k) || (!i && bits == 15) {
					continue
				}
				d := desc{pid: -1, bits: bits, tl0: -1, tid: -1, keyidx: -1, start: kind != "middle", key: kind == "key", n: kind == "middle"}
				pid := 0x55
				if bits == 15 {
					pid = 0x5abc
				}
				wantSize := 1
				if x {
					wantSize++
				}
				if i {
					d.pid = pid
					wantSize += bits / 7
				}
				if l {
					d.tl0 = 0xa7
					wantSize++
				}
				if tt {
					d.tid, d.y = 2, true
				}
				if k {
					d.keyidx = 0x13
				}
				if tt || k {
					wantSize++
				}
				p := build(d)
				if x && !(i || l || tt || k) {
					// X with no fields: an extension octet of zeros.
					p = append([]byte{p[0] | bitX, 0}, p[1:]...)
				}
				name := fmt.Sprintf("X%v I%v L%v T%v K%v %d-bit %s", x, i, l, tt, k, bits, kind)
				t.Run(name, func(t *testing.T) {
					var got Descriptor
					if err := Parse(p, &got); err != nil {
						t.Fatalf("Parse(% x): %v", p, err)
					}
					want := Descriptor{
						Start: kind != "middle", NonReference: kind == "middle", Keyframe: kind == "key",
						HasPictureID: i, HasTL0PICIDX: l, HasTID: tt, HasKEYIDX: k, Size: wantSize,
					}
					if i {
						want.PictureID, want.PictureIDBits = uint16(pid), bits
						want.pictureIDOffset = 2
					}
					if l {
						want.TL0PICIDX = 0xa7
						want.tl0Offset = 2
						if i {
							want.tl0Offset += bits / 7
						}
					}
					if tt {
						want.TID, want.LayerSync = 2, true
					}
					if k {
						want.KEYIDX = 0x13
					}
					if tt || k {
						want.tidOffset = wantSize - 1
					}
					if kind == "key" {
						want.Width, want.Height = 640, 480
					}
					if got != want {
						t.Fatalf("Parse(% x) =\n%+v; want\n%+v", p, got, want)
					}
				})
			}
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    Descriptor
		err     error
	}{
		{"empty", nil, Descriptor{}, ErrShortPacket},
		{"descriptor only", []byte{0x10}, Descriptor{}, ErrShortPacket},
		{"X without extension", []byte{0x90}, Descriptor{}, ErrShortPacket},
		{"I without picture id", []byte{0x80, 0x80}, Descriptor{}, ErrShortPacket},
		{"15-bit picture id cut", []byte{0x80, 0x80, 0x81}, Descriptor{}, ErrShortPacket},
		{"L without TL0PICIDX", []byte{0x80, 0xc0, 0x01}, Descriptor{}, ErrShortPacket},
		{"T without TID", []byte{0x80, 0xe0, 0x01, 0x02}, Descriptor{}, ErrShortPacket},
		{"no VP8 data after descriptor", []byte{0x80, 0xe0, 0x01, 0x02, 0x40}, Descriptor{}, ErrShortPacket},
		{"start without full frame tag", []byte{0x10, 0x31, 0x1c}, Descriptor{}, ErrShortPacket},
		{"key frame header cut", []byte{0x10, 0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0}, Descriptor{}, ErrShortPacket},
		{"key frame without start code", []byte{0x10, 0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2b, 0x80, 0x02, 0xe0, 0x01}, Descriptor{}, ErrMalformed},
		{
			"continuation with one byte of data", []byte{0x00, 0xff},
			Descriptor{Size: 1}, nil,
		},
		{
			"P clear in a continuation is not a key frame", []byte{0x00, 0x50, 0x2d},
			Descriptor{Size: 1}, nil,
		},
		{
			"S with PID 1 is not a frame start", []byte{0x11, 0x50},
			Descriptor{Size: 1}, nil,
		},
		{
			"reserved bits ignored (RFC 7741 §4.2)", []byte{0xc8, 0x8f, 0x05, 0x00},
			Descriptor{HasPictureID: true, PictureID: 5, PictureIDBits: 7, pictureIDOffset: 2, Size: 3}, nil,
		},
		{
			"interframe start", []byte{0x90, 0xe0, 0x81, 0x23, 0x07, 0x40, 0x31, 0x1c, 0x00},
			Descriptor{
				Start: true, HasPictureID: true, PictureID: 0x123, PictureIDBits: 15, pictureIDOffset: 2,
				HasTL0PICIDX: true, TL0PICIDX: 7, tl0Offset: 4, HasTID: true, TID: 1, tidOffset: 5, Size: 6,
			}, nil,
		},
		{
			"1280x720 key frame", []byte{0x10, 0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02},
			Descriptor{Start: true, Keyframe: true, Width: 1280, Height: 720, Size: 1}, nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Descriptor
			got.Size = 99 // Parse must reset d, also on error
			err := Parse(tt.payload, &got)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("Parse(% x) = %+v, %v; want %+v, %v", tt.payload, got, err, tt.want, tt.err)
			}
		})
	}
}

// FuzzParse checks that Parse never panics, that what it accepts has its
// fields inside the descriptor, each where RFC 7741 §4.2 puts it, and that
// Munge followed by Restore leaves the payload as it was. Seeds
// (testdata/fuzz/FuzzParse) are Chromium's VP8 payloads from the browser
// tests (their first 64 octets): key frames and interframes of every
// simulcast layer, first and later packets of a frame.
func FuzzParse(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x10})
	f.Add([]byte{0x90, 0xf0, 0x81, 0x23, 0x07, 0x53, 0x31, 0x1c, 0x00})
	f.Add(build(desc{start: true, key: true, pid: 0x7fff, bits: 15, tl0: 255, tid: 0, keyidx: 3}))
	f.Add(build(desc{pid: 0x7f, bits: 7, tl0: -1, tid: 3, y: true, keyidx: -1}))
	f.Add([]byte{0x10, 0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2b, 0x80, 0x02, 0xe0, 0x01})
	f.Fuzz(func(t *testing.T, p []byte) {
		var d Descriptor
		if err := Parse(p, &d); err != nil {
			if !errors.Is(err, ErrShortPacket) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if d.Size < 1 || d.Size >= len(p) {
			t.Fatalf("Size %d for %d bytes", d.Size, len(p))
		}
		checkOffsets(t, p, &d)
		orig := bytes.Clone(p)
		m := NewMunger()
		m.Switch()
		// Move the output away from the input so Munge really rewrites.
		first := d
		first.PictureID ^= 0x40
		first.TL0PICIDX ^= 0x40
		m.Munge(bytes.Clone(p), &first)
		m.Switch()
		o, ok := m.Munge(p, &d)
		if !ok {
			t.Fatal("first packet of a source not placed")
		}
		var d2 Descriptor
		if err := Parse(p, &d2); err != nil {
			t.Fatalf("munged payload does not parse: %v", err)
		}
		d2.PictureID, d2.TL0PICIDX = d.PictureID, d.TL0PICIDX
		if d2 != d {
			t.Fatalf("munging changed more than the numbers: %+v, was %+v", d2, d)
		}
		Restore(p, &d, o)
		if !bytes.Equal(p, orig) {
			t.Fatalf("Restore gave % x; want % x", p, orig)
		}
	})
}

// checkOffsets asserts that the fields Munge rewrites lie inside the
// descriptor, in RFC 7741 §4.2's order, and read back as parsed.
func checkOffsets(t *testing.T, p []byte, d *Descriptor) {
	t.Helper()
	end := 0 // the end of the previous field
	if d.HasPictureID {
		o := d.pictureIDOffset
		if o != 2 || o+d.PictureIDBits/8 > d.Size {
			t.Fatalf("PictureID at %d (%d bits) in a %d-octet descriptor", o, d.PictureIDBits, d.Size)
		}
		if id := uint16(p[o] & 0x7f); d.PictureIDBits == 7 && id != d.PictureID ||
			d.PictureIDBits == 15 && id<<8|uint16(p[o+1]) != d.PictureID {
			t.Fatalf("PictureID %d, the octets say % x", d.PictureID, p[o:o+d.PictureIDBits/8])
		}
		end = o + d.PictureIDBits/8
	}
	if d.HasTL0PICIDX {
		if o := d.tl0Offset; o < max(end, 2) || o >= d.Size || p[o] != d.TL0PICIDX {
			t.Fatalf("TL0PICIDX at %d in a %d-octet descriptor", o, d.Size)
		}
		end = d.tl0Offset + 1
	}
	if d.HasTID || d.HasKEYIDX {
		if o := d.tidOffset; o < max(end, 2) || o != d.Size-1 {
			t.Fatalf("TID/KEYIDX at %d in a %d-octet descriptor", o, d.Size)
		}
	}
	if d.Keyframe && (!d.Start || d.Size+10 > len(p)) {
		t.Fatalf("a key frame without its start or its 10-octet header: %+v", d)
	}
}

func BenchmarkParse(b *testing.B) {
	p := build(desc{start: true, key: true, pid: 0x1234, bits: 15, tl0: 7, tid: 1, keyidx: -1})
	var d Descriptor
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(p, &d); err != nil {
			b.Fatal(err)
		}
	}
}
