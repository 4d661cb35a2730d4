package cluster

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// envelope carries one message between nodes: who sent it, and an
// HMAC-SHA256 of the sender and body under the cluster secret (RFC 2104),
// so that nothing but a node of the cluster can make one.
type envelope struct {
	From string          `json:"from"`
	Body json.RawMessage `json:"body"`
	MAC  string          `json:"mac"`
}

func mac(secret []byte, from string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(from))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)
}

// seal signs v as sent by from.
func seal(secret []byte, from string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(envelope{From: from, Body: body, MAC: hex.EncodeToString(mac(secret, from, body))})
}

// open checks data's signature and returns its sender and body.
func open(secret []byte, data []byte) (from string, body []byte, err error) {
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	got, err := hex.DecodeString(e.MAC)
	if err != nil || !hmac.Equal(got, mac(secret, e.From, e.Body)) {
		return "", nil, ErrBadSignature
	}
	return e.From, e.Body, nil
}
