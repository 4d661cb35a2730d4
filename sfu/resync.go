package sfu

import "github.com/pion/webrtc/v4"

// Resync tells the listener again what its client must know, for a client
// whose signaling connection was replaced (resumed): whatever was sent
// while it was down is lost. In order: Joined with the room as it is now
// (under the room's lock, so that every later membership or track event
// follows it), the active speakers, the server's offer that awaits an
// answer again or else a fresh offer (so the client's PeerConnection
// catches up with any transceiver change it missed), and at the next
// dynacast round the active layers of each simulcast track it publishes.
// It reports false when the participant has left.
func (p *Participant) Resync() bool {
	r := p.room
	if r == nil || p.ctx.Err() != nil {
		return false
	}
	r.mu.Lock()
	if _, here := r.participants[p.id]; !here {
		r.mu.Unlock()
		return false
	}
	p.listener.Joined(p.baseInfo(), r.othersLocked(p.id))
	r.speakersForJoinerLocked(p)
	r.mu.Unlock()
	p.resendLayers.Store(true)
	p.tasks.Post(p.renegotiate)
	return true
}

// Detach tells the participant its client's signaling connection dropped
// and may come back (Resync): until then the server starts no offer, and an
// offer already sent does not time out, since no answer can come.
func (p *Participant) Detach() {
	p.tasks.Post(func() {
		p.neg.detached = true
		p.neg.timer.Stop()
	})
}

// renegotiate re-sends the offer that awaits its answer (Pion cannot roll
// it back, and the client may never have seen it), else asks for a fresh
// one; run's maybeOffer sends it once nothing else is in flight.
func (p *Participant) renegotiate() {
	p.neg.detached = false
	if !p.neg.offerPending {
		p.neg.needed = true
		return
	}
	local := p.pc.LocalDescription()
	if local == nil || local.Type != webrtc.SDPTypeOffer {
		return
	}
	p.neg.timer.Reset(p.sfu.cfg.offerTimeout)
	p.listener.Offer(preferOpusDTX(local.SDP), p.trackIDs())
}
