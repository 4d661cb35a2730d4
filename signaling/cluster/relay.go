package cluster

import (
	"sync"

	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu"
)

// relay is this node's two ends of the relays with one peer, carrying
// every room the two share: the egress end sends this node's tracks there,
// the ingress end receives the peer's. Each direction is its own
// PeerConnection, so that each has one offerer and negotiation can never
// collide.
type relay struct {
	egress  *sfu.Participant
	ingress *sfu.Participant
	session string          // the peer's egress end the ingress end answers
	rooms   map[string]bool // the rooms shared with the peer
}

func sfuInfo(m member) sfu.ParticipantInfo { return sfu.ParticipantInfo{ID: m.ID, Name: m.Name} }

func (n *Node) relayWith(peer string) *relay {
	rel := n.relays[peer]
	if rel == nil {
		rel = &relay{rooms: make(map[string]bool)}
		n.relays[peer] = rel
	}
	return rel
}

// ensureRelay makes sure the relay with peer carries r: its egress end
// (made if need be) and its ingress end, if the peer's egress end has
// offered yet, are attached to the room.
func (n *Node) ensureRelay(r *room, peer string) {
	if peer == n.id {
		return
	}
	rel := n.relayWith(peer)
	if rel.egress == nil {
		l := &endListener{n: n, peer: peer, end: fromEgress}
		p, err := n.sfu.NewRelay(sfu.RelayEgress, l)
		if err != nil {
			n.log.Warn("starting a relay", "peer", peer, "err", err)
			return
		}
		rel.egress = p
		n.log.Info("relay egress", "peer", peer)
		for name := range rel.rooms {
			n.attach(p, name)
		}
	}
	if !rel.rooms[r.name] {
		rel.rooms[r.name] = true
		for _, p := range []*sfu.Participant{rel.egress, rel.ingress} {
			if p != nil {
				n.attach(p, r.name)
			}
		}
	}
}

func (n *Node) attach(p *sfu.Participant, room string) {
	if err := p.AttachRoom(room); err != nil {
		n.log.Warn("attaching a relay to a room", "room", room, "err", err)
	}
}

// dropRoom takes r off the relay with peer (one of the two nodes has nobody
// left there); a relay left with no room closes. Both ends are detached
// whatever this node thought they carried: an ingress end also joins the
// rooms the peer's offers name.
func (n *Node) dropRoom(r *room, peer string) {
	rel := n.relays[peer]
	if rel == nil {
		return
	}
	delete(rel.rooms, r.name)
	if len(rel.rooms) == 0 {
		n.closeRelay(peer)
		return
	}
	for _, p := range []*sfu.Participant{rel.egress, rel.ingress} {
		if p != nil {
			p.DetachRoom(r.name)
		}
	}
}

func (n *Node) closeRelay(peer string) {
	rel := n.relays[peer]
	if rel == nil {
		return
	}
	delete(n.relays, peer)
	for _, p := range []*sfu.Participant{rel.egress, rel.ingress} {
		if p != nil {
			p.Leave()
		}
	}
	n.log.Info("relay closed", "peer", peer)
}

func (n *Node) closeRelays() {
	for peer := range n.relays {
		n.closeRelay(peer)
	}
}

// handleRelay acts on a peer's message about the relay between them, on
// run: what the peer's egress end says goes to the ingress end here, what
// its ingress end says to the egress end here.
func (n *Node) handleRelay(from string, msg message) {
	switch msg.End {
	case fromEgress:
		n.toIngress(from, msg)
	case fromIngress:
		n.toEgress(from, msg)
	}
}

// toIngress passes what the peer's egress end said to the ingress end that
// answers it, made at the session's first message.
func (n *Node) toIngress(peer string, msg message) {
	switch {
	case msg.Kind == kindClose:
		if rel := n.relays[peer]; rel != nil && rel.ingress != nil && rel.session == msg.Session {
			rel.ingress.Leave()
			rel.ingress, rel.session = nil, ""
		}
	case msg.Kind == kindOffer:
		if !n.shares(peer, msg.Tracks) {
			// Nothing in common any more: the peer's egress end can stop.
			n.publish(n.inbox(peer), message{Kind: kindClose, End: fromIngress, Session: msg.Session})
			return
		}
		if in := n.ingressFor(peer, msg.Session); in != nil {
			in.HandleRelayOffer(msg.SDP, msg.Tracks)
		}
	case msg.Kind == kindCandidate && msg.Candidate != nil:
		// A candidate may overtake its offer: it makes the ingress end
		// too, which keeps it until the offer is applied.
		if !n.shares(peer, nil) {
			return
		}
		if in := n.ingressFor(peer, msg.Session); in != nil {
			in.AddICECandidate(*msg.Candidate)
		}
	case msg.Kind == kindMute:
		if rel := n.relays[peer]; rel != nil && rel.ingress != nil && rel.session == msg.Session {
			_ = rel.ingress.SetRelayMuted(msg.TrackID, msg.Muted)
		}
	}
}

// toEgress passes what the peer's ingress end said to the egress end here
// it answers; anything about an older egress end is dropped.
func (n *Node) toEgress(peer string, msg message) {
	rel := n.relays[peer]
	if rel == nil || rel.egress == nil || rel.egress.ID() != msg.Session {
		if msg.Kind == kindOffer || msg.Kind == kindAnswer {
			n.log.Debug("relay message for an end gone", "peer", peer, "kind", msg.Kind)
		}
		return
	}
	out := rel.egress
	switch {
	case msg.Kind == kindAnswer:
		out.HandleAnswer(msg.SDP)
	case msg.Kind == kindCandidate && msg.Candidate != nil:
		out.AddICECandidate(*msg.Candidate)
	case msg.Kind == kindLayers:
		_ = out.SetRelayLayers(msg.TrackID, msg.Active)
	case msg.Kind == kindClose:
		out.Leave()
		rel.egress = nil
	}
}

