package sfu

import (
	"slices"
	"sort"
)

// A room can span several servers (nodes). Between two nodes that share a
// room, media crosses once per direction, over a relay: a PeerConnection
// whose ends are participants of a kind the room's clients never see.
//
//   - The egress end, on the node where tracks are published, subscribes to
//     every track published on that node (never to one that was itself
//     relayed in: the nodes form a full mesh, so nothing is relayed twice).
//     It sends every simulcast layer of a track as a stream of its own, so
//     the far node keeps choosing layers per subscriber.
//   - The ingress end, on the far node, publishes what arrives as tracks of
//     their publishers there: its own PacketCache, DownTracks, NACKs
//     answered locally. Its NACKs and keyframe requests go back over the
//     relay to the egress end, which answers them from its cache or passes
//     them to the publisher, throttled there.
//
// One relay carries every room its two nodes share: an end is attached to
// each (AttachRoom) and detached when one of the two nodes has nobody left
// there. The ends find each other through a control plane outside this
// package (package signaling/cluster): it carries their descriptions,
// candidates, and what each side must tell the other (layers wanted,
// mutes).
type RelayRole int

// The roles a participant can have.
const (
	notRelay RelayRole = iota
	// RelayEgress sends this node's published tracks to another node.
	RelayEgress
	// RelayIngress receives another node's tracks and publishes them here.
	RelayIngress
)

// RelayTrack describes one stream a relay carries: one layer of a track,
// and the track and publisher it belongs to.
type RelayTrack struct {
	Mid             string   `json:"mid"`
	Room            string   `json:"room"`
	TrackID         string   `json:"trackId"`
	ParticipantID   string   `json:"participantId"`
	ParticipantName string   `json:"participantName"`
	Kind            string   `json:"kind"`
	Source          string   `json:"source"`
	Muted           bool     `json:"muted"`
	RID             string   `json:"rid,omitempty"`  // this stream's layer; "" without simulcast
	RIDs            []string `json:"rids,omitempty"` // every layer of the track
}

// adopt makes r the relayed track t describes: its id, publisher and layers
// are the far node's.
func (t RelayTrack) adopt(r *Receiver) {
	r.id = t.TrackID
	r.publisher = ParticipantInfo{ID: t.ParticipantID, Name: t.ParticipantName}
	r.mid = t.TrackID
	r.source = t.Source
	if !ValidSource(r.source) {
		r.source = defaultSource(r.kind)
	}
	r.rids = slices.Clone(t.RIDs)
	if r.rids == nil {
		r.rids = []string{}
	}
	r.muted.Store(t.Muted)
}

// RelayOfferer is the Listener of a relay's egress end: its offers describe
// every stream it sends, which Offer's track ids alone cannot.
type RelayOfferer interface {
	RelayOffer(sdp string, tracks []RelayTrack)
}

// NewRelay makes one end of a relay between this node and another; role
// says which. l must implement RelayOfferer for an egress end; its Joined
// is called at once, naming the end. A relay's end is not a participant the
// rooms' clients see, nor one that counts towards their limits; it carries
// nothing until attached to a room.
func (s *SFU) NewRelay(role RelayRole, l Listener) (*Participant, error) {
	p, err := newParticipant(s, "relay", l, role)
	if err != nil {
		return nil, err
	}
	p.perms = Permissions{Subscribe: role == RelayEgress, Publish: role == RelayIngress, PublishScreen: role == RelayIngress}
	l.Joined(ParticipantInfo{ID: p.id, Name: p.name}, nil)
	p.log.Info("relay end", "role", role)
	return p, nil
}

// AttachRoom puts a relay's end in the named room (creating it): an egress
// end sends the room's tracks from then on, an ingress end publishes there
// what it receives for the room.
func (p *Participant) AttachRoom(roomName string) error {
	s := p.sfu
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	p.mu.Lock()
	_, attached := p.relayRooms[roomName]
	closing := p.closing
	p.mu.Unlock()
	if attached || closing {
		return nil
	}
	room := s.rooms[roomName]
	if room == nil {
		room = newRoom(roomName, s)
		s.rooms[roomName] = room
	}
	p.mu.Lock()
	p.relayRooms[roomName] = room
	p.mu.Unlock()
	return room.join(p)
}

