package sfu

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu/speakers"
)

// How often a room decides who is speaking, and the least time between two
// lists sent to its clients.
const (
	speakerTick     = 100 * time.Millisecond
	speakerInterval = 200 * time.Millisecond
)

// roomSpeakers is a room's part in who is speaking: its detector, the last
// list its clients were sent, and its loop. Guarded by the room's lock.
type roomSpeakers struct {
	detector *speakers.Detector
	last     []speakers.Speaker
	lastInfo []SpeakerInfo
	sentAt   time.Time
	stop     chan struct{}
	done     chan struct{}
}

// startSpeakers starts the room's speaker loop; stopSpeakers ends it.
func (r *Room) startSpeakers() {
	r.spk = roomSpeakers{
		detector: speakers.New(speakers.DefaultConfig()),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go r.runSpeakers(r.spk.stop, r.spk.done)
}

// stopSpeakers ends the loop and waits for it. The caller must not hold the
// room's lock.
func (r *Room) stopSpeakers() {
	close(r.spk.stop)
	<-r.spk.done
}

func (r *Room) runSpeakers(stop, done chan struct{}) {
	defer close(done)
	t := r.sfu.cfg.clock.NewTicker(speakerTick)
	defer t.Stop()
	ticks := 0
	for {
		select {
		case <-stop:
			return
		case now := <-t.C():
			r.speakersTick(now)
			if ticks++; ticks%qualityEvery == 0 {
				r.mu.Lock()
				r.qualityTick(now)
				r.mu.Unlock()
			}
		}
	}
}

// speakersTick takes what every audio track here sent since the last tick
// (relayed ones too, by their publisher's id: every node decides alike),
// and tells the clients here when the list changed, at most every
// speakerInterval.
func (r *Room) speakersTick(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.spk.detector
	for _, t := range r.tracks {
		if t.kind != webrtc.RTPCodecTypeAudio {
			continue
		}
		s := t.level.Take()
		if t.muted.Load() {
			s = speakers.Sample{}
		}
		d.Observe(t.publisher.ID, s)
	}
	list := d.Tick()
	if !speakers.Changed(r.spk.last, list) || now.Sub(r.spk.sentAt) < speakerInterval {
		return
	}
	info := make([]SpeakerInfo, len(list))
	for i, s := range list {
		info[i] = SpeakerInfo{ParticipantID: s.ID, Level: s.Level}
	}
	r.spk.last, r.spk.lastInfo, r.spk.sentAt = list, info, now
	for _, p := range r.participants {
		if p.relay == notRelay {
			p.listener.ActiveSpeakers(info)
		}
	}
}

// speakersForJoinerLocked tells a client that joins while someone speaks
// who it is; r.mu held.
func (r *Room) speakersForJoinerLocked(p *Participant) {
	if len(r.spk.lastInfo) > 0 {
		p.listener.ActiveSpeakers(r.spk.lastInfo)
	}
}