// shares tells whether this node has a room in common with peer: one the
// relay carries, or one of tracks' that has participants here.
func (n *Node) shares(peer string, tracks []sfu.RelayTrack) bool {
	if rel := n.relays[peer]; rel != nil && len(rel.rooms) > 0 {
		return true
	}
	for _, t := range tracks {
		if n.rooms[t.Room] != nil {
			return true
		}
	}
	return false
}

// ingressFor returns the ingress end for the peer's egress end session,
// making it on the session's first message (attached to every room shared
// with the peer); an ingress end of an older session (the peer's egress end
// was made again) is replaced.
func (n *Node) ingressFor(peer, session string) *sfu.Participant {
	if session == "" {
		return nil
	}
	rel := n.relayWith(peer)
	if rel.ingress != nil && rel.session == session {
		return rel.ingress
	}
	if rel.ingress != nil {
		rel.ingress.Leave()
	}
	l := &endListener{n: n, peer: peer, end: fromIngress, session: session}
	p, err := n.sfu.NewRelay(sfu.RelayIngress, l)
	if err != nil {
		n.log.Warn("accepting a relay", "peer", peer, "err", err)
		rel.ingress, rel.session = nil, ""
		return nil
	}
	rel.ingress, rel.session = p, session
	for name := range rel.rooms {
		n.attach(p, name)
	}
	n.log.Info("relay ingress", "peer", peer)
	return p
}

// endClosed forgets a relay end the SFU closed (its ICE failed: the peer is
// gone, or the path between the nodes is); the next heartbeat makes a new
// egress end if the peer still shares a room.
func (n *Node) endClosed(peer, id string) {
	rel := n.relays[peer]
	if rel == nil {
		return
	}
	switch {
	case rel.egress != nil && rel.egress.ID() == id:
		rel.egress = nil
		n.publish(n.inbox(peer), message{Kind: kindClose, End: fromEgress, Session: id})
	case rel.ingress != nil && rel.ingress.ID() == id:
		n.publish(n.inbox(peer), message{Kind: kindClose, End: fromIngress, Session: rel.session})
		rel.ingress, rel.session = nil, ""
	}
	if rel.egress == nil && rel.ingress == nil && len(rel.rooms) == 0 {
		delete(n.relays, peer)
	}
}

// endListener is the sfu.Listener of one relay end: what the SFU tells it
// goes to the peer's inbox. Like every Listener, it only queues.
type endListener struct {
	n    *Node
	peer string
	end  string // fromEgress or fromIngress

	// The SFU calls a Listener from several goroutines: ids, set by Joined,
	// is read by the calls after it.
	mu      sync.Mutex
	session string // the egress end's id (ingress: the peer's it answers)
	self    string // this end's participant id, from Joined
}

func (l *endListener) ids() (session, self string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.session, l.self
}

func (l *endListener) to(msg message) {
	msg.End = l.end
	if msg.Session == "" {
		msg.Session, _ = l.ids()
	}
	l.n.publish(l.n.inbox(l.peer), msg)
}

// Joined is the SFU's first call: it names this end.
func (l *endListener) Joined(self sfu.ParticipantInfo, _ []sfu.ParticipantInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.self = self.ID
	if l.end == fromEgress {
		l.session = self.ID
	}
}

// RelayOffer: the egress end offers.
func (l *endListener) RelayOffer(sdp string, tracks []sfu.RelayTrack) {
	l.to(message{Kind: kindOffer, SDP: sdp, Tracks: tracks})
}

func (l *endListener) Answer(sdp string, _ map[string]string) {
	l.to(message{Kind: kindAnswer, SDP: sdp})
}

func (l *endListener) Candidate(c webrtc.ICECandidateInit) {
	l.to(message{Kind: kindCandidate, Candidate: &c})
}

// Layers: the ingress end's dynacast, what the subscribers here need of a
// relayed track (its mid is the track id).
func (l *endListener) Layers(trackID string, active []string) {
	if l.end == fromIngress {
		l.to(message{Kind: kindLayers, TrackID: trackID, Active: active})
	}
}

// TrackMuted: a publisher here muted a track the egress end sends.
func (l *endListener) TrackMuted(_, trackID string, muted bool) {
	if l.end == fromEgress {
		l.to(message{Kind: kindMute, TrackID: trackID, Muted: muted})
	}
}

// Closed: the SFU closed this end (its ICE failed).
func (l *endListener) Closed(error) {
	_, self := l.ids()
	l.n.tasks.Post(func() { l.n.endClosed(l.peer, self) })
}

// What a relay end need not pass on: the clients' view of the room travels
// through the room's channel, not the relays.
func (l *endListener) ParticipantJoined(sfu.ParticipantInfo) {}
func (l *endListener) ParticipantLeft(string)                {}
func (l *endListener) TrackPublished(sfu.TrackInfo)          {}
func (l *endListener) TrackUnpublished(string, string)       {}
func (l *endListener) Offer(string, map[string]string)       {}

// ActiveSpeakers: each node decides who is speaking from the audio it
// receives, relayed tracks included; nothing crosses for it.
func (l *endListener) ActiveSpeakers([]sfu.SpeakerInfo) {}
func (l *endListener) Error(err error) {
	l.n.log.Warn("relay end refused", "peer", l.peer, "end", l.end, "err", err)
}