// DetachRoom takes a relay's end out of the named room: its tracks there
// leave the room, and it sends none of the room's any more.
func (p *Participant) DetachRoom(roomName string) {
	s := p.sfu
	s.mu.Lock()
	defer s.mu.Unlock()
	p.mu.Lock()
	room := p.relayRooms[roomName]
	delete(p.relayRooms, roomName)
	p.mu.Unlock()
	if room != nil {
		s.leaveLocked(p, room)
	}
}

// Rooms lists the rooms a relay's end is attached to.
func (p *Participant) Rooms() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.relayRooms))
	for name := range p.relayRooms {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// HandleRelayOffer applies an offer from the far node's egress end to this
// ingress end; tracks describes every stream it carries.
func (p *Participant) HandleRelayOffer(sdp string, tracks []RelayTrack) {
	p.tasks.Post(func() {
		// Tracks of a room this end is not in yet, which has clients here:
		// the far node saw them first.
		for _, t := range tracks {
			if p.sfu.room(t.Room) != nil {
				if err := p.AttachRoom(t.Room); err != nil {
					p.log.Debug("attaching a relay to a room", "room", t.Room, "err", err)
				}
			}
		}
		p.mu.Lock()
		for _, t := range tracks {
			p.relayed[t.Mid] = t
			p.published[t.Mid] = PublishedTrack{Mid: t.Mid, Source: t.Source, Muted: t.Muted}
		}
		p.mu.Unlock()
		p.applyOffer(sdp, nil)
	})
}

// SetRelayLayers is what the far node needs of a track this egress end
// sends: the layers (rids) some subscriber there wants. The others stop
// crossing the relay, and if nobody here needs them either, dynacast stops
// them at the publisher.
func (p *Participant) SetRelayLayers(trackID string, active []string) error {
	found := false
	for _, d := range *p.dtList.Load() {
		if d.rcv.id != trackID {
			continue
		}
		found = true
		if d.relayRID == "" || slices.Contains(active, d.relayRID) {
			d.setTarget(d.relayLayer, maxTemporal-1)
		} else {
			d.setTarget(-1, maxTemporal-1)
		}
	}
	if !found {
		return ErrUnknownTrack
	}
	return nil
}

// SetRelayMuted records that the far node's publisher muted or unmuted a
// track this ingress end relays.
func (p *Participant) SetRelayMuted(trackID string, muted bool) error {
	p.mu.Lock()
	r := p.receivers[trackID]
	p.mu.Unlock()
	if r == nil {
		return ErrUnknownTrack
	}
	if r.muted.Swap(muted) != muted {
		r.room.muted(r, muted)
	}
	return nil
}

// addRelayDownTracks gives an egress end one down track per layer of t,
// each pinned to its layer.
func (p *Participant) addRelayDownTracks(t *Receiver) {
	rids := t.declaredRIDs()
	if len(rids) == 0 {
		rids = []string{""}
	}
	for _, rid := range rids {
		idx := layerIndex(rid, func(int) bool { return false })
		if idx < 0 {
			continue
		}
		key := t.id + "/" + rid
		if _, ok := p.downTracks[key]; ok {
			continue
		}
		dt := newDownTrack(t, p)
		dt.relayRID, dt.relayLayer = rid, idx
		dt.setLayers(-1, idx)
		p.attachDownTrack(key, dt)
	}
}

// relayTracks describes every stream this egress end sends, by mid.
func (p *Participant) relayTracks() []RelayTrack {
	out := make([]RelayTrack, 0, len(p.downTracks))
	for _, dt := range p.downTracks {
		mid := dt.transceiver.Mid()
		if mid == "" {
			continue
		}
		r := dt.rcv
		out = append(out, RelayTrack{
			Mid: mid, Room: r.room.name, TrackID: r.id, ParticipantID: r.publisher.ID, ParticipantName: r.publisher.Name,
			Kind: r.kind.String(), Source: r.source, Muted: r.muted.Load(),
			RID: dt.relayRID, RIDs: r.declaredRIDs(),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mid < out[j].Mid })
	return out
}

// RemoteJoined tells a room of a participant on another node, so that the
// clients here see it before (or without) any track of it. A room with no
// participant here ignores it.
func (s *SFU) RemoteJoined(roomName string, info ParticipantInfo) {
	if r := s.room(roomName); r != nil {
		r.addRemote(info)
	}
}

// RemoteLeft takes a participant of another node out of a room, with every
// track of it relayed here.
func (s *SFU) RemoteLeft(roomName, participantID string) {
	if r := s.room(roomName); r != nil {
		r.removeRemote(participantID)
	}
}

func (s *SFU) room(name string) *Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[name]
}
