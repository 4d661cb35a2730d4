package sfu

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/packetcache"
)

// DefaultPacketCacheWindow is how much of its stream's recent past a
// layer's packet cache holds at least (WithPacketCacheWindow): the minimum
// libwebrtc's RtpPacketHistory keeps for its own retransmissions. A NACK
// reaches the SFU about a round trip after the packet left, and package
// resend sends a packet at most three times 100 ms apart and gives up on a
// first ask held back 250 ms: a second covers all three for round trips up
// to about 300 ms and the first for far longer ones. The cache keeps more
// when its floor (below) spans longer, as on slow layers.
const DefaultPacketCacheWindow = time.Second

// The fewest packets a layer's cache holds, whatever its rate. Video: a
// keyframe a subscriber can be started from (instant.go sends up to
// maxCatchUp packets from it; a 720p keyframe is 100 packets and more) and
// what follows it, even on a 150 kbit/s layer whose second is 20 packets.
// Audio, never NACKed, keeps a few for telling a copy from a new packet;
// Opus at 50 packets a second grows it to 64 for the window.
const (
	videoCacheFloor = 128
	audioCacheFloor = 32
)

// newLayerCache returns the packet cache of a layer of kind: bounded by
// the window of cfg, from its floor up to cfg's cache size, or with no
// window every cache of that size. A 1 Mbit/s VP8 layer comes to 256 slots
// (about 290 KB) where 512 held 4.5 s of it (590 KB), Opus to 64 slots
// (8 KB) where 512 held 10 s (64 KB).
func newLayerCache(kind webrtc.RTPCodecType, cfg *config) *packetcache.PacketCache {
	if cfg.cacheWindow <= 0 {
		return packetcache.New(cfg.cacheSize)
	}
	floor := videoCacheFloor
	if kind == webrtc.RTPCodecTypeAudio {
		floor = audioCacheFloor
	}
	return packetcache.NewWindow(cfg.cacheWindow, min(floor, cfg.cacheSize), cfg.cacheSize)
}

// cacheEpoch is the origin of cacheClock.
var cacheEpoch = time.Now()

// cacheClock is now as the packet caches take it: ns on the monotonic
// clock, which no step of the wall clock makes look younger or older.
func cacheClock(now time.Time) int64 { return int64(now.Sub(cacheEpoch)) }
