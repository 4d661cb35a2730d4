package signaling

import (
	"errors"
	"fmt"
	"sync"
)

// Errors of the node's caps.
var (
	// ErrTooManyRooms refuses a join that would open a room past the
	// node's cap (WithMaxRooms); reported as unavailable, and fatal.
	ErrTooManyRooms = fmt.Errorf("%w: this server has all the rooms open it may", ErrUnavailable)
	// ErrTooManyTracks refuses an offer that would send more tracks than
	// one participant may (WithMaxTracksPerParticipant).
	ErrTooManyTracks = errors.New("too many tracks")
)

// roomCount counts the participants that joined through this handler in
// each room, for WithMaxRooms: a room counts while it has one. A room the
// node holds only for a cluster relay does not count.
type roomCount struct {
	mu    sync.Mutex
	rooms map[string]int
}

// holdRoom counts the session in the room it joins, refusing a room past
// the cap; releaseRoom undoes it. Only while the cap is set.
func (s *session) holdRoom(room string) error {
	limit := s.h.cfg.maxRooms
	if limit <= 0 {
		return nil
	}
	rc := &s.h.rooms
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.rooms == nil {
		rc.rooms = make(map[string]int)
	}
	if rc.rooms[room] == 0 && len(rc.rooms) >= limit {
		return fmt.Errorf("%w (%d); joining one of them still works", ErrTooManyRooms, limit)
	}
	rc.rooms[room]++
	s.heldRoom = room
	return nil
}

func (s *session) releaseRoom() {
	room := s.heldRoom
	s.heldRoom = ""
	s.h.releaseRoom(room)
}

// releaseRoom uncounts one participant of room ("": none).
func (h *Handler) releaseRoom(room string) {
	if room == "" {
		return
	}
	rc := &h.rooms
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if n := rc.rooms[room] - 1; n > 0 {
		rc.rooms[room] = n
	} else {
		delete(rc.rooms, room)
	}
}
