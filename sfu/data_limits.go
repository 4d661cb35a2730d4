package sfu

import (
	"errors"

	"golang.org/x/time/rate"

	"github.com/switchboard-rtc/switchboard/internal/clock"
)

// Errors of PublishData and SetAttributes: the client's message is refused,
// the participant stays.
var (
	ErrDataTooLarge       = errors.New("sfu: data message too large")
	ErrDataRateLimited    = errors.New("sfu: data messages too fast")
	ErrBadDataFrame       = errors.New("sfu: bad data channel frame")
	ErrAttributesTooLarge = errors.New("sfu: attributes too large")
)

// DataLimits bound what one participant may send to its room with
// PublishData and SetAttributes.
type DataLimits struct {
	// MaxReliable and MaxLossy bound one payload, in bytes. A lossy
	// message must fit in one SCTP packet (RFC 8831 §6.6: one lost
	// fragment loses the whole message); a reliable one is fragmented.
	MaxReliable, MaxLossy int
	// Rate and Burst bound messages a second; ByteRate and ByteBurst
	// their payloads' bytes a second (token buckets).
	Rate, Burst         float64
	ByteRate, ByteBurst float64
	// MaxAttributes bounds a participant's attribute keys,
	// MaxAttributeBytes their keys' and values' bytes together.
	MaxAttributes, MaxAttributeBytes int
}

// DefaultDataLimits are LiveKit's sizes (15 KiB reliable, 1.3 KiB lossy)
// and rates a chat and a whiteboard stay well under.
func DefaultDataLimits() DataLimits {
	return DataLimits{
		MaxReliable: 15 * 1024, MaxLossy: 1300,
		Rate: 50, Burst: 100,
		ByteRate: 256 * 1024, ByteBurst: 512 * 1024,
		MaxAttributes: 16, MaxAttributeBytes: 1024,
	}
}

// WithDataLimits sets the limits of data messages and attributes.
func WithDataLimits(l DataLimits) Option {
	return func(c *config) { c.dataLimits = l }
}

// dataLimiter is one participant's two token buckets, refilled on clock's
// time.
type dataLimiter struct {
	msgs, bytes *rate.Limiter
	clock       clock.Clock
}

func newDataLimiter(l DataLimits, clk clock.Clock) dataLimiter {
	return dataLimiter{
		clock: clk,
		msgs:  rate.NewLimiter(rate.Limit(l.Rate), int(l.Burst)),
		bytes: rate.NewLimiter(rate.Limit(l.ByteRate), int(l.ByteBurst)),
	}
}

// allow takes one message of n bytes. A message refused for its bytes
// still spends its message token: a flood of large messages is a flood.
func (d dataLimiter) allow(n int) bool {
	now := d.clock.Now()
	return d.msgs.AllowN(now, 1) && d.bytes.AllowN(now, n)
}
