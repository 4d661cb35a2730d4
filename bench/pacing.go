package bench

import "time"

// Media clocks and pacing of the synthetic sources.
const (
	audioClockRate      = 48000
	videoClockRate      = 90000
	audioPacketDuration = 20 * time.Millisecond // 50 packets/s, like Opus in browsers
	// keyframeCost is how many delta frames one keyframe weighs: a rough
	// libvpx figure at conference bitrates, enough to make keyframes bursts.
	keyframeCost = 3
	// maxVideoPayload keeps packets under every path MTU seen in practice
	// once SRTP, RTP extensions, UDP and IP headers are added.
	maxVideoPayload = 1100
)

// frameSizes splits a video bitrate into the byte sizes of a keyframe and a
// delta frame such that one keyframe interval, keyframe included, carries
// bitrate × interval bits. Without periodic keyframes every frame gets the
// average share and keyframes (on request only) cost keyframeCost of them.
func frameSizes(bitrate, fps int, keyframeInterval time.Duration) (key, delta int) {
	if bitrate <= 0 || fps <= 0 {
		return 0, 0
	}
	framesPerInterval := int(keyframeInterval * time.Duration(fps) / time.Second)
	if framesPerInterval < 1 {
		delta = bitrate / 8 / fps
		return keyframeCost * delta, delta
	}
	budget := int64(bitrate) * int64(keyframeInterval) / int64(8*time.Second)
	delta = int(budget / int64(framesPerInterval-1+keyframeCost))
	return keyframeCost * delta, delta
}

// audioPacketSize is the payload size of one 20 ms packet at bitrate.
func audioPacketSize(bitrate int) int {
	return int(int64(bitrate) * int64(audioPacketDuration) / int64(8*time.Second))
}

// packetSizes splits a frame of size bytes into the fewest packets of at most
// maxPayload bytes, their sizes as even as possible (what libwebrtc does, so
// that no tiny tail packet is sent).
func packetSizes(dst []int, size, maxPayload int) []int {
	if size <= 0 || maxPayload <= 0 {
		return dst
	}
	n := (size + maxPayload - 1) / maxPayload
	base, extra := size/n, size%n
	for i := range n {
		s := base
		if i < extra {
			s++
		}
		dst = append(dst, s)
	}
	return dst
}

// rtpTimestamp is base advanced by elapsed at clockRate, wrapping like RTP
// timestamps do. It is computed from wall-clock time rather than by counting
// ticks, so a late tick does not make the media clock drift.
func rtpTimestamp(base uint32, elapsed time.Duration, clockRate uint32) uint32 {
	if elapsed < 0 {
		elapsed = 0
	}
	sec := uint64(elapsed / time.Second)
	frac := uint64(elapsed % time.Second)
	ticks := sec*uint64(clockRate) + frac*uint64(clockRate)/uint64(time.Second)
	return base + uint32(ticks)
}
