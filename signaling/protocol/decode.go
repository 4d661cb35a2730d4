package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Decoding errors.
var (
	ErrMalformed   = errors.New("malformed message")
	ErrUnknownType = errors.New("unknown message type")
)

// DecodeClient decodes one message a client sends to the server and returns
// a pointer to its concrete type (*Join, *SessionDescription, *Candidate,
// *Mute, *TrackSettings, *Data, *Attributes or *Leave).
func DecodeClient(data []byte) (any, error) {
	return decode(data, clientMessage)
}

// DecodeServer decodes one message the server sends to a client.
func DecodeServer(data []byte) (any, error) {
	return decode(data, serverMessage)
}

// clientMessage returns an empty message of a type clients may send.
func clientMessage(typ string) any {
	switch typ {
	case TypeJoin:
		return &Join{}
	case TypeOffer, TypeAnswer:
		return &SessionDescription{}
	case TypeCandidate:
		return &Candidate{}
	case TypeMute:
		return &Mute{}
	case TypeLeave:
		return &Leave{}
	case TypeTrackSettings:
		return &TrackSettings{}
	case TypeData:
		return &Data{}
	case TypeAttributes:
		return &Attributes{}
	}
	return nil
}

// serverMessage returns an empty message of a type the server may send.
func serverMessage(typ string) any {
	switch typ {
	case TypeJoined:
		return &Joined{}
	case TypeParticipantJoined:
		return &ParticipantJoined{}
	case TypeParticipantLeft:
		return &ParticipantLeft{}
	case TypeTrackPublished:
		return &TrackPublished{}
	case TypeTrackUnpublished:
		return &TrackUnpublished{}
	case TypeMute:
		return &Mute{}
	case TypeOffer, TypeAnswer:
		return &SessionDescription{}
	case TypeCandidate:
		return &Candidate{}
	case TypeError:
		return &Error{}
	case TypeBye:
		return &Bye{}
	case TypeRedirect:
		return &Redirect{}
	case TypeLayers:
		return &Layers{}
	case TypeSpeakers:
		return &Speakers{}
	case TypeData:
		return &Data{}
	case TypeAttributes:
		return &Attributes{}
	}
	return nil
}

func decode(data []byte, newMessage func(string) any) (any, error) {
	var env Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	msg := newMessage(env.Type)
	if msg == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, env.Type)
	}
	if err := json.Unmarshal(data, msg); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, env.Type, err)
	}
	return msg, nil
}
