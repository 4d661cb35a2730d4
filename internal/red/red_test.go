package red

import (
	"bytes"
	"errors"
	"testing"
)

// encode builds a RED payload (RFC 2198 §3) of redundant blocks, each with
// its timestamp offset, and the primary block.
func encode(pt uint8, offsets []uint16, redundant [][]byte, primary []byte) []byte {
	blocks := make([]Block, len(redundant))
	for i, b := range redundant {
		blocks[i] = Block{Data: b, TimestampOffset: offsets[i]}
	}
	out, err := Append(nil, pt, blocks, primary)
	if err != nil {
		panic(err)
	}
	return out
}

func TestAppendLimits(t *testing.T) {
	for _, b := range []Block{{Data: make([]byte, MaxBlockLen+1)}, {TimestampOffset: MaxTimestampOffset + 1}} {
		if _, err := Append(nil, 111, []Block{b}, nil); !errors.Is(err, ErrTooLarge) {
			t.Errorf("block of %d, offset %d: %v", len(b.Data), b.TimestampOffset, err)
		}
	}
	// The header carries the offset and the length bit for bit.
	p, err := Append(nil, 111, []Block{{Data: make([]byte, MaxBlockLen), TimestampOffset: MaxTimestampOffset}}, []byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{followBit | 111, 0xff, 0xff, 0xff, 111}; !bytes.Equal(p[:5], want) {
		t.Errorf("header % x, want % x", p[:5], want)
	}
}

func TestPrimary(t *testing.T) {
	long := bytes.Repeat([]byte{7}, 600) // a length needing the 10 bits' top two
	cases := []struct {
		name    string
		payload []byte
		want    []byte
		pt      uint8
		err     error
	}{
		{"primary only", encode(111, nil, nil, []byte{1, 2, 3}), []byte{1, 2, 3}, 111, nil},
		{"one redundant", encode(111, []uint16{960}, [][]byte{{9, 9}}, []byte{1, 2, 3}), []byte{1, 2, 3}, 111, nil},
		{"two redundant, one long", encode(111, []uint16{1920, 960}, [][]byte{long, {8}}, []byte{4, 5}), []byte{4, 5}, 111, nil},
		{"empty primary (DTX)", encode(111, []uint16{960}, [][]byte{{9}}, nil), []byte{}, 111, nil},
		{"empty", nil, nil, 0, ErrMalformed},
		{"redundant header cut", []byte{followBit | 111, 0, 0}, nil, 0, ErrMalformed},
		{"no primary header", []byte{followBit | 111, 0, 0, 1}, nil, 0, ErrMalformed},
		{"redundant block past the end", []byte{followBit | 111, 0, 0, 5, 111, 1}, nil, 0, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, pt, err := Primary(c.payload)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if err == nil && (!bytes.Equal(got, c.want) || pt != c.pt) {
				t.Errorf("got %v pt %d, want %v pt %d", got, pt, c.want, c.pt)
			}
		})
	}
}

func FuzzPrimary(f *testing.F) {
	f.Add(encode(111, nil, nil, []byte{1, 2, 3}))
	f.Add(encode(111, []uint16{960}, [][]byte{{9, 9}}, []byte{1, 2, 3}))
	f.Add(encode(111, []uint16{1920, 960}, [][]byte{bytes.Repeat([]byte{7}, 600), {8}}, []byte{4, 5}))
	f.Add([]byte{followBit | 111, 0, 0, 5, 111, 1})
	f.Fuzz(func(t *testing.T, payload []byte) {
		block, pt, err := Primary(payload)
		if err != nil {
			return
		}
		if pt > ptMask || len(block) > len(payload) {
			t.Fatalf("pt %d, block of %d from %d", pt, len(block), len(payload))
		}
		// The block is the payload's tail.
		if !bytes.Equal(payload[len(payload)-len(block):], block) {
			t.Fatal("block is not the payload's tail")
		}
	})
}

func BenchmarkPrimary(b *testing.B) {
	p := encode(111, []uint16{960}, [][]byte{bytes.Repeat([]byte{1}, 80)}, bytes.Repeat([]byte{2}, 80))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Primary(p); err != nil {
			b.Fatal(err)
		}
	}
}
