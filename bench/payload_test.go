package bench

import (
	"errors"
	"testing"
)

func TestPayloadRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		p        Payload
		size     int
		wantSize int
	}{
		{"smaller than the header grows to it", Payload{Seq: 1, SentUnix: 2}, 0, PayloadHeaderSize},
		{"header only", Payload{Seq: 0, SentUnix: 1}, PayloadHeaderSize, PayloadHeaderSize},
		{"audio sized", Payload{Seq: 12345, SentUnix: 1_700_000_000_000_000_000}, 79, 79},
		{"video packet", Payload{Seq: 1<<40 + 7, SentUnix: -5}, 1100, 1100},
		{"largest values", Payload{Seq: ^uint64(0), SentUnix: 1<<63 - 1}, 300, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte{0xaa, 0xbb}
			b := AppendPayload(prefix, tt.p, tt.size)
			if got := len(b) - len(prefix); got != tt.wantSize {
				t.Fatalf("size %d, want %d", got, tt.wantSize)
			}
			if b[0] != 0xaa || b[1] != 0xbb {
				t.Fatalf("prefix overwritten: % x", b[:2])
			}
			got, err := ParsePayload(b[len(prefix):])
			if err != nil {
				t.Fatalf("ParsePayload: %v", err)
			}
			if got != tt.p {
				t.Fatalf("got %+v, want %+v", got, tt.p)
			}
		})
	}
}

func TestParsePayloadRejectsDamage(t *testing.T) {
	good := AppendPayload(nil, Payload{Seq: 42, SentUnix: 99}, 200)
	tests := []struct {
		name   string
		damage func([]byte) []byte
		want   error
	}{
		{"empty", func([]byte) []byte { return nil }, ErrPayloadShort},
		{"shorter than the header", func(b []byte) []byte { return b[:PayloadHeaderSize-1] }, ErrPayloadShort},
		{"magic", func(b []byte) []byte { b[0] ^= 1; return b }, ErrPayloadMagic},
		{"sequence number", func(b []byte) []byte { b[11] ^= 1; return b }, ErrPayloadChecksum},
		{"send time", func(b []byte) []byte { b[15] ^= 0x80; return b }, ErrPayloadChecksum},
		{"checksum", func(b []byte) []byte { b[22] ^= 4; return b }, ErrPayloadChecksum},
		{"filler", func(b []byte) []byte { b[150] ^= 0x10; return b }, ErrPayloadChecksum},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, ErrPayloadChecksum},
		{"extended", func(b []byte) []byte { return append(b, 0) }, ErrPayloadChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.damage(append([]byte(nil), good...))
			if _, err := ParsePayload(b); !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
}
