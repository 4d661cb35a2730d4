package protocol_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// FuzzDecodeClient: whatever a client sends, DecodeClient never panics,
// refuses only with its two errors, and what it accepts is a message of the
// type its envelope names that survives a round trip (seeds:
// testdata/fuzz/FuzzDecodeClient, every message Chromium's page sent in the
// browser tests, and the inline ones).
func FuzzDecodeClient(f *testing.F) {
	for _, s := range []string{
		`{"type":"join","version":1,"room":"r","name":"n","token":"a.b.c"}`,
		`{"type":"leave"}`,
		`{"type":"answer","sdp":"v=0\r\n"}`,
		`{"type":"candidate","candidate":{"candidate":"","sdpMid":null,"sdpMLineIndex":65535}}`,
		`{"type":"track-settings","trackId":"TR_x","width":-1,"height":1e9,"paused":true}`,
		`{"type":"offer","sdp":"","tracks":[],"trackIds":{}}`,
		`{"type":"data","payload":"aGk=","topic":"chat","destinationIdentities":["bob"],"identity":"mallory"}`,
		`{"type":"attributes","attributes":{"hand":"1","":""}}`,
		`{"type":"joined"}`,
		`{"TYPE":"mute","type":"leave"}`,
		`[]`, `null`, `{"type":7}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data, protocol.DecodeClient)
	})
}

// FuzzDecodeServer: the same of the server's messages, as the bundled
// client (package bench) reads them.
func FuzzDecodeServer(f *testing.F) {
	for _, s := range []string{
		`{"type":"joined","version":1,"participantId":"PA_1","room":"r","participants":[{"id":"PA_2","name":"B","tracks":[{"id":"TR_1","participantId":"PA_2","kind":"video","source":"camera","muted":false}]}],"iceServers":[{"urls":["turn:h:3478?transport=udp"],"username":"1:x","credential":"c"}],"permissions":{"publish":true,"publishScreen":true,"subscribe":true}}`,
		`{"type":"participant-joined","participant":{"id":"PA_2","name":"B","tracks":null}}`,
		`{"type":"participant-left","participantId":"PA_2"}`,
		`{"type":"track-published","track":{"id":"TR_1","participantId":"PA_2","kind":"audio","source":"microphone","muted":true}}`,
		`{"type":"track-unpublished","participantId":"PA_2","trackId":"TR_1"}`,
		`{"type":"mute","participantId":"PA_2","trackId":"TR_1","muted":true}`,
		`{"type":"offer","sdp":"v=0\r\n","trackIds":{"0":"TR_1"}}`,
		`{"type":"layers","mid":"1","active":["q","h"]}`,
		`{"type":"speakers","speakers":[{"participantId":"PA_2","level":0.82},{"participantId":"PA_3","level":0.1}]}`,
		`{"type":"speakers","speakers":[]}`,
		`{"type":"error","code":"bad-sdp","message":"m","fatal":true}`,
		`{"type":"bye","reason":"shutdown"}`,
		`{"type":"join"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data, protocol.DecodeServer)
	})
}

func checkDecode(t *testing.T, data []byte, decode func([]byte) (any, error)) {
	msg, err := decode(data)
	if err != nil {
		if !errors.Is(err, protocol.ErrMalformed) && !errors.Is(err, protocol.ErrUnknownType) {
			t.Fatalf("error %v is neither ErrMalformed nor ErrUnknownType", err)
		}
		if msg != nil {
			t.Fatalf("a message (%T) with the error %v", msg, err)
		}
		return
	}
	var env protocol.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("decoded %T from what is not JSON: %v", msg, err)
	}
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		t.Fatalf("decoded %T, want a pointer to a message struct", msg)
	}
	if typ := v.Elem().FieldByName("Type").String(); typ != env.Type {
		t.Fatalf("%T says type %q, the envelope %q", msg, typ, env.Type)
	}
	// Round trip: encoding what was decoded and decoding that gives the
	// same message (compared encoded: omitempty turns an empty list into
	// an absent one once, and no further).
	first, err := json.Marshal(msg)
	if err != nil {
		t.Fatalf("re-encoding %T: %v", msg, err)
	}
	again, err := decode(first)
	if err != nil {
		t.Fatalf("re-decoding %s: %v", first, err)
	}
	if reflect.TypeOf(again) != reflect.TypeOf(msg) {
		t.Fatalf("re-decoded as %T, was %T", again, msg)
	}
	second, err := json.Marshal(again)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("round trip changed the message:\n%s\n%s", first, second)
	}
}
