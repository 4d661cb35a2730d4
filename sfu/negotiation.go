package sfu

import (
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// maxPendingCandidates bounds what a client may trickle before its first
// description, so a misbehaving one cannot grow our memory.
const maxPendingCandidates = 64

// negotiation is the server's side of W3C perfect negotiation: the server is
// impolite (it ignores a client offer that collides with its own), the client
// polite. Owned by the participant's run goroutine.
type negotiation struct {
	needed       bool // transceivers changed since the last offer
	offerPending bool // our offer awaits its answer
	connected    bool // ICE has connected once
	detached     bool // the client's signaling is down: no offer, no timeout (resync.go)
	candidates   []webrtc.ICECandidateInit
	timer        *time.Timer
}

// run serializes negotiation: it runs queued tasks, then offers once for
// everything they changed, so changes that arrive together make one offer.
func (p *Participant) run() {
	defer p.wg.Done()
	defer p.recoverPanic("negotiation")
	p.neg.timer = time.NewTimer(time.Hour)
	p.neg.timer.Stop()
	defer p.neg.timer.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-p.tasks.Wake():
		case <-p.neg.timer.C:
			p.offerTimedOut()
		}
		for _, task := range p.tasks.Take() {
			if p.ctx.Err() != nil {
				return
			}
			task()
		}
		p.maybeOffer()
	}
}

func (p *Participant) maybeOffer() {
	if !p.neg.needed || p.neg.offerPending || p.neg.detached || p.pc.SignalingState() != webrtc.SignalingStateStable {
		return
	}
	// Once a first negotiation has happened, wait for ICE to connect: Pion
	// starts its transports asynchronously after the first description, and
	// a renegotiation before that restarts ICE on one side only.
	if p.pc.CurrentRemoteDescription() != nil && !p.neg.connected {
		return
	}
	p.neg.needed = false
	offer, err := p.pc.CreateOffer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(offer)
	}
	if err != nil {
		if p.ctx.Err() == nil {
			p.log.Warn("creating offer", "err", err)
		}
		return
	}
	p.ssrcs.register(offer.SDP) // ssrccap.go: an ICE restart's new username
	p.neg.offerPending = true
	p.neg.timer.Reset(p.sfu.cfg.offerTimeout)
	if ro, ok := p.listener.(RelayOfferer); ok && p.relay == RelayEgress {
		ro.RelayOffer(offer.SDP, p.relayTracks())
		return
	}
	p.listener.Offer(preferOpusDTX(offer.SDP), p.trackIDs())
}

// offerTimedOut gives up on a client that never answered. Pion v4.2.20
// cannot roll back a local offer (its signaling state table has no rollback
// transitions), so the participant cannot negotiate again: it is removed
// with an error rather than left silently stuck.
func (p *Participant) offerTimedOut() {
	if p.neg.offerPending {
		p.fail(ErrNegotiationTimeout)
	}
}

// fail removes the participant from the run goroutine, which close waits for.
func (p *Participant) fail(err error) {
	p.log.Warn("negotiation failed", "err", err)
	go p.close(err)
}

// HandleOffer applies an offer from the client; tracks describes what it
// publishes.
func (p *Participant) HandleOffer(sdp string, tracks []PublishedTrack) {
	p.tasks.Post(func() { p.applyOffer(sdp, tracks) })
}

// HandleAnswer applies the client's answer to the server's offer.
func (p *Participant) HandleAnswer(sdp string) {
	p.tasks.Post(func() { p.applyAnswer(sdp) })
}

// AddICECandidate adds a candidate the client trickled.
func (p *Participant) AddICECandidate(c webrtc.ICECandidateInit) {
	p.tasks.Post(func() { p.addCandidate(c) })
}

func (p *Participant) applyOffer(sdp string, tracks []PublishedTrack) {
	if p.neg.offerPending {
		// Impolite: our offer wins; the client rolls back and offers again.
		p.log.Debug("ignoring colliding client offer")
		return
	}
	p.mu.Lock()
	for _, t := range tracks {
		p.published[t.Mid] = t
	}
	p.mu.Unlock()
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		p.listener.Error(fmt.Errorf("%w: %v", ErrBadSDP, err))
		return
	}
	p.openDataChannels(sdp)
	p.flushCandidates()
	answer, err := p.pc.CreateAnswer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(answer)
	}
	if err != nil {
		// The offer was taken but cannot be answered, and Pion cannot roll
		// it back: this PeerConnection cannot negotiate again.
		p.fail(fmt.Errorf("%w: %v", ErrBadSDP, err))
		return
	}
	p.ssrcs.register(answer.SDP) // ssrccap.go: an ICE restart's new username
	p.listener.Answer(preferOpusDTX(answer.SDP), p.trackIDs())
}

func (p *Participant) applyAnswer(sdp string) {
	if !p.neg.offerPending {
		p.listener.Error(ErrUnexpectedAnswer)
		return
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		// Without rollback our offer stays pending forever: fatal.
		p.fail(fmt.Errorf("%w: %v", ErrBadSDP, err))
		return
	}
	p.neg.timer.Stop()
	p.neg.offerPending = false
	p.flushCandidates()
}

func (p *Participant) addCandidate(c webrtc.ICECandidateInit) {
	if p.pc.RemoteDescription() == nil {
		if len(p.neg.candidates) >= maxPendingCandidates {
			p.listener.Error(fmt.Errorf("%w: too many candidates before a description", ErrBadCandidate))
			return
		}
		p.neg.candidates = append(p.neg.candidates, c)
		return
	}
	if err := p.pc.AddICECandidate(c); err != nil {
		p.listener.Error(fmt.Errorf("%w: %v", ErrBadCandidate, err))
	}
}

func (p *Participant) flushCandidates() {
	queued := p.neg.candidates
	p.neg.candidates = nil
	for _, c := range queued {
		p.addCandidate(c)
	}
}
