package sfu

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/quality"
)

// qualityEvery is how many speaker ticks (speakerTick) pass between two
// evaluations of the room's connection qualities: 1.5 s, a handful of
// receiver reports and over a hundred audio packets per track.
const qualityEvery = 15

// QualityInfo is one participant's connection quality: its level
// ("excellent", "good", "poor" or "lost") and the MOS-like score it came
// from (1 to 5, 0 when lost); package quality says how.
type QualityInfo struct {
	ParticipantID string
	Quality       string
	Score         float64
}

// roomQuality is the room's part in connection quality: the levels last
// sent, by participant id, for joiners. Guarded by the room's lock.
type roomQuality struct {
	sent map[string]QualityInfo
}

// linkSample is one participant's measurements over an evaluation.
type linkSample struct {
	expected, inOrder uint64 // uplink, over the interval
	jitterUs          int64
	rttUs             int64
	reportLoss        uint32 // worst receiver-report fraction lost, /256
	lastHeard         int64  // ns
	measured          bool   // it publishes or receives something
}

// qualityTick scores every client of the room from the atomics its packet
// paths keep, and sends the room the levels that changed. r.mu held; it
// runs on the speaker loop, which alone touches the participants' quality
// state and the uplinks' previous counts.
func (r *Room) qualityTick(now time.Time) {
	samples := make(map[*Participant]*linkSample, len(r.participants))
	for _, p := range r.participants {
		if p.relay == notRelay {
			samples[p] = &linkSample{}
		}
	}
	for _, t := range r.tracks {
		s := samples[t.owner]
		if s == nil {
			continue // relayed in: its own node scores its publisher
		}
		for i := range maxLayers {
			if l := t.layer(i); l != nil {
				l.up.sample(s)
			}
		}
	}
	for p, s := range samples {
		for _, d := range *p.dtList.Load() {
			s.measured = true
			s.rttUs = max(s.rttUs, d.down.rttUs.Load())
			s.reportLoss = max(s.reportLoss, d.down.fractionLost.Load())
			s.lastHeard = max(s.lastHeard, d.down.lastAt.Load())
		}
		if p.estimator != nil {
			// Transport-wide feedback, which sfu/twcc reads and no
			// DownTrack sees, every 100 ms from a subscriber's browser.
			s.lastHeard = max(s.lastHeard, p.estimator.LastHeard())
		}
	}
	var changed []QualityInfo
	for p, s := range samples {
		if !s.measured {
			continue
		}
		score := quality.Score(p.qualityInputs(now, s))
		level := quality.Next(p.quality, score)
		if p.qualitySent && level == p.quality {
			continue
		}
		p.quality, p.qualitySent = level, true
		info := QualityInfo{ParticipantID: p.id, Quality: level.String(), Score: roundScore(score)}
		r.qual.sent[p.id] = info
		changed = append(changed, info)
	}
	if len(changed) == 0 {
		return
	}
	r.tellQualityLocked(changed)
	if relay := r.sfu.relay(); relay != nil {
		relay.Quality(r.name, changed) // each node scores its own clients: the others learn from it
	}
}

// tellQualityLocked sends the room's clients here changed levels; r.mu held.
func (r *Room) tellQualityLocked(changed []QualityInfo) {
	for _, p := range r.participants {
		if p.relay == notRelay {
			p.listener.ConnectionQuality(changed)
		}
	}
}

// LocalQuality is the levels last sent for the room's participants here
// (not those of other nodes): what a node new to the room is told.
func (s *SFU) LocalQuality(roomName string) []QualityInfo {
	r := s.room(roomName)
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	list := make([]QualityInfo, 0, len(r.qual.sent))
	for id, q := range r.qual.sent {
		if _, remote := r.remotes[id]; !remote {
			list = append(list, q)
		}
	}
	return list
}

// DeliverQuality hands the levels another node scored for its own
// participants to the room's clients here, and keeps them for those who
// join later. Levels of participants the room does not know as remote are
// ignored: a node speaks for no one here.
func (s *SFU) DeliverQuality(roomName string, list []QualityInfo) {
	if r := s.room(roomName); r != nil {
		r.remoteQuality(list)
	}
}

func (r *Room) remoteQuality(list []QualityInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	known := make([]QualityInfo, 0, len(list))
	for _, q := range list {
		if _, ok := r.remotes[q.ParticipantID]; ok {
			r.qual.sent[q.ParticipantID] = q
			known = append(known, q)
		}
	}
	if len(known) > 0 {
		r.tellQualityLocked(known)
	}
}

// qualityInputs turns a participant's sample into the scoring's inputs:
// the worse of uplink and downlink for each.
func (p *Participant) qualityInputs(now time.Time, s *linkSample) quality.Inputs {
	in := quality.Inputs{
		Jitter: time.Duration(s.jitterUs) * time.Microsecond,
		RTT:    time.Duration(s.rttUs) * time.Microsecond,
	}
	if s.expected > 0 && s.inOrder < s.expected {
		in.Loss = float64(s.expected-s.inOrder) / float64(s.expected)
	}
	in.Loss = max(in.Loss, float64(s.reportLoss)/256)
	if p.estimator != nil {
		in.Loss = max(in.Loss, float64(p.downLoss.Load())/1000)
		want := p.wantBps.Load()
		in.Starved = want > 0 && p.rateEstimate.Load() < want/2
	}
	switch p.pc.ConnectionState() {
	case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed:
		in.Silent = true
	}
	if s.lastHeard > 0 && now.UnixNano()-s.lastHeard > int64(quality.LostAfter) {
		in.Silent = true
	}
	return in
}

// sample adds the layer's interval to s and starts the next interval. The
// room's speaker loop alone calls it.
func (u *uplink) sample(s *linkSample) {
	exp, in := u.expected.Load(), u.inOrder.Load()
	s.expected += exp - u.prevExpected
	s.inOrder += in - u.prevInOrder
	u.prevExpected, u.prevInOrder = exp, in
	s.jitterUs = max(s.jitterUs, u.jitterUs.Load())
	s.lastHeard = max(s.lastHeard, u.lastAt.Load())
	s.measured = true
}

// roundScore keeps two decimals: the clients show it, nobody needs more.
func roundScore(s float64) float64 { return float64(int(s*100+0.5)) / 100 }

// qualityForJoinerLocked tells a client that joins the levels sent so far;
// r.mu held.
func (r *Room) qualityForJoinerLocked(p *Participant) {
	if len(r.qual.sent) == 0 {
		return
	}
	list := make([]QualityInfo, 0, len(r.qual.sent))
	for _, q := range r.qual.sent {
		list = append(list, q)
	}
	p.listener.ConnectionQuality(list)
}

// forgetQualityLocked drops a participant that left; r.mu held.
func (r *Room) forgetQualityLocked(id string) { delete(r.qual.sent, id) }
