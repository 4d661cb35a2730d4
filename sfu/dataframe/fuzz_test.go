package dataframe

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzParse feeds the parser what a client may send on its data channel.
// Seeds (testdata/fuzz/FuzzParse) are frames as switchboard.js writes them.
//
// Properties: Parse never panics; what it accepts re-encodes (Append) to a
// frame that parses to the same header and payload, and a payload is the
// frame's tail.
func FuzzParse(f *testing.F) {
	f.Add([]byte{1, 0, 2, '{', '}'})
	f.Add([]byte{1, 0, 0, 'h', 'i'})
	f.Fuzz(func(t *testing.T, frame []byte) {
		h, payload, err := Parse(frame)
		if err != nil {
			return
		}
		if !bytes.HasSuffix(frame, payload) {
			t.Fatalf("payload %q is not the frame's tail", payload)
		}
		again, err := Append(nil, h, payload)
		if err != nil {
			// Only a header whose re-encoding grows past the bound (JSON
			// escapes) may fail.
			return
		}
		h2, p2, err := Parse(again)
		if err != nil {
			t.Fatalf("a re-encoded frame does not parse: %v", err)
		}
		if !reflect.DeepEqual(h, h2) || !bytes.Equal(payload, p2) {
			t.Fatalf("round trip: %+v %q, then %+v %q", h, payload, h2, p2)
		}
	})
}
