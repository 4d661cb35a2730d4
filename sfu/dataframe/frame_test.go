package dataframe

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		h       Header
		payload []byte
	}{
		{"empty", Header{}, nil},
		{"topic", Header{Topic: "chat"}, []byte("hello")},
		{"destinations", Header{To: []string{"alice", "bob"}}, []byte{0, 1, 2, 0xff}},
		{"stamped", Header{From: "alice@example.com", FromID: "PA123", Topic: "t"}, bytes.Repeat([]byte{7}, 15*1024)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame, err := Append(nil, tc.h, tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			h, p, err := Parse(frame)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(h, tc.h) || !bytes.Equal(p, tc.payload) {
				t.Fatalf("got %+v %q, want %+v %q", h, p, tc.h, tc.payload)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
		want  error
	}{
		{"nothing", nil, ErrShort},
		{"two bytes", []byte{1, 0}, ErrShort},
		{"version", []byte{2, 0, 0}, ErrVersion},
		{"header past the end", []byte{1, 0, 5, '{', '}'}, ErrShort},
		{"header too large", append([]byte{1, 0x10, 0x01}, make([]byte, 4097)...), ErrHeaderSize},
		{"not JSON", []byte{1, 0, 2, 'x', 'y'}, ErrBadHeader},
		{"not an object", []byte{1, 0, 2, '4', '2'}, ErrBadHeader},
		{"empty destination", append([]byte{1, 0, 9}, `{"to":[""]}`[:9]...), ErrBadHeader},
		{"empty destination identity", append([]byte{1, 0, 11}, `{"to":[""]}`...), ErrBadIdentity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Parse(tc.frame); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
