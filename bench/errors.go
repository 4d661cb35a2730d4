package bench

import "errors"

// Errors a Client or a payload check returns; callers test them with
// errors.Is, since they are always wrapped with details.
var (
	// ErrClosed is returned by calls on a Client after Close.
	ErrClosed = errors.New("bench: client closed")
	// ErrJoinRefused means the server answered join with an error.
	ErrJoinRefused = errors.New("bench: join refused")
	// ErrUnexpectedMessage means the server broke the protocol's order.
	ErrUnexpectedMessage = errors.New("bench: unexpected message")
	// ErrSessionEnded means the server or the network ended the session.
	ErrSessionEnded = errors.New("bench: session ended")
	// ErrServerError means the server sent a fatal error.
	ErrServerError = errors.New("bench: server error")
	// ErrNegotiation means an offer or answer could not be applied.
	ErrNegotiation = errors.New("bench: negotiation failed")
	// ErrBadOption means an option was given an unusable value.
	ErrBadOption = errors.New("bench: bad option")

	// ErrPayloadShort means a payload is too short for its headers.
	ErrPayloadShort = errors.New("bench: payload too short")
	// ErrPayloadMagic means a payload does not carry the bench layout.
	ErrPayloadMagic = errors.New("bench: payload magic mismatch")
	// ErrPayloadChecksum means a payload was altered on the way.
	ErrPayloadChecksum = errors.New("bench: payload checksum mismatch")
	// ErrPayloadCodec means the codec header in front of the layout is invalid.
	ErrPayloadCodec = errors.New("bench: bad codec header")
)
