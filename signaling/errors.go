package signaling

import (
	"errors"
	"fmt"

	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// Errors a session reports to its client.
var (
	ErrInvalidRoom  = errors.New("room name must be 1 to 64 letters, digits, dashes, underscores or dots")
	ErrInvalidName  = errors.New("display name must be 1 to 64 printable characters")
	ErrVersion      = errors.New("unsupported protocol version")
	ErrNotJoined    = errors.New("join first")
	ErrJoined       = errors.New("already joined")
	ErrRateLimited  = errors.New("too many messages")
	ErrTooLarge     = errors.New("message too large")
	ErrTooManyBad   = errors.New("too many bad messages")
	ErrBadSource    = errors.New("unknown track source")
	ErrSlowClient   = errors.New("client does not read its messages")
	ErrJoinTimedOut = errors.New("no join in time")
	ErrBadSettings  = errors.New("bad track settings")
	ErrBadData      = errors.New("bad data message")
	ErrUnavailable  = errors.New("the server cannot take joins now")
	ErrNodeFull     = fmt.Errorf("%w: this server is full or shutting down, and no other has room", ErrUnavailable)
)

// errorCode maps an error to the protocol's code for it.
func errorCode(err error) string {
	switch {
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrForbidden):
		return protocol.CodeUnauthorized
	case errors.Is(err, ErrInvalidRoom):
		return protocol.CodeInvalidRoom
	case errors.Is(err, ErrInvalidName):
		return protocol.CodeInvalidName
	case errors.Is(err, ErrVersion):
		return protocol.CodeUnsupportedVersion
	case errors.Is(err, ErrNotJoined):
		return protocol.CodeNotJoined
	case errors.Is(err, ErrJoined):
		return protocol.CodeAlreadyJoined
	case errors.Is(err, ErrTooManyTracks):
		return protocol.CodeTooManyTracks
	case errors.Is(err, sfu.ErrDataTooLarge):
		return protocol.CodeDataTooLarge
	case errors.Is(err, sfu.ErrAttributesTooLarge):
		return protocol.CodeInvalidAttributes
	case errors.Is(err, ErrRateLimited), errors.Is(err, ErrAddrRateLimited), errors.Is(err, sfu.ErrDataRateLimited):
		return protocol.CodeRateLimited
	case errors.Is(err, ErrTooLarge):
		return protocol.CodeTooLarge
	case errors.Is(err, sfu.ErrRoomFull):
		return protocol.CodeRoomFull
	case errors.Is(err, sfu.ErrBadSDP):
		return protocol.CodeBadSDP
	case errors.Is(err, ErrResumeFailed):
		return protocol.CodeResumeFailed
	case errors.Is(err, ErrUnavailable):
		return protocol.CodeUnavailable
	case errors.Is(err, sfu.ErrClosed), errors.Is(err, sfu.ErrShuttingDown), errors.Is(err, sfu.ErrInternal):
		return protocol.CodeInternal
	}
	return protocol.CodeBadRequest
}
