package sfu

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
	"github.com/switchboard-rtc/switchboard/sfu/vp8"
)

// maxCatchUp bounds how many cached packets a subscriber that starts a
// layer is sent at once, from the layer's last keyframe: a keyframe and
// what follows it, about half a second of 1 Mbit/s video. Past it, a
// keyframe is asked for instead: a longer burst overruns a receiver (a
// Pion subscriber behind a relay lost runs of 4 to 14 packets of a
// 300-packet burst for good, in TestRelayLossRepairedByNACK).
const maxCatchUp = 64

// replayScratch is a layer's read loop's room to parse a cached packet.
type replayScratch struct {
	buf    []byte
	pkt    rtp.Packet
	desc   vp8.Descriptor
	parsed parsed
}

// cachedKeyframe returns the sequence number of the layer's last keyframe
// when the cache holds every packet from it up to (not including) upTo, so
// that a subscriber starting there can be sent a decodable picture at once,
// as Galène does, instead of waiting for a new keyframe.
func (l *Layer) cachedKeyframe(upTo uint16) (uint16, bool) {
	kf := l.keyframeSeq.Load()
	if kf < 0 {
		return 0, false
	}
	first := uint16(kf)
	n := upTo - first
	if n == 0 || n > maxCatchUp {
		return 0, false
	}
	return first, l.cache.HoldsRun(first, upTo-1)
}

// startsFromCache tells whether the layer could start a subscriber now from
// its cache: then nobody need ask the publisher for a keyframe.
func (l *Layer) startsFromCache() bool {
	newest, ok := l.cache.Newest()
	if !ok {
		return false
	}
	_, ok = l.cachedKeyframe(newest + 1)
	return ok
}

// catchUp sends d, which starts on layer l at the packet upTo, the cached
// packets from the layer's last keyframe up to it, through writeRTP as if
// they had just arrived: the subscriber decodes a picture at once. It runs
// on l's read loop and returns the bytes sent: 0 when the cache does not
// hold them all, the subscriber's PeerConnection is not up yet (Pion drops
// writes until SRTP is), or the keyframe could not be sent.
func (d *DownTrack) catchUp(l *Layer, upTo uint16) int {
	first, ok := l.cachedKeyframe(upTo)
	if !ok || d.rcv.kind != webrtc.RTPCodecTypeVideo || !d.sub.mediaUp.Load() {
		return 0
	}
	if l.replay == nil {
		l.replay = &replayScratch{buf: make([]byte, packetcache.MaxPacketSize)}
	}
	sc := l.replay
	sent := 0
	for seq := first; seq != upTo; seq++ {
		n, ok := l.cache.Get(seq, sc.buf)
		if !ok || sc.pkt.Unmarshal(sc.buf[:n]) != nil {
			break
		}
		l.parse(sc.pkt.Payload, &sc.desc, &sc.parsed)
		w := d.writeRTP(l, &sc.pkt, &sc.parsed)
		if w == 0 && seq == first {
			return 0 // the keyframe did not go: the subscriber has not started
		}
		sent += w
	}
	d.rcv.stats.CacheStarts.Add(1)
	return sent
}
