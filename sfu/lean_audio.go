package sfu

import (
	"github.com/pion/rtp"

	"github.com/switchboard-rtc/switchboard/internal/red"
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

// leanPayload is payload, a RED payload, cut to its primary block: the
// primary's one-octet header and the block, in d.leanBuf (the audio
// layer's read loop is its only user). A payload that is not RED is
// returned as it is.
func (d *DownTrack) leanPayload(payload []byte) []byte {
	primary, pt, err := red.Primary(payload)
	if err != nil || len(primary)+1 >= len(payload) {
		return payload
	}
	if d.leanBuf == nil {
		d.leanBuf = make([]byte, 0, packetcache.MaxPacketSize)
	}
	d.leanBuf = append(append(d.leanBuf[:0], pt), primary...)
	return d.leanBuf
}

// leanSize is what a RED packet of size bytes takes with its primary block
// alone.
func leanSize(pkt *rtp.Packet, size int) int {
	primary, _, err := red.Primary(pkt.Payload)
	if err != nil {
		return size
	}
	return size - len(pkt.Payload) + 1 + len(primary)
}
