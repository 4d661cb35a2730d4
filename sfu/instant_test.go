package sfu

import (
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestCatchUpSendsEveryPacket: a subscriber that starts on a layer whose
// cache holds a keyframe and what followed is sent every one of those
// packets, in order, then the live one; past maxCatchUp, or before its
// PeerConnection is up (writes would go nowhere), none: it waits for a
// keyframe instead.
func TestCatchUpSendsEveryPacket(t *testing.T) {
	tests := []struct {
		name    string
		cached  int  // packets from the keyframe on, before the subscriber starts
		mediaUp bool // the subscriber's PeerConnection has connected
		want    int  // packets the subscriber gets with the next live one
	}{
		{"a keyframe alone", 5, true, 6},
		{"the most a start replays", maxCatchUp, true, maxCatchUp + 1},
		{"more than that", maxCatchUp + 1, true, 0},
		{"before the subscriber's media is up", 5, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
			r.layer(0).keyframeSeq.Store(-1)
			r.owner.mediaUp.Store(tt.mediaUp)
			var pkts []inPacket
			for i := range tt.cached + 1 {
				// Frames of 5 packets, the first a keyframe.
				pkts = append(pkts, inPacket{picture: i/5 + 1, start: i%5 == 0, key: i == 0,
					seq: uint16(60000 + i), ts: uint32(i / 5 * 3000), marker: i%5 == 4})
			}
			feed(r, pkts[:tt.cached])
			w := &recordingWriter{keep: true}
			bindTestDownTrack(r, 1234, w)
			feed(r, pkts[tt.cached:])
			if w.count != tt.want {
				t.Fatalf("the subscriber got %d packets, want %d", w.count, tt.want)
			}
			for i := 1; i < len(w.headers); i++ {
				if w.headers[i].SequenceNumber != w.headers[i-1].SequenceNumber+1 {
					t.Fatalf("packet %d: sequence %d after %d", i, w.headers[i].SequenceNumber, w.headers[i-1].SequenceNumber)
				}
			}
			if tt.want > 0 && r.stats.CacheStarts.Load() != 1 {
				t.Errorf("cache starts %d, want 1", r.stats.CacheStarts.Load())
			}
		})
	}
}

// TestStartOnLatePacketSendsNewer: a subscriber waiting for a keyframe
// whose start comes late (its first packet, or one between a cached
// keyframe and the packets after it, lost and repaired by NACK after
// those arrived) is sent, with the late packet, every newer one the cache
// holds, each numbered as in the source: nothing it can NACK in vain
// (TestDirectSRTPReceiveNACK). In order, it is sent each packet once.
func TestStartOnLatePacketSendsNewer(t *testing.T) {
	// Frames of 5 packets, the first a keyframe: index i is seq 60000+i.
	pkt := func(i int) inPacket {
		return inPacket{picture: i/5 + 1, start: i%5 == 0, key: i == 0,
			seq: uint16(60000 + i), ts: uint32(i / 5 * 3000), marker: i%5 == 4}
	}
	tests := []struct {
		name   string
		before []int // fed before the subscriber starts waiting
		after  []int // fed after
	}{
		{"in order", nil, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"the keyframe's first packet last", nil, []int{1, 2, 3, 4, 0, 5, 6, 7, 8, 9}},
		{"the keyframe's first packet after the next frame", nil, []int{1, 2, 3, 4, 5, 6, 0, 7, 8, 9}},
		{"a cached keyframe, then a packet of it late", []int{0, 1}, []int{3, 4, 5, 2, 6, 7, 8, 9}},
		{"a cached keyframe, a hole, a late packet", []int{0, 1}, []int{3, 5, 6, 2, 7, 4, 8, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestReceiver(webrtc.RTPCodecTypeVideo, 1)
			r.layer(0).keyframeSeq.Store(-1)
			r.owner.mediaUp.Store(true)
			for _, i := range tt.before {
				feed(r, []inPacket{pkt(i)})
			}
			w := &recordingWriter{keep: true}
			bindTestDownTrack(r, 1234, w)
			for _, i := range tt.after {
				feed(r, []inPacket{pkt(i)})
			}
			got := map[uint16]bool{}
			for _, h := range w.headers {
				if got[h.SequenceNumber] {
					t.Fatalf("sequence %d sent twice", h.SequenceNumber)
				}
				got[h.SequenceNumber] = true
			}
			// The first packet ever keeps its numbers: the subscriber's
			// are the source's.
			for i := range 10 {
				if !got[uint16(60000+i)] {
					t.Errorf("packet %d never sent; sent %d packets", i, len(w.headers))
				}
			}
		})
	}
}
