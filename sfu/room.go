package sfu

import (
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
	participants map[string]*Participant
	tracks       map[string]*Receiver
}

func newRoom(name string, s *SFU) *Room {
	return &Room{
		name:         name,
		sfu:          s,
		participants: make(map[string]*Participant),
		tracks:       make(map[string]*Receiver),
	}
}

// Name is the room's name.
func (r *Room) Name() string { return r.name }

func (r *Room) join(p *Participant) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var replaced *Participant
	if p.identity != "" {
		for _, o := range r.participants {
			if o.identity == p.identity {
				replaced = o
			}
		}
	}
	if replaced == nil && len(r.participants) >= r.sfu.cfg.maxParticipants {
		return ErrRoomFull
	}
	if replaced != nil {
		// The newest session wins (a reconnecting tab); the older leaves
		// as soon as it can take the SFU's lock, which Join holds now.
		go replaced.close(ErrReplaced)
	}
	p.room = r
	others := make([]ParticipantInfo, 0, len(r.participants))
	for _, o := range r.sorted() {
		others = append(others, r.infoLocked(o))
	}
	p.listener.Joined(ParticipantInfo{ID: p.id, Name: p.name}, others)
	joined := ParticipantInfo{ID: p.id, Name: p.name, Tracks: []TrackInfo{}}
	for _, o := range r.participants {
		o.listener.ParticipantJoined(joined)
	}
	r.participants[p.id] = p
	for _, t := range r.tracks {
		if p.perms.Subscribe {
			p.subscribe(t)
		}
	}
	return nil
}

func (r *Room) leave(p *Participant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.participants[p.id] != p {
		return
	}
	delete(r.participants, p.id)
	var gone []string
	for id, t := range r.tracks {
		if t.owner == p {
			delete(r.tracks, id)
			gone = append(gone, id)
		}
	}
	for _, o := range r.participants {
		for _, id := range gone {
			o.unsubscribe(id)
		}
		o.listener.ParticipantLeft(p.id)
	}
}

// publish makes t visible to everyone in the room but its owner; it reports
// false when the owner has already left.
func (r *Room) publish(t *Receiver) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.participants[t.owner.id] != t.owner {
		return false
	}
	r.tracks[t.id] = t
	info := t.info()
	for _, o := range r.participants {
		if o != t.owner {
			o.listener.TrackPublished(info)
			if o.perms.Subscribe {
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
			o.listener.TrackUnpublished(t.owner.id, t.id)
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
		if o != t.owner {
			o.listener.TrackMuted(t.owner.id, t.id, muted)
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

func (r *Room) size() (participants, tracks int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.participants), len(r.tracks)
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

func (r *Room) infoLocked(p *Participant) ParticipantInfo {
	info := ParticipantInfo{ID: p.id, Name: p.name, Tracks: []TrackInfo{}}
	for _, t := range r.tracks {
		if t.owner == p {
			info.Tracks = append(info.Tracks, t.info())
		}
	}
	return info
}
