package sfu

import (
	"maps"
	"sort"
	"sync"
)

// Room is the set of participants who see and hear each other. Its lock
// orders membership and track events, so every participant hears them in
// the same order as the room's state changed; the listener calls under it
// only queue.
type Room struct {
	name string
	sfu  *SFU

	mu           sync.Mutex
	participants map[string]*Participant    // here, relays' ends among them
	remotes      map[string]ParticipantInfo // on other nodes (relay.go); no tracks
	tracks       map[string]*Receiver
	spk          roomSpeakers // room_speakers.go
	qual         roomQuality  // room_quality.go
}

func newRoom(name string, s *SFU) *Room {
	r := &Room{
		name:         name,
		sfu:          s,
		participants: make(map[string]*Participant),
		remotes:      make(map[string]ParticipantInfo),
		tracks:       make(map[string]*Receiver),
		qual:         roomQuality{sent: make(map[string]QualityInfo)},
	}
	r.startSpeakers()
	return r
}

// Name is the room's name.
func (r *Room) Name() string { return r.name }

func (r *Room) join(p *Participant) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.relay != notRelay {
		// A relay's end: the clients never hear of it; an egress end sends
		// on what was published here, never what was itself relayed in.
		r.participants[p.id] = p
		for _, t := range r.tracks {
			if p.relay == RelayEgress && t.owner.relay == notRelay {
				p.subscribe(t)
			}
		}
		return nil
	}
	var replaced *Participant
	if p.identity != "" {
		for _, o := range r.participants {
			if o.identity == p.identity {
				replaced = o
			}
		}
	}
	if replaced == nil && r.clientsLocked() >= r.sfu.cfg.maxParticipants {
		return ErrRoomFull
	}
	if replaced != nil {
		// The newest session wins (a reconnecting tab); the older leaves
		// as soon as it can take the SFU's lock, which Join holds now.
		go replaced.close(ErrReplaced)
	}
	p.room = r
	self := p.baseInfo()
	p.listener.Joined(self, r.othersLocked(p.id))
	r.announceLocked(self)
	r.participants[p.id] = p
	r.speakersForJoinerLocked(p)
	r.qualityForJoinerLocked(p)
	for _, t := range r.tracks {
		if p.perms.Subscribe {
			p.subscribe(t)
		}
	}
	return nil
}

// othersLocked describes the room's clients but self, here and on other
// nodes, in the order they joined; r.mu held.
func (r *Room) othersLocked(self string) []ParticipantInfo {
	others := make([]ParticipantInfo, 0, len(r.participants)+len(r.remotes))
	for _, o := range r.sorted() {
		if o.relay == notRelay && o.id != self {
			others = append(others, r.infoLocked(o.baseInfo()))
		}
	}
	for _, id := range r.remoteIDs() {
		others = append(others, r.infoLocked(r.remotes[id]))
	}
	return others
}

// announceLocked tells every client here that info joined.
func (r *Room) announceLocked(info ParticipantInfo) {
	joined := info
	joined.Tracks = []TrackInfo{}
	for _, o := range r.participants {
		if o.relay == notRelay {
			o.listener.ParticipantJoined(joined)
		}
	}
}

// clientsLocked counts the participants here that are not relays' ends.
func (r *Room) clientsLocked() int {
	n := 0
	for _, p := range r.participants {
		if p.relay == notRelay {
			n++
		}
	}
	return n
}

func (r *Room) leave(p *Participant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.participants[p.id] != p {
		return
	}
	delete(r.participants, p.id)
	r.forgetQualityLocked(p.id)
	if p.relay == RelayEgress {
		// It leaves this room only: it stops sending its tracks.
		for id := range r.tracks {
			p.unsubscribe(id)
		}
	}
	var gone []*Receiver
	for id, t := range r.tracks {
		if t.owner == p {
			delete(r.tracks, id)
			gone = append(gone, t)
		}
	}
	for _, o := range r.participants {
		for _, t := range gone {
			if p.relay == RelayIngress && o.relay == notRelay {
				// The publisher is elsewhere and may still be in the
				// room: only its tracks went with the relay.
				o.listener.TrackUnpublished(t.publisher.ID, t.id)
			}
			o.unsubscribe(t.id)
		}
		if p.relay == notRelay {
			o.listener.ParticipantLeft(p.id)
		}
	}
}

