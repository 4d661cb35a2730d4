// Package dataframe is the layout of one message on a participant's data
// channels (the SCTP streams `_reliable` and `_lossy`, RFC 8831), in both
// directions:
//
//	byte 0       version, 1
//	bytes 1–2    n, the header's length, big-endian (at most MaxHeader)
//	bytes 3…3+n  the header: a JSON object (Header)
//	the rest     the payload, as the application gave it
//
// A JSON header keeps the layout readable and extensible in a browser
// (TextDecoder and JSON.parse) while the payload stays binary, never
// base64-encoded as it must be on the signaling socket.
package dataframe

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Version is the first byte of every frame.
const Version = 1

// MaxHeader bounds a frame's header, in bytes: a topic and a list of
// destinations fit well within it.
const MaxHeader = 4096

// prefix is the version byte and the header's length.
const prefix = 3

// Errors of Parse and Append.
var (
	ErrShort       = errors.New("dataframe: frame too short")
	ErrVersion     = errors.New("dataframe: unknown frame version")
	ErrHeaderSize  = errors.New("dataframe: header too large")
	ErrBadHeader   = errors.New("dataframe: header is not a JSON object")
	ErrBadIdentity = errors.New("dataframe: empty destination identity")
)

// Header is what a frame says of its payload. From a client, To names the
// identities it goes to (none: everyone in the room) and From is ignored:
// the server stamps the sender. From the server, From and FromID name the
// sender (its identity and its participant id) and To is empty.
type Header struct {
	Topic  string   `json:"topic,omitempty"`
	To     []string `json:"to,omitempty"`
	From   string   `json:"from,omitempty"`
	FromID string   `json:"fromId,omitempty"`
}

// Parse splits a frame into its header and payload. The payload aliases
// frame.
func Parse(frame []byte) (Header, []byte, error) {
	var h Header
	if len(frame) < prefix {
		return h, nil, fmt.Errorf("%w: %d bytes", ErrShort, len(frame))
	}
	if frame[0] != Version {
		return h, nil, fmt.Errorf("%w: %d", ErrVersion, frame[0])
	}
	n := int(binary.BigEndian.Uint16(frame[1:prefix]))
	if n > MaxHeader {
		return h, nil, fmt.Errorf("%w: %d bytes", ErrHeaderSize, n)
	}
	if len(frame) < prefix+n {
		return h, nil, fmt.Errorf("%w: header of %d bytes, %d left", ErrShort, n, len(frame)-prefix)
	}
	if n > 0 {
		if err := json.Unmarshal(frame[prefix:prefix+n], &h); err != nil {
			return Header{}, nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
		}
	}
	for _, to := range h.To {
		if to == "" {
			return Header{}, nil, ErrBadIdentity
		}
	}
	return h, frame[prefix+n:], nil
}

// Append appends the frame of h and payload to dst.
func Append(dst []byte, h Header, payload []byte) ([]byte, error) {
	hdr, err := json.Marshal(h)
	if err != nil {
		return dst, err
	}
	if len(hdr) > MaxHeader {
		return dst, fmt.Errorf("%w: %d bytes", ErrHeaderSize, len(hdr))
	}
	dst = append(dst, Version, 0, 0)
	binary.BigEndian.PutUint16(dst[len(dst)-2:], uint16(len(hdr)))
	dst = append(dst, hdr...)
	return append(dst, payload...), nil
}
