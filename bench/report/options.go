package report

import "time"

// Option adds to a summary what the run itself did not measure.
type Option func(*options)

type options struct {
	floorMicros  float64
	floorProfile string
	awakeMicros  float64
	awakeReaders int
	soak         bool
	warmup       time.Duration
}

// WithFloor gives the floor: the CPU microseconds that SRTP-protecting one
// packet with profile and writing it to a UDP socket take on this machine.
// The summary then states the server's cost per packet as a multiple of it.
func WithFloor(micros float64, profile string) Option {
	return func(o *options) { o.floorMicros, o.floorProfile = micros, profile }
}

// WithFloorAwake gives the floor measured against readers sockets, each
// read by a goroutine that the kernel wakes (floor.WithReaders): on
// loopback, what waking a subscriber costs the sender is in it.
func WithFloorAwake(micros float64, readers int) Option {
	return func(o *options) { o.awakeMicros, o.awakeReaders = micros, readers }
}

// WithSoak adds the soak analysis (Summary.Soak): the slope of each of the
// server's resources over the samples taken from warmup on.
func WithSoak(warmup time.Duration) Option {
	return func(o *options) { o.soak, o.warmup = true, max(warmup, 0) }
}
