package bench

import (
	"fmt"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// maxQueuedCandidates bounds the remote candidates kept before a remote
// description exists.
const maxQueuedCandidates = 64

// negotiation is the client's side of perfect negotiation: the client is
// polite. Owned by the run goroutine.
//
// Pion v4.2.20 has no rollback: SetLocalDescription of type rollback is
// refused in every signaling state. So the client emulates it: an offer is
// sent when created but applied locally (SetLocalDescription) only when its
// answer arrives, right before the answer. Until then the PeerConnection
// stays stable, and an offer from the server that collides with ours can be
// applied at once; dropping our unapplied offer is the rollback. Our
// transceivers get their mids when we publish, with a prefix the server's
// numeric mids never use, so that a server offer applied in between cannot
// claim a transceiver of an offer it never saw.
//
// Pion v4.2.20 also races a renegotiation that starts before the first one's
// transports are up: startTransports runs later on Pion's operation queue,
// and a description applied before it sees the remote ICE credentials as
// changed, restarts ICE on one side only, and the two agents then disagree
// on ufrags. So after the first exchange, the client neither offers nor
// applies a server offer (it holds it) until the PeerConnection has been
// connected once; by then both sides' transports have started.
type negotiation struct {
	held       *protocol.SessionDescription // server offer waiting for transports
	needed     bool                         // something to publish since the last offer
	pending    *webrtc.SessionDescription   // our offer, sent, not yet answered
	pendingFor []*publication               // what the pending offer publishes
	candidates []webrtc.ICECandidateInit    // remote, before a remote description
	nextMid    int
}

// midPrefix marks the mids of the client's own transceivers.
const midPrefix = "b"

// maybeOffer sends an offer when something awaits negotiation and no offer
// of ours is outstanding.
func (c *Client) maybeOffer() {
	n := &c.neg
	if !n.needed || n.pending != nil || n.held != nil || !c.transportsStarted() ||
		c.pc.SignalingState() != webrtc.SignalingStateStable {
		return
	}
	n.needed = false
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.fail(fmt.Errorf("%w: creating offer: %v", ErrNegotiation, err))
		return
	}
	c.mu.Lock()
	pubs := append([]*publication(nil), c.pubs...)
	c.mu.Unlock()
	tracks := make([]protocol.PublishedTrack, 0, len(pubs))
	for _, p := range pubs {
		tracks = append(tracks, protocol.PublishedTrack{Mid: p.mid, Source: p.src.Source()})
	}
	if err := c.send(protocol.SessionDescription{Type: protocol.TypeOffer, SDP: offer.SDP, Tracks: tracks}); err != nil {
		c.fail(fmt.Errorf("%w: sending offer: %v", ErrSessionEnded, err))
		return
	}
	n.pending, n.pendingFor = &offer, pubs
}

// transportsStarted reports whether a new negotiation may start: before the
// first exchange completes there is nothing to race, after it the client
// waits for the first connection.
func (c *Client) transportsStarted() bool {
	return c.pc.CurrentRemoteDescription() == nil || c.connectedOnce.Load()
}

// receiveOffer handles a server offer now, or holds it until transports
// started.
func (c *Client) receiveOffer(m *protocol.SessionDescription) {
	if c.transportsStarted() {
		c.handleOffer(m)
		return
	}
	if c.neg.held != nil {
		c.log.Warn("server offered again before its last offer was answered")
	}
	c.neg.held = m
}

// resumeHeld answers a held server offer once transports started.
func (c *Client) resumeHeld() {
	if m := c.neg.held; m != nil && c.transportsStarted() {
		c.neg.held = nil
		c.handleOffer(m)
	}
}

// handleOffer answers a server offer. If our own offer is outstanding the
// two collided: the server, impolite, ignores ours, so we drop it and offer
// again once this exchange is done.
func (c *Client) handleOffer(m *protocol.SessionDescription) {
	n := &c.neg
	if n.pending != nil {
		c.collisions.Add(1)
		c.log.Debug("offer collision: rolling back ours")
		n.pending, n.pendingFor = nil, nil
		n.needed = true
	}
	c.setTrackIDs(m.TrackIDs)
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
		c.fail(fmt.Errorf("%w: applying server offer: %v", ErrNegotiation, err))
		return
	}
	c.flushCandidates()
	answer, err := c.pc.CreateAnswer(nil)
	if err == nil {
		err = c.pc.SetLocalDescription(answer)
	}
	if err != nil {
		c.fail(fmt.Errorf("%w: answering server offer: %v", ErrNegotiation, err))
		return
	}
	if err := c.send(protocol.SessionDescription{Type: protocol.TypeAnswer, SDP: answer.SDP}); err != nil {
		c.fail(fmt.Errorf("%w: sending answer: %v", ErrSessionEnded, err))
	}
}

// handleAnswer applies our pending offer and the server's answer to it.
func (c *Client) handleAnswer(m *protocol.SessionDescription) {
	n := &c.neg
	if n.pending == nil {
		c.log.Warn("answer without an offer")
		return
	}
	offer, pubs := *n.pending, n.pendingFor
	n.pending, n.pendingFor = nil, nil
	if err := c.pc.SetLocalDescription(offer); err != nil {
		c.fail(fmt.Errorf("%w: applying our offer: %v", ErrNegotiation, err))
		return
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
		c.fail(fmt.Errorf("%w: applying server answer: %v", ErrNegotiation, err))
		return
	}
	c.setTrackIDs(m.TrackIDs)
	c.flushCandidates()
	c.mu.Lock()
	for _, p := range pubs {
		p.negotiated = true
	}
	c.mu.Unlock()
}

// setTrackIDs records the server's mid → track id map; it names every
// transceiver the server sends on, so it replaces the previous one.
func (c *Client) setTrackIDs(ids map[string]string) {
	if ids == nil {
		return
	}
	c.mu.Lock()
	c.midTrackIDs = ids
	c.mu.Unlock()
}

// addCandidate adds a remote candidate, or queues it until a remote
// description exists.
func (c *Client) addCandidate(m *protocol.Candidate) {
	if c.pc.RemoteDescription() == nil {
		if len(c.neg.candidates) < maxQueuedCandidates {
			c.neg.candidates = append(c.neg.candidates, webrtc.ICECandidateInit(m.Candidate))
		}
		return
	}
	if err := c.pc.AddICECandidate(webrtc.ICECandidateInit(m.Candidate)); err != nil {
		c.log.Warn("adding remote candidate", "err", err)
	}
}

func (c *Client) flushCandidates() {
	queued := c.neg.candidates
	c.neg.candidates = nil
	for _, cand := range queued {
		if err := c.pc.AddICECandidate(cand); err != nil {
			c.log.Warn("adding queued candidate", "err", err)
		}
	}
}
