package packetcache

import "strconv"

// Result tells what Store did with a packet.
type Result int

const (
	// Stored means the packet is now held, either as the newest of the
	// stream or as a late arrival filling a gap (a recovery).
	Stored Result = iota
	// Duplicate means a packet with that sequence number is already held;
	// the cache kept the first copy.
	Duplicate
	// TooOld means the packet is further behind the newest sequence number
	// than the cache holds, so it was not stored.
	TooOld
	// TooLarge means the packet is longer than MaxPacketSize and was not
	// stored.
	TooLarge
)

// String returns the result's name, for logs and test failures.
func (r Result) String() string {
	switch r {
	case Stored:
		return "Stored"
	case Duplicate:
		return "Duplicate"
	case TooOld:
		return "TooOld"
	case TooLarge:
		return "TooLarge"
	default:
		return "Result(" + strconv.Itoa(int(r)) + ")"
	}
}
