package sfu

import (
	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
)

// Lean audio: RED (RFC 2198) sends each Opus packet again in the next one,
// which doubles audio's bitrate (about 56 kbit/s a microphone from
// Chromium, where Opus alone takes 28). The copy is worth it on a lossy
// link and wasted on a narrow one: two microphones' copies are a fifth of a
// 300 kbit/s link, the bandwidth of a second video's frame rate. So a
// subscriber whose estimate is under leanAudioBelow is sent RED payloads
// with the primary block alone (still RED, as it negotiated), and the
// allocator counts audio at that cost. Whatever the loss: on a narrow link
// loss is mostly the link overflowing, and the copies would add to it (at
// 300 kbit/s with 30 fps cameras, keeping them for loss kept 15-25 % of
// the packets lost for the whole run).
const leanAudioBelow = 1_000_000

// wantLeanAudio says whether a subscriber with this estimate gets lean
// audio.
func wantLeanAudio(estimate int) bool {
	return estimate < leanAudioBelow
}

// leanPayload is payload, whose parse is pp, cut to its primary block:
// the primary's one-octet header and the block, in d.leanBuf (the audio
// layer's read loop is its only user). A payload that is not RED is
// returned as it is.
func (d *DownTrack) leanPayload(payload []byte, pp *parsed) []byte {
	if !pp.isRED || len(pp.primary)+1 >= len(payload) {
		return payload
	}
	if d.leanBuf == nil {
		d.leanBuf = make([]byte, 0, packetcache.MaxPacketSize)
	}
	d.leanBuf = append(append(d.leanBuf[:0], pp.primaryPT), pp.primary...)
	return d.leanBuf
}

// leanSize is what a packet of size bytes, whose payload's parse is pp,
// takes with a RED payload's primary block alone.
func leanSize(payload []byte, pp *parsed, size int) int {
	if !pp.isRED {
		return size
	}
	return size - len(payload) + 1 + len(pp.primary)
}
