package sfu

import (
	"time"

	"github.com/switchboard-rtc/switchboard/bwe"
)

// A packet of the layer forwarded that the subscriber will not get in time
// (package resend: its resends spent, or held back by the budget) stops
// its decoder: every later frame refers back to the one it belonged to.
// libwebrtc asks for a keyframe only after 3 s without a decodable frame
// (kMaxWaitForFrame in video_receive_stream2): on the 300 kbit/s link of
// TestBrowserSimulcastNarrowLink, stops of 2.9-3.4 s, one per lost packet
// left unrepaired. The SFU knows at once, and gets the keyframe itself.

// noteSwitch remembers, as the track switches to layer index at now (unix
// ns), the layer it leaves if that is a switch up. Called with d.mu held.
func (d *DownTrack) noteSwitch(index int, now int64) {
	if d.current >= 0 && index > d.current {
		d.upFrom, d.upTID, d.upAt = d.current, d.curTID, now
		return
	}
	d.upFrom = -1
}

// lostKeyframeWait is how long a keyframe lostPacket asked for has to
// arrive before a loss asks again: about a round trip through a narrow
// link's queue and a frame's encoding. Each request costs a keyframe of
// every simulcast layer (libvpx encodes them together), and during a step
// down from a layer the link cannot carry, every quarter second loses
// packets.
const lostKeyframeWait = 500 * time.Millisecond

// forwarded reports whether the subscriber's outSeq is a packet forwarded
// of the layer it gets now: not padding, nor one of a layer before the
// last switch.
func (d *DownTrack) forwarded(outSeq uint16) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.rw.Source(outSeq)
	return ok
}

// lostPacket acts on packet outSeq of the layer forwarded, lost for good,
// at now (ns), if no keyframe has been sent since it, nor asked for within
// lostKeyframeWait. If the track entered that layer
// by a switch up less than bwe.UpgradeTrial ago, the upgrade failed: the
// link lost the new resolution's first frames (its keyframe alone, 15-25
// KB at 640x360, overflows a 300 kbit/s link's 100 ms queue), and a
// keyframe of the same layer would overflow it again. The track falls back
// at once to the layer it left, which still arrives, and whose keyframe is
// small; the allocator is told (bweTrack), and counts it as a failed
// upgrade. Otherwise a keyframe of the layer is asked for now, not 3 s
// later. Part of the RTCP handling: under rtcpMu.
func (d *DownTrack) lostPacket(outSeq uint16, now int64) {
	d.mu.Lock()
	recovered := d.keySent && int16(d.keyOut-outSeq) > 0
	if recovered || d.keyAskedAt != 0 && now-d.keyAskedAt < int64(lostKeyframeWait) {
		d.mu.Unlock()
		return
	}
	d.keyAskedAt = now
	back := d.upFrom >= 0 && d.current > d.upFrom && d.target == d.current && now-d.upAt < int64(bwe.UpgradeTrial)
	from, to, tid := d.current, d.upFrom, d.upTID
	if back {
		d.targetTID = tid
		d.setLayers(d.current, to)
		d.upFrom = -1
	}
	d.mu.Unlock()
	if back {
		d.fellBackTo.Store(uint32(to+1) | uint32(tid)<<8)
		d.sub.log.Debug("upgrade failed: falling back", "track", d.rcv.id, "from", from, "to", to)
		d.sub.wakeBWE()
	}
	d.askKeyframe()
}

// takeFallBack returns the ladder step (in d.ladder) the track fell back
// to since the allocator last looked, -1 none. Called only by the
// subscriber's bwe goroutine, after bweTrack has built the ladder.
func (d *DownTrack) takeFallBack() int {
	v := d.fellBackTo.Swap(0)
	if v == 0 {
		return -1
	}
	spatial, tid := int(v&0xff)-1, int(v>>8)
	step := -1
	for i, st := range d.ladder {
		if st.spatial == spatial && (step < 0 || st.tid <= tid) {
			step = i
		}
	}
	return step
}
