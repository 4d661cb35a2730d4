package speakers

import (
	"math"
	"sync/atomic"
)

// Silent is the RFC 6464 level of digital silence: -127 dBov.
const Silent = 127

// amplitude[l] is the linear amplitude of -l dBov, full scale 65535.
var amplitude = func() (t [Silent + 1]uint32) {
	for l := range t {
		t[l] = uint32(math.Round(65535 * math.Pow(10, -float64(l)/20)))
	}
	t[Silent] = 0 // digital silence, not -127 dB of something
	return t
}()

// The accumulator packs the packets counted (high 24 bits) and the sum of
// their amplitudes (low 40 bits) in one word, so that a packet costs one
// atomic add. 2^40 / 65535 packets at full scale (about 194 days of 20 ms
// packets) and 2^24 packets (93 hours) before an overflow: Take runs every
// tick.
const (
	packetShift = 40
	ampMask     = 1<<packetShift - 1
)

// Meter gathers the levels of one audio stream between two ticks. The
// packet path calls Observe; the room's tick calls Take. It takes no lock
// and allocates nothing; the zero value is ready.
type Meter struct {
	acc atomic.Uint64
}

// Observe records the one-byte RFC 6464 header extension of one packet
// (ext as rtp.Header.GetExtension returns it): the V bit (0x80, voice
// activity, set by a sender that runs a VAD and said so) is masked off, and
// the level is -dBov, 0 the loudest and 127 silence. A packet without the
// extension (ext empty) is not counted.
func (m *Meter) Observe(ext []byte) {
	if len(ext) == 0 {
		return
	}
	m.acc.Add(1<<packetShift | uint64(amplitude[ext[0]&0x7f]))
}

// Take returns what was observed since the last Take and starts again.
func (m *Meter) Take() Sample {
	v := m.acc.Swap(0)
	return Sample{Packets: int(v >> packetShift), amplitude: v & ampMask}
}

// Sample is what one stream sent over one tick.
type Sample struct {
	Packets   int
	amplitude uint64 // sum over the packets, full scale 65535 each
}

// SampleOf makes the sample of packets all at level (-dBov), for tests
// and for sources that measure levels themselves.
func SampleOf(packets int, level uint8) Sample {
	return Sample{Packets: packets, amplitude: uint64(packets) * uint64(amplitude[min(level, Silent)])}
}
