package sfu

import "errors"

// Errors the SFU reports; callers test them with errors.Is.
var (
	ErrClosed             = errors.New("sfu: closed")
	ErrRoomFull           = errors.New("sfu: room is full")
	ErrBadSDP             = errors.New("sfu: bad session description")
	ErrBadCandidate       = errors.New("sfu: bad ICE candidate")
	ErrUnexpectedAnswer   = errors.New("sfu: answer without an outstanding offer")
	ErrUnknownTrack       = errors.New("sfu: unknown track")
	ErrICEFailed          = errors.New("sfu: ICE connection failed")
	ErrMediaClosed        = errors.New("sfu: peer closed its media connection")
	ErrUnsupportedCodec   = errors.New("sfu: no codec in common")
	ErrReplaced           = errors.New("sfu: the same identity joined again elsewhere")
	ErrShuttingDown       = errors.New("sfu: server shutting down")
	ErrNegotiationTimeout = errors.New("sfu: offer not answered in time")
	ErrInternal           = errors.New("sfu: internal error")
)
