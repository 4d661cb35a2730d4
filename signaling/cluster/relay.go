package cluster

import (
	"github.com/pion/webrtc/v4"

	"github.com/switchboard-rtc/switchboard/sfu"
)

// relay is this node's two ends of the relays with one peer for one room:
// the egress end sends this node's tracks there, the ingress end receives
// the peer's. Each direction is its own PeerConnection, so that each has one
// offerer and negotiation can never collide.
type relay struct {
	egress  *sfu.Participant
	ingress *sfu.Participant
	session string // the peer's egress end the ingress end answers
}

func sfuInfo(m member) sfu.ParticipantInfo { return sfu.ParticipantInfo{ID: m.ID, Name: m.Name} }

// ensureRelay starts the egress end towards peer for r; the peer's own
// egress end makes the ingress end here when it first offers.
func (n *Node) ensureRelay(r *room, peer string) {
	if peer == n.id {
		return
	}
	rel := r.relays[peer]
	if rel == nil {
		rel = &relay{}
		r.relays[peer] = rel
	}
	if rel.egress != nil {
		return
	}
	l := &endListener{n: n, room: r.name, peer: peer, end: fromEgress}
	p, err := n.sfu.JoinRelay(r.name, sfu.RelayEgress, l)
	if err != nil {
		n.log.Warn("starting a relay", "room", r.name, "peer", peer, "err", err)
		return
	}
	rel.egress = p
	n.log.Info("relay egress", "room", r.name, "peer", peer)
}

func (n *Node) closeRelay(r *room, peer string) {
	rel := r.relays[peer]
	if rel == nil {
		return
	}
	delete(r.relays, peer)
	for _, p := range []*sfu.Participant{rel.egress, rel.ingress} {
		if p != nil {
			p.Leave()
		}
	}
	n.log.Info("relay closed", "room", r.name, "peer", peer)
}

func (n *Node) closeRelays() {
	for _, r := range n.rooms {
		for peer := range r.relays {
			n.closeRelay(r, peer)
		}
	}
}

// handleRelay acts on a peer's message about the relays of one room, on
// run: what the peer's egress end says goes to the ingress end here, what
// its ingress end says to the egress end here.
func (n *Node) handleRelay(from string, msg message) {
	r := n.rooms[msg.Room]
	if r == nil {
		if msg.Kind == kindOffer {
			// Nobody here any more: the peer's egress end can stop.
			n.publish(n.inbox(from), message{Kind: kindClose, Room: msg.Room, End: fromIngress, Session: msg.Session})
		}
		return
	}
	switch msg.End {
	case fromEgress:
		n.toIngress(r, from, msg)
	case fromIngress:
		n.toEgress(r, from, msg)
	}
}

// toIngress passes what the peer's egress end said to the ingress end that
// answers it, made at the session's first message.
func (n *Node) toIngress(r *room, peer string, msg message) {
	if msg.Kind == kindClose {
		if rel := r.relays[peer]; rel != nil && rel.ingress != nil && rel.session == msg.Session {
			rel.ingress.Leave()
			rel.ingress, rel.session = nil, ""
		}
		return
	}
	switch {
	case msg.Kind == kindOffer:
		if in := n.ingressFor(r, peer, msg.Session); in != nil {
			in.HandleRelayOffer(msg.SDP, msg.Tracks)
		}
	case msg.Kind == kindCandidate && msg.Candidate != nil:
		// A candidate may overtake its offer: it makes the ingress end
		// too, which keeps it until the offer is applied.
		if in := n.ingressFor(r, peer, msg.Session); in != nil {
			in.AddICECandidate(*msg.Candidate)
		}
	case msg.Kind == kindMute:
		if rel := r.relays[peer]; rel != nil && rel.ingress != nil && rel.session == msg.Session {
			_ = rel.ingress.SetRelayMuted(msg.TrackID, msg.Muted)
		}
	}
}

// toEgress passes what the peer's ingress end said to the egress end here
// it answers; anything about an older egress end is dropped.
func (n *Node) toEgress(r *room, peer string, msg message) {
	rel := r.relays[peer]
	if rel == nil || rel.egress == nil || rel.egress.ID() != msg.Session {
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

// ingressFor returns the ingress end for the peer's egress end session,
// making it on the session's first message; an ingress end of an older
// session (the peer's egress end was made again) is replaced.
func (n *Node) ingressFor(r *room, peer, session string) *sfu.Participant {
	if session == "" {
		return nil
	}
	rel := r.relays[peer]
	if rel == nil {
		rel = &relay{}
		r.relays[peer] = rel
	}
	if rel.ingress != nil && rel.session == session {
		return rel.ingress
	}
	if rel.ingress != nil {
		rel.ingress.Leave()
	}
	l := &endListener{n: n, room: r.name, peer: peer, end: fromIngress, session: session}
	p, err := n.sfu.JoinRelay(r.name, sfu.RelayIngress, l)
	if err != nil {
		n.log.Warn("accepting a relay", "room", r.name, "peer", peer, "err", err)
		rel.ingress, rel.session = nil, ""
		return nil
	}
	rel.ingress, rel.session = p, session
	n.log.Info("relay ingress", "room", r.name, "peer", peer)
	return p
}

// endClosed forgets a relay end the SFU closed (its ICE failed: the peer is
// gone, or the path between the nodes is); the next heartbeat makes a new
// egress end if the peer still has participants in the room.
func (n *Node) endClosed(roomName, peer, id string) {
	r := n.rooms[roomName]
	if r == nil {
		return
	}
	rel := r.relays[peer]
	if rel == nil {
		return
	}
	switch {
	case rel.egress != nil && rel.egress.ID() == id:
		rel.egress = nil
		n.publish(n.inbox(peer), message{Kind: kindClose, Room: roomName, End: fromEgress, Session: id})
	case rel.ingress != nil && rel.ingress.ID() == id:
		n.publish(n.inbox(peer), message{Kind: kindClose, Room: roomName, End: fromIngress, Session: rel.session})
		rel.ingress, rel.session = nil, ""
	}
}

// endListener is the sfu.Listener of one relay end: what the SFU tells it
// goes to the peer's inbox. Like every Listener, it only queues.
type endListener struct {
	n       *Node
	room    string
	peer    string
	end     string // fromEgress or fromIngress
	session string // the egress end's id (ingress: the peer's it answers)
	self    string // this end's participant id, from Joined
}

func (l *endListener) to(msg message) {
	msg.Room, msg.End = l.room, l.end
	if msg.Session == "" {
		msg.Session = l.session
	}
	l.n.publish(l.n.inbox(l.peer), msg)
}

// Joined is the SFU's first call: it names this end.
func (l *endListener) Joined(self sfu.ParticipantInfo, _ []sfu.ParticipantInfo) {
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
	l.n.tasks.Post(func() { l.n.endClosed(l.room, l.peer, l.self) })
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
	l.n.log.Warn("relay end refused", "room", l.room, "peer", l.peer, "end", l.end, "err", err)
}