// addRemote records a participant of another node, and tells the clients
// here if it is new.
func (r *Room) addRemote(info ParticipantInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addRemoteLocked(info)
}

func (r *Room) addRemoteLocked(info ParticipantInfo) {
	if _, ok := r.remotes[info.ID]; ok || r.participants[info.ID] != nil {
		return
	}
	r.remotes[info.ID] = ParticipantInfo{ID: info.ID, Name: info.Name, Identity: info.Identity, Attributes: maps.Clone(info.Attributes)}
	r.announceLocked(info)
}

// removeRemote takes a participant of another node out, with the tracks of
// it relayed here.
func (r *Room) removeRemote(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.remotes[id]; !ok {
		return
	}
	delete(r.remotes, id)
	r.forgetQualityLocked(id)
	for tid, t := range r.tracks {
		if t.publisher.ID != id || t.owner.relay != RelayIngress {
			continue
		}
		delete(r.tracks, tid)
		for _, o := range r.participants {
			if o != t.owner {
				o.listener.TrackUnpublished(id, tid)
				o.unsubscribe(tid)
			}
		}
	}
	for _, o := range r.participants {
		if o.relay == notRelay {
			o.listener.ParticipantLeft(id)
		}
	}
}

// remoteIDs lists the remote participants in a stable order.
func (r *Room) remoteIDs() []string {
	ids := make([]string, 0, len(r.remotes))
	for id := range r.remotes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// publish makes t visible to everyone in the room but its owner; it reports
// false when the owner has already left.
func (r *Room) publish(t *Receiver) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.participants[t.owner.id] != t.owner {
		return false
	}
	if t.owner.relay == RelayIngress {
		// Its publisher may not have been announced yet: the relay can be
		// quicker than the control plane.
		r.addRemoteLocked(t.publisher)
	}
	r.tracks[t.id] = t
	info := t.info()
	for _, o := range r.participants {
		if o == t.owner {
			continue
		}
		switch o.relay {
		case notRelay:
			o.listener.TrackPublished(info)
			if o.perms.Subscribe {
				o.subscribe(t)
			}
		case RelayEgress:
			if t.owner.relay == notRelay {
				o.subscribe(t)
			}
		}
	}
	return true
}

func (r *Room) unpublish(t *Receiver) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tracks[t.id] != t {
		return
	}
	delete(r.tracks, t.id)
	for _, o := range r.participants {
		if o != t.owner {
			o.listener.TrackUnpublished(t.publisher.ID, t.id)
			o.unsubscribe(t.id)
		}
	}
}

func (r *Room) muted(t *Receiver, muted bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tracks[t.id] != t {
		return
	}
	for _, o := range r.participants {
		if o != t.owner && (o.relay != RelayEgress || t.owner.relay == notRelay) {
			// An egress end hears only of what it sends: tracks
			// published here.
			o.listener.TrackMuted(t.publisher.ID, t.id, muted)
		}
	}
}

func (r *Room) members() []*Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sorted()
}

func (r *Room) empty() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.participants) == 0
}

// roomSize counts a room's participants here (not relays' ends), its
// tracks (relayed ones among them), and the streams its relays carry.
type roomSize struct{ participants, tracks, relayIn, relayOut int }

func (r *Room) size() roomSize {
	r.mu.Lock()
	defer r.mu.Unlock()
	z := roomSize{participants: r.clientsLocked(), tracks: len(r.tracks)}
	for _, t := range r.tracks {
		if t.owner.relay == RelayIngress {
			for i := range maxLayers {
				if t.layer(i) != nil {
					z.relayIn++
				}
			}
		}
	}
	for _, p := range r.participants {
		if p.relay == RelayEgress {
			for _, d := range *p.dtList.Load() {
				if d.rcv.room == r {
					z.relayOut++
				}
			}
		}
	}
	return z
}

// sorted lists the participants in the order they joined.
func (r *Room) sorted() []*Participant {
	out := make([]*Participant, 0, len(r.participants))
	for _, p := range r.participants {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].joinedAt.Before(out[j].joinedAt) })
	return out
}

// infoLocked is base with the tracks it publishes.
func (r *Room) infoLocked(base ParticipantInfo) ParticipantInfo {
	info := base
	info.Tracks = []TrackInfo{}
	for _, t := range r.tracks {
		if t.publisher.ID == base.ID {
			info.Tracks = append(info.Tracks, t.info())
		}
	}
	return info
}
