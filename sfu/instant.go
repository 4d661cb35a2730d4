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
// packets from the layer's last keyframe on, through writeRTP as if they
// had just arrived: the subscriber decodes a picture at once. It writes the
// keyframe's first packet; the switch it makes sends the rest, upTo and any
// newer the cache holds among them (sendNewer). It runs on l's read loop
// and returns the bytes sent: 0 when the cache does not hold them all, the
// subscriber's PeerConnection is not up yet (Pion drops writes until SRTP
// is), or the keyframe could not be sent.
func (d *DownTrack) catchUp(l *Layer, upTo uint16) int {
	first, ok := l.cachedKeyframe(upTo)
	if !ok || d.rcv.kind != webrtc.RTPCodecTypeVideo || !d.sub.mediaUp.Load() {
		return 0
	}
	sc := l.replayScratch()
	n, ok := l.cache.Get(first, sc.buf)
	if !ok || sc.pkt.Unmarshal(sc.buf[:n]) != nil {
		return 0
	}
	l.parse(sc.pkt.Payload, &sc.desc, &sc.parsed)
	sent := d.writeRTP(l, &sc.pkt, &sc.parsed)
	if sent > 0 {
		d.rcv.stats.CacheStarts.Add(1)
	}
	return sent
}

// sendNewer sends d, which has just started layer l (or switched to it) at
// packet from, the packets of l its cache holds that are newer, in order,
// at most maxCatchUp of them: those that arrived before from, when from is
// a late one (the first packet of the keyframe, or one between it and
// them, lost and repaired by NACK, RFC 4585 §6.2.1), were refused while
// the track waited for its keyframe. Unsent, they were never numbered for
// the subscriber, so its NACKs for them could not be answered and its
// decoder waited for another keyframe (TestDirectSRTPReceiveNACK: the 7
// packets after a keyframe whose first one came last, 2 runs in 12 under
// load). A packet still missing is skipped: it keeps its place, and goes
// when it comes. Where from is the newest, as in order, nothing is sent.
// It runs on l's read loop and returns the bytes sent; it reuses the
// layer's replay scratch, so the caller must be done with a packet read
// into it.
func (d *DownTrack) sendNewer(l *Layer, from uint16) int {
	newest, ok := l.cache.Newest()
	if !ok || int16(newest-from) <= 0 {
		return 0
	}
	sc := l.replayScratch()
	sent := 0
	for seq := from + 1; seq-from <= maxCatchUp && int16(newest-seq) >= 0; seq++ {
		n, ok := l.cache.Get(seq, sc.buf)
		if !ok || sc.pkt.Unmarshal(sc.buf[:n]) != nil {
			continue
		}
		l.parse(sc.pkt.Payload, &sc.desc, &sc.parsed)
		sent += d.writeRTP(l, &sc.pkt, &sc.parsed)
	}
	return sent
}

// replayScratch returns the layer's room to parse a cached packet in,
// made at its first use. Only the layer's read loop calls it.
func (l *Layer) replayScratch() *replayScratch {
	if l.replay == nil {
		l.replay = &replayScratch{buf: make([]byte, packetcache.MaxPacketSize)}
	}
	return l.replay
}
