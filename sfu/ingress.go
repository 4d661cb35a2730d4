package sfu

import (
	"time"

	"golang.org/x/time/rate"
)

// DefaultIngressBitrate and DefaultIngressPackets are the ingress caps of
// one published stream (one simulcast layer, or a
// track without layers). A camera's top layer runs at 1 to 2.5 Mbit/s and
// a screen share's peaks at 4 to 6, at most about 500 packets a second; a
// publisher far past that is broken or hostile, and what it sends would
// otherwise be fanned out to every subscriber, whose links and the
// server's send path it would fill ahead of everyone else's media.
const (
	DefaultIngressBitrate = 8_000_000
	DefaultIngressPackets = 1000
)

// ingressBurst is how much of a second's allowance may arrive at once: a
// keyframe comes in a burst of packets, several times a frame's size.
const ingressBurst = 500 * time.Millisecond

// ingressLimit caps what one published stream may bring in: past either
// rate, packets are dropped before they are stored or forwarded. Only the
// stream's read loop uses it.
type ingressLimit struct {
	bytes, packets *rate.Limiter
}

// newIngressLimit returns nil, no limit, when both caps are 0.
func newIngressLimit(bitrate, packets int) *ingressLimit {
	if bitrate <= 0 && packets <= 0 {
		return nil
	}
	l := &ingressLimit{bytes: rate.NewLimiter(rate.Inf, 0), packets: rate.NewLimiter(rate.Inf, 0)}
	if bitrate > 0 {
		bps := bitrate / 8
		l.bytes = rate.NewLimiter(rate.Limit(bps), burstOf(bps, maxPacket))
	}
	if packets > 0 {
		l.packets = rate.NewLimiter(rate.Limit(packets), burstOf(packets, 1))
	}
	return l
}

// maxPacket is the largest packet the byte cap must always let through.
const maxPacket = 1500

// burstOf is ingressBurst's share of perSecond, at least least.
func burstOf(perSecond, least int) int {
	return max(perSecond*int(ingressBurst)/int(time.Second), least)
}

// allow reports whether a packet of n bytes arriving at now fits both caps,
// and if so takes it from them.
func (l *ingressLimit) allow(now time.Time, n int) bool {
	if l == nil {
		return true
	}
	if !l.packets.AllowN(now, 1) {
		return false
	}
	return l.bytes.AllowN(now, n)
}
